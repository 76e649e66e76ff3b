"""What the scheduler needs to know about each host, gathered from many hosts at once.

For every host: can it be reached (and if not, why), its engine version, CPUs
(`NCPU`) and memory (`MemTotal`) from `/info`, the capsules it holds (found by their
labels) with the CPU and memory their specs request, and the host ports in use.

All hosts are asked concurrently (`asyncio.gather`), each with its own connect
timeout and an overall per-host bound, so a dead or hung host costs the slowest
host's time, never the sum, and never blocks the others: its facts come back with
`error` set and the reason in words.

This module must not decide placement (runtime/placement/scheduler.py does) and must not import
textual. The engine client is imported lazily so that the data types stay cheap.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from runtime.observe.observed import ObservedContainer, group_by_capsule
from translate.quantity import GPU_RESOURCE

if TYPE_CHECKING:
    import httpx

    from runtime.hosts.settings import HostSettings

DEFAULT_CONNECT_TIMEOUT = 3.0
# A host that accepted the connection gets this long per call; `hosts list` and
# placement must come back in bounded time even from a hung engine.
DEFAULT_READ_TIMEOUT = 5.0

# Container states that hold nothing: an exited or dead container uses no CPU or
# memory and publishes no port until something starts it again.
_IDLE_STATES = frozenset({"exited", "dead"})

# error_kind values meaning "no answer at all" (as opposed to a wrong answer).
UNREACHABLE_KINDS = frozenset({"unreachable", "connect timeout", "TLS refused", "connection lost", "no answer"})

TransportFor = Callable[["HostSettings"], "httpx.AsyncBaseTransport | None"]
# An already connected engine client for a host (CapsuleService.engine): facts asked
# through it reuse its connection and its /version negotiation.
EngineFor = Callable[["HostSettings"], Awaitable[Any]]
HostPort = tuple[int, str]  # (port, "TCP" | "UDP")
# The node label NVIDIA's GPU feature discovery sets; in capsule's inventory, the user's
# word for how many GPUs a host whose engine does not count them has.
GPU_COUNT_LABEL = "nvidia.com/gpu.count"


@dataclass(frozen=True)
class CapsuleUsage:
    """One capsule on a host and what its spec asks for."""

    name: str
    uuid: str
    cpu: float
    memory: int
    host_ports: tuple[HostPort, ...] = ()
    gpus: int = 0
    # False when every container has exited: its requests then count for nothing,
    # as Kubernetes stops counting a pod once it has finished.
    active: bool = True


@dataclass(frozen=True)
class HostFacts:
    """One host as seen just now; `error` says why it cannot be used, None when it can."""

    name: str
    url: str
    labels: Mapping[str, str] = field(default_factory=dict)
    error: str | None = None
    error_kind: str = ""  # the class of `error`: "unreachable", "connect timeout", "TLS refused", ...
    engine_version: str = ""
    api_version: str = ""
    cpus: int = 0
    memory: int = 0  # bytes
    capsules: tuple[CapsuleUsage, ...] = ()
    ports_in_use: frozenset[HostPort] = frozenset()
    elapsed: float = 0.0  # seconds it took to learn all this
    cause: str = ""  # the cause in a few words for tables: "connection refused", "SSH keys refused"
    gpus: int = 0  # NVIDIA GPUs the host offers, where it says how many (gpus_offered)
    gpus_uncounted: bool = False  # the engine has the nvidia runtime but does not count its GPUs

    @property
    def reachable(self) -> bool:
        return self.error is None

    @property
    def answered(self) -> bool:
        """False when the engine never answered; True when it answered, even wrongly."""
        return self.error is None or self.error_kind not in UNREACHABLE_KINDS

    # Cached: the scheduler reads these several times per host and placement (cached_property
    # writes the instance dict directly, so it works on a frozen dataclass).
    @cached_property
    def active_capsules(self) -> tuple[CapsuleUsage, ...]:
        return tuple(c for c in self.capsules if c.active)

    @cached_property
    def cpu_requested(self) -> float:
        return sum(c.cpu for c in self.active_capsules)

    @cached_property
    def memory_requested(self) -> int:
        return sum(c.memory for c in self.active_capsules)

    @cached_property
    def gpus_requested(self) -> int:
        return sum(c.gpus for c in self.active_capsules)


# --- reading specs and container lists (pure) -------------------------------------------


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return 0.0
    return float(value) if value > 0 else 0.0


def _placement_amount(container: Any, key: str) -> float:
    """The request, else the limit: what Resources.placement_cpu/placement_memory count."""
    if not isinstance(container, dict):
        return 0.0
    resources = container.get("resources") or {}
    if not isinstance(resources, dict):
        return 0.0
    requests = resources.get("requests") or {}
    limits = resources.get("limits") or {}
    if isinstance(requests, dict) and requests.get(key) is not None:
        return _number(requests.get(key))
    return _number(limits.get(key)) if isinstance(limits, dict) else 0.0


def requests_of_spec(document: Mapping[str, Any]) -> tuple[float, int]:
    """(cores, bytes) a normalized capsule document asks for.

    Mirrors Capsule.cpu_request / memory_request: the members' sum, or the largest
    init container's when that is larger. Works from the `capsule.spec` label, so a
    capsule made by another machine (or another capsule version) counts the same;
    anything unreadable counts as zero rather than failing the whole host.
    """
    spec = document.get("spec") if isinstance(document, Mapping) else None
    if not isinstance(spec, dict):
        return 0.0, 0
    members = spec.get("containers") if isinstance(spec.get("containers"), list) else []
    inits = spec.get("initContainers") if isinstance(spec.get("initContainers"), list) else []
    cpu = max(
        sum(_placement_amount(c, "cpu") for c in members),
        max((_placement_amount(c, "cpu") for c in inits), default=0.0),
    )
    memory = max(
        sum(_placement_amount(c, "memory") for c in members),
        max((_placement_amount(c, "memory") for c in inits), default=0.0),
    )
    return cpu, int(memory)


def gpus_of_spec(document: Mapping[str, Any]) -> int:
    """Whole GPUs a normalized capsule document holds (Capsule.gpu_request from the label)."""
    spec = document.get("spec") if isinstance(document, Mapping) else None
    if not isinstance(spec, dict):
        return 0

    def gpus(container: Any) -> int:
        resources = container.get("resources") if isinstance(container, dict) else None
        limits = resources.get("limits") if isinstance(resources, dict) else None
        count = limits.get(GPU_RESOURCE) if isinstance(limits, dict) else None
        return count if isinstance(count, int) and not isinstance(count, bool) and count > 0 else 0

    members = spec.get("containers") if isinstance(spec.get("containers"), list) else []
    inits = spec.get("initContainers") if isinstance(spec.get("initContainers"), list) else []
    return max(sum(map(gpus, members)), max(map(gpus, inits), default=0))


def gpus_offered(info: Mapping[str, Any], labels: Mapping[str, str]) -> tuple[int, bool]:
    """(GPUs counted, offered but uncounted) for one host.

    The engine's own count first: CDI devices it discovered (`DiscoveredDevices`, API
    1.49+) named nvidia.com/gpu=N. Else the user's word in the inventory, the label GPU
    feature discovery puts on Kubernetes nodes (nvidia.com/gpu.count). Else an engine
    with the nvidia runtime offers GPUs without saying how many: placement lets it try
    and the engine refuses at start if it has too few.
    """
    devices = info.get("DiscoveredDevices")
    ids = {d.get("ID") for d in devices if isinstance(d, Mapping)} if isinstance(devices, list) else set()
    counted = {i for i in ids if isinstance(i, str) and i.startswith(f"{GPU_RESOURCE}=")} - {f"{GPU_RESOURCE}=all"}
    if counted:
        return len(counted), False
    declared = str(labels.get(GPU_COUNT_LABEL, ""))
    if declared.isdigit():
        return int(declared), False
    runtimes = info.get("Runtimes")
    return 0, isinstance(runtimes, Mapping) and "nvidia" in runtimes


def host_ports_of_spec(document: Mapping[str, Any]) -> tuple[HostPort, ...]:
    """(hostPort, protocol) pairs a normalized capsule document publishes."""
    spec = document.get("spec") if isinstance(document, Mapping) else None
    members = spec.get("containers") if isinstance(spec, dict) else None
    found: list[HostPort] = []
    for container in members if isinstance(members, list) else []:
        ports = container.get("ports") if isinstance(container, dict) else None
        for port in ports if isinstance(ports, list) else []:
            if isinstance(port, dict) and isinstance(port.get("hostPort"), int):
                found.append((port["hostPort"], str(port.get("protocol") or "TCP").upper()))
    return tuple(found)


def usage_from_containers(host: str, entries: Sequence[Mapping[str, Any]]) -> tuple[
    tuple[CapsuleUsage, ...], frozenset[HostPort]
]:
    """Capsules and ports in use from one `GET /containers/json?all=1` answer."""
    observed = [ObservedContainer.from_list_entry(dict(e)) for e in entries if isinstance(e, Mapping)]
    capsules = []
    ports: set[HostPort] = set()
    for capsule in group_by_capsule(host, observed):
        cpu, memory = requests_of_spec(capsule.spec)
        active = any(c.state not in _IDLE_STATES for c in capsule.containers)
        declared = host_ports_of_spec(capsule.spec)
        capsules.append(CapsuleUsage(capsule.name, capsule.uuid, cpu, memory, declared, gpus_of_spec(capsule.spec),
                                     active))
        if active:
            # A sandbox created but not yet started publishes nothing yet; its
            # spec says which ports it is about to take.
            ports.update(declared)
    for entry in entries:
        if not isinstance(entry, Mapping) or entry.get("State") in _IDLE_STATES:
            continue
        for port in entry.get("Ports") or []:
            if isinstance(port, Mapping) and isinstance(port.get("PublicPort"), int):
                ports.add((port["PublicPort"], str(port.get("Type") or "tcp").upper()))
    return tuple(capsules), frozenset(ports)


def facts_from_answers(
    host: HostSettings, version: Mapping[str, Any], info: Mapping[str, Any] | None,
    containers: Sequence[Mapping[str, Any]], *, api_version: str = "", elapsed: float = 0.0,
) -> HostFacts:
    """Combine a host's /version, /info and container list into facts.

    `info` None: /info was not asked; the facts then carry no CPUs or memory.

    An engine whose /info lacks NCPU or MemTotal cannot be scheduled onto; it is
    reported as unusable rather than as a host with no room.
    """
    if info is None:
        # /info was not asked (host_facts(need_info=False)): the capsule requests no CPU
        # or memory and there is only one host to choose, so capacity decides nothing.
        capsules, ports = usage_from_containers(host.name, containers)
        return HostFacts(
            name=host.name, url=host.url, labels=dict(host.labels),
            engine_version=str(version.get("Version") or ""),
            api_version=api_version or str(version.get("ApiVersion") or ""),
            capsules=capsules, ports_in_use=ports, elapsed=elapsed,
        )
    cpus, memory = info.get("NCPU"), info.get("MemTotal")
    if not isinstance(cpus, int) or not isinstance(memory, int) or cpus <= 0 or memory <= 0:
        return unusable(
            host,
            f"host {host.name!r} ({host.url}) answered /info without usable NCPU and MemTotal "
            f"(got {cpus!r} and {memory!r}); is it a Docker engine?",
            "bad answer", elapsed=elapsed,
        )
    capsules, ports = usage_from_containers(host.name, containers)
    gpus, gpus_uncounted = gpus_offered(info, host.labels)
    return HostFacts(
        name=host.name, url=host.url, labels=dict(host.labels),
        engine_version=str(version.get("Version") or info.get("ServerVersion") or ""),
        api_version=api_version or str(version.get("ApiVersion") or ""),
        cpus=cpus, memory=memory, capsules=capsules, ports_in_use=ports, elapsed=elapsed,
        gpus=gpus, gpus_uncounted=gpus_uncounted,
    )


def unusable(host: HostSettings, why: str, kind: str, *, elapsed: float = 0.0, cause: str = "") -> HostFacts:
    return HostFacts(name=host.name, url=host.url, labels=dict(host.labels), error=why,
                     error_kind=kind, elapsed=elapsed, cause=cause or kind)


def _cause(exc: BaseException, kind: str) -> str:
    """What a table shows: the OS's words when they are short ("connection refused"), else the kind."""
    from runtime.engine.errors import SshRefused, short_error

    if isinstance(exc, SshRefused):
        return "SSH host key not trusted" if "host key" in str(exc) else "SSH keys refused"
    words = short_error(exc)
    return words if kind == "unreachable" and len(words) <= 40 else kind


# --- asking the engines -----------------------------------------------------------------


def _error_kind(exc: BaseException) -> str:
    from runtime.engine import errors as e
    kinds: tuple[tuple[type[BaseException], str], ...] = (
        (e.HostConfigError, "bad settings"),
        (e.HostTlsError, "TLS refused"),
        (e.ConnectionLost, "connection lost"),
        (e.HostUnreachable, "unreachable"),
        (e.EngineTimeout, "no answer"),
        (e.ApiVersionTooOld, "engine too old"),
        (e.EngineServerError, "engine error"),
    )
    for cls, kind in kinds:
        if isinstance(exc, cls):
            if kind == "unreachable" and "did not accept a connection within" in str(exc):
                return "connect timeout"
            return kind
    return "engine error"


async def _ask(host: HostSettings, connect_timeout: float, read_timeout: float,
               transport: httpx.AsyncBaseTransport | None, engine_for: EngineFor | None = None,
               need_info: bool = True) -> HostFacts:
    from runtime.engine.errors import EngineRequestError

    started = time.monotonic()
    try:
        if engine_for is not None:
            engine = await engine_for(host)
        else:
            from runtime.engine.client import EngineClient
            from runtime.engine.transport import Timeouts, TlsConfig

            tls = TlsConfig(host.tls_ca, host.tls_cert, host.tls_key) if host.uses_tls else None
            timeouts = Timeouts(connect=connect_timeout, read=read_timeout, write=read_timeout, pool=read_timeout)
            engine = await EngineClient.connect(host.url, name=host.name, tls=tls, timeout=timeouts,
                                                transport=transport)
    except EngineRequestError as exc:
        # Something answered, but /version is not there: whatever listens is no Docker engine.
        return unusable(host, f"host {host.name!r} ({host.url}) answered, but not as a Docker engine "
                              f"(/version: {exc.engine_message}); check the URL's address and port.",
                        "not an engine", elapsed=time.monotonic() - started)
    try:
        # /info and the container list do not depend on each other: ask both at once.
        if need_info:
            info, containers = await asyncio.gather(engine.info(), engine.list_containers(all=True))
        else:
            info, containers = None, await engine.list_containers(all=True)
    finally:
        if engine_for is None:
            await engine.aclose()  # a borrowed engine stays open for its owner
    if (need_info and not isinstance(info, dict)) or not isinstance(containers, list):
        return unusable(host, f"host {host.name!r} ({host.url}) answered /info or /containers/json "
                              f"with something that is not a Docker answer; is it a Docker engine?",
                        "bad answer", elapsed=time.monotonic() - started)
    return facts_from_answers(host, engine.version_info, info, containers,
                              api_version=engine.api_version, elapsed=time.monotonic() - started)


async def host_facts(
    host: HostSettings,
    *,
    connect_timeout: float | None = None,
    read_timeout: float = DEFAULT_READ_TIMEOUT,
    transport: httpx.AsyncBaseTransport | None = None,
    engine_for: EngineFor | None = None,
    need_info: bool = True,
) -> HostFacts:
    """Facts of one host; never raises for a host problem, the facts say what went wrong.

    `engine_for`: ask through that connected client instead of opening a new one.
    `need_info` False skips /info (no CPUs or memory in the facts).
    """
    from runtime.engine.errors import EngineError

    connect = connect_timeout if connect_timeout is not None else host.connect_timeout
    # Every call already has its own timeouts; this bound also covers an engine that
    # trickles bytes forever, so one host can never hold the others' answer up.
    budget = connect + read_timeout
    started = time.monotonic()
    try:
        return await asyncio.wait_for(_ask(host, connect, read_timeout, transport, engine_for, need_info),
                                      timeout=budget)
    except TimeoutError:
        return unusable(host, f"host {host.name!r} ({host.url}) did not answer within {budget:g} s; "
                              f"the engine may be hung or overloaded.", "no answer",
                        elapsed=time.monotonic() - started)
    except EngineError as exc:
        kind = _error_kind(exc)
        return unusable(host, str(exc), kind, elapsed=time.monotonic() - started, cause=_cause(exc, kind))
    except ssl.SSLError as exc:
        # The engine client maps TLS failures itself; a TLS alert that arrives on the
        # first read can still surface raw from the TLS stream, so map it here too.
        return unusable(host, f"TLS with host {host.name!r} ({host.url}) failed: {exc}. Check that the CA "
                              f"matches the engine's certificate and that the engine trusts the client "
                              f"certificate and key.", "TLS refused", elapsed=time.monotonic() - started)
    except OSError as exc:
        return unusable(host, f"cannot reach host {host.name!r} ({host.url}): {exc}.", "unreachable",
                        elapsed=time.monotonic() - started)
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        # A server that is not a Docker engine can answer anything; say so instead of crashing.
        return unusable(host, f"host {host.name!r} ({host.url}) gave an answer capsule cannot read "
                              f"({type(exc).__name__}: {exc}); is it a Docker engine?", "bad answer",
                        elapsed=time.monotonic() - started)


async def gather_facts(
    hosts: Iterable[HostSettings],
    *,
    connect_timeout: float | None = None,
    read_timeout: float = DEFAULT_READ_TIMEOUT,
    transport_for: TransportFor | None = None,
    engine_for: EngineFor | None = None,
    need_info: bool = True,
) -> list[HostFacts]:
    """Facts of every host, asked all at once; the result keeps the hosts' order."""
    hosts = list(hosts)
    return list(await asyncio.gather(*(
        host_facts(h, connect_timeout=connect_timeout, read_timeout=read_timeout,
                   transport=transport_for(h) if transport_for else None, engine_for=engine_for,
                   need_info=need_info)
        for h in hosts
    )))
