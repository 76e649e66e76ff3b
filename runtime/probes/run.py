"""Running one liveness/readiness/startup probe against one member, once.

- exec: the command runs in the member (the engine's exec API); exit code 0 is a
  success. The command must exist in the member's image: that is the user's choice.
- httpGet, tcpSocket and grpc run FROM OUTSIDE the member, from this process, so they
  work in images that have no curl, wget, nc or grpc_health_probe (a grpc probe asks
  grpc.health.v1.Health/Check, runtime.probes.grpc_health, and passes on SERVING).
  The target is the capsule's address: on a local engine (unix socket, or tcp on
  127.0.0.0/8) the sandbox's IP on its bridge network, which the engine's machine
  routes to; on a remote engine that IP lives in the remote host's private bridge, so
  the probe goes to the remote host's address and the port the capsule publishes for
  it (`hostPort`). An httpGet or tcpSocket port that a remote capsule does not publish
  is probed from its namespace's Service proxy on that host when it belongs to an
  application (runtime.probes.relay); otherwise (and for grpc) it cannot be reached
  from here: that is a ProbeError saying so, never a silent pass.

`run_probe` returns a ProbeResult (success, or failure with a reason such as
"connection refused: nothing listens on 172.17.0.4:8081") and raises ProbeError
when the probe cannot run at all (no address, member not running, command not in
the image). Thresholds and timing live in runtime.probes.tracker; this module must
not restart or stop anything.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from runtime.engine.client import EngineClient
from runtime.engine.errors import Conflict, NotFound
from runtime.errors import ProbeError, ProbeTargetGone
from runtime.hosts.address_rules import is_loopback
from runtime.observe.observed import ObservedCapsule, ObservedContainer
from runtime.probes.relay import http_via, relay_for, tcp_via
from translate.spec import Probe

LIVENESS, READINESS, STARTUP = "liveness", "readiness", "startup"
_SPEC_KEYS = {LIVENESS: "livenessProbe", READINESS: "readinessProbe", STARTUP: "startupProbe"}
# What the engine (runc) says when the exec's command is not in the image.
_NOT_RUNNABLE = ("executable file not found", "no such file or directory", "permission denied")


@dataclass(frozen=True)
class ProbeResult:
    ok: bool
    reason: str  # one line: what was tried and what came back
    seconds: float = 0.0


def probe_from_dict(data: dict[str, Any]) -> Probe:
    """A Probe from its normalized form (the `capsule.spec` label carries `Probe.to_dict()`)."""
    timing = {
        "initial_delay_seconds": int(data.get("initialDelaySeconds", 0)),
        "period_seconds": int(data.get("periodSeconds", 10)),
        "timeout_seconds": int(data.get("timeoutSeconds", 1)),
        "success_threshold": int(data.get("successThreshold", 1)),
        "failure_threshold": int(data.get("failureThreshold", 3)),
    }
    if "exec" in data:
        return Probe(exec_command=tuple(str(a) for a in data["exec"].get("command") or ()), **timing)
    if "httpGet" in data:
        http = data["httpGet"]
        headers = tuple((str(h["name"]), str(h["value"])) for h in http.get("httpHeaders") or ())
        return Probe(http_path=http.get("path") or "/", http_port=int(http["port"]), http_host=http.get("host"),
                     http_scheme=http.get("scheme") or "HTTP", http_headers=headers, **timing)
    if "tcpSocket" in data:
        return Probe(tcp_port=int(data["tcpSocket"]["port"]), **timing)
    if "grpc" in data:
        grpc = data["grpc"]
        return Probe(grpc_port=int(grpc["port"]), grpc_service=grpc.get("service") or None,
                     grpc_tls=grpc.get("mode") == "TLS", **timing)
    raise ProbeError(f"probe {data!r} has none of exec, httpGet, tcpSocket, grpc; give exactly one of them")


def member_probes(capsule: ObservedCapsule, member: str) -> dict[str, Probe]:
    """The probes the capsule's spec (from its label) gives this member or native sidecar, by kind."""
    body = capsule.spec.get("spec") if isinstance(capsule.spec, dict) else None
    sidecars = [c for c in (body or {}).get("initContainers") or []
                if isinstance(c, dict) and c.get("restartPolicy") == "Always"]
    for container in [*((body or {}).get("containers") or []), *sidecars]:
        if isinstance(container, dict) and container.get("name") == member:
            return {kind: probe_from_dict(container[key]) for kind, key in _SPEC_KEYS.items()
                    if isinstance(container.get(key), dict)}
    return {}


def restart_policy(capsule: ObservedCapsule) -> str:
    body = capsule.spec.get("spec") if isinstance(capsule.spec, dict) else None
    return str((body or {}).get("restartPolicy") or "Always")


def describe_probe(probe: Probe) -> str:
    if probe.exec_command is not None:
        return "exec " + " ".join(probe.exec_command)
    if probe.http_port is not None:
        return f"httpGet {probe.http_scheme.lower()}://:{probe.http_port}{probe.http_path or '/'}"
    if probe.grpc_port is not None:
        return (f"grpc{' (TLS)' if probe.grpc_tls else ''} :{probe.grpc_port}"
                + (f" service {probe.grpc_service}" if probe.grpc_service else ""))
    return f"tcpSocket :{probe.tcp_port}"


async def run_probe(engine: EngineClient, capsule: ObservedCapsule, member: ObservedContainer,
                    probe: Probe) -> ProbeResult:
    """Run the probe once, bounded by its timeoutSeconds."""
    started = time.monotonic()
    try:
        async with asyncio.timeout(max(probe.timeout_seconds, 1)):
            if probe.exec_command is not None:
                ok, reason = await _exec(engine, member, probe.exec_command)
            elif probe.http_port is not None:
                ok, reason = await _http(engine, capsule, probe)
            elif probe.grpc_port is not None:
                ok, reason = await _grpc(engine, capsule, probe)
            else:
                ok, reason = await _tcp(engine, capsule, probe)
    except TimeoutError:
        ok, reason = False, f"{describe_probe(probe)}: no answer within {max(probe.timeout_seconds, 1)} s"
    return ProbeResult(ok, reason, time.monotonic() - started)


async def _exec(engine: EngineClient, member: ObservedContainer, command: tuple[str, ...]) -> tuple[bool, str]:
    if not command:
        raise ProbeError(f"the exec probe of member {member.member} has an empty command; give one")
    try:
        result = await engine.exec_run(member.id, list(command))
    except (NotFound, Conflict) as exc:
        raise ProbeTargetGone(f"member {member.member} is not running, so its exec probe cannot run "
                         f"({exc.engine_message or exc})") from exc
    output = (result.stdout_text + result.stderr_text).strip()
    if result.exit_code in (126, 127) and any(text in output.lower() for text in _NOT_RUNNABLE):
        raise ProbeError(f"the exec probe of member {member.member} cannot run {command[0]!r} in its image "
                         f"({_last_line(output)}); use a command the image has, or an httpGet/tcpSocket/grpc probe")
    if result.exit_code == 0:
        return True, f"exec {command[0]} exited 0"
    return False, f"exec {' '.join(command)} exited with code {result.exit_code}" + (
        f": {_last_line(output)}" if output else "")


async def _http(engine: EngineClient, capsule: ObservedCapsule, probe: Probe) -> tuple[bool, str]:
    assert probe.http_port is not None
    try:
        address, port = probe_address(engine, capsule, probe.http_port, probe.http_host)
    except ProbeError:
        relay = None if probe.http_host else await relay_for(engine, capsule)
        if relay is None or capsule.ip is None:
            raise
        return await http_via(engine, relay, capsule.ip, probe)
    scheme = "https" if probe.http_scheme.upper() == "HTTPS" else "http"
    path = probe.http_path or "/"
    url = f"{scheme}://{_bracket(address)}:{port}{path if path.startswith('/') else '/' + path}"
    headers = {"User-Agent": "capsule-probe", **dict(probe.http_headers)}
    # As Kubernetes: certificates are not checked, redirects are not followed (a 3xx is a success).
    async with httpx.AsyncClient(verify=False, follow_redirects=False, trust_env=False) as client:
        try:
            answer = await client.get(url, headers=headers, timeout=None)
        except httpx.ConnectError as exc:
            return False, _connect_failure(url, address, port, exc)
        except httpx.HTTPError as exc:
            return False, f"GET {url}: {type(exc).__name__}: {exc}"
    ok = 200 <= answer.status_code < 400
    return ok, f"GET {url} answered {answer.status_code}" + ("" if ok else " (expected 200-399)")


async def _tcp(engine: EngineClient, capsule: ObservedCapsule, probe: Probe) -> tuple[bool, str]:
    assert probe.tcp_port is not None
    try:
        address, port = probe_address(engine, capsule, probe.tcp_port, None)
    except ProbeError:
        relay = await relay_for(engine, capsule)
        if relay is None or capsule.ip is None:
            raise
        return await tcp_via(engine, relay, capsule.ip, probe.tcp_port, max(probe.timeout_seconds, 1))
    try:
        _, writer = await asyncio.open_connection(address, port)
    except OSError as exc:
        return False, _connect_failure(f"tcp {_bracket(address)}:{port}", address, port, exc)
    writer.close()
    try:
        await writer.wait_closed()
    except OSError:
        pass  # the server closing first is fine: the connection was accepted
    return True, f"tcp {_bracket(address)}:{port} accepted the connection"


async def _grpc(engine: EngineClient, capsule: ObservedCapsule, probe: Probe) -> tuple[bool, str]:
    assert probe.grpc_port is not None
    # Imported here: grpclib and protobuf are paid for only by capsules with a gRPC probe.
    from runtime.probes.grpc_health import health_check

    address, port = probe_address(engine, capsule, probe.grpc_port, None)
    service = probe.grpc_service or ""
    what = (f"grpc{' (TLS)' if probe.grpc_tls else ''} {_bracket(address)}:{port}"
            + (f" service {service}" if service else ""))
    try:
        ok, problem = await health_check(address, port, service, max(probe.timeout_seconds, 1), probe.grpc_tls)
    except TimeoutError:
        raise  # the call's deadline: run_probe says "no answer within", as for every probe
    except OSError as exc:
        return False, _connect_failure(what, address, port, exc)
    return ok, f"{what}: " + ("SERVING" if ok else str(problem))


def probe_address(engine: EngineClient, capsule: ObservedCapsule, port: int, host: str | None) -> tuple[str, int]:
    """Where this process reaches the capsule's `port` (see the module docstring)."""
    if host:
        return host, port  # the user named the host to probe, as Kubernetes' httpGet.host
    remote = engine_remote_address(engine.url)
    if remote is None:
        if not capsule.ip:
            raise ProbeError(f"capsule {capsule.name} has no IP address on host {capsule.host} (its sandbox is "
                             f"not running, or has no network), so a probe of port {port} cannot run")
        return capsule.ip, port
    published = published_port(capsule, port)
    if published is None:
        raise ProbeError(
            f"capsule {capsule.name} runs on the remote host {capsule.host}, whose container addresses are not "
            f"reachable from here, and it does not publish port {port}: add hostPort to that port, use an exec "
            f"probe, or run `capsule watch` on that host")
    return remote, published


def engine_remote_address(url: str) -> str | None:
    """None for an engine on this machine; else the address its published ports answer on."""
    parts = urlsplit(url)
    if parts.scheme in ("unix", "npipe", "http+unix", ""):
        return None
    host = parts.hostname or ""
    return None if is_loopback(host) else host  # a host name other than localhost: remote


def published_port(capsule: ObservedCapsule, port: int) -> int | None:
    body = capsule.spec.get("spec") if isinstance(capsule.spec, dict) else None
    for container in (body or {}).get("containers") or []:
        for entry in (container or {}).get("ports") or []:
            if entry.get("containerPort") == port and entry.get("hostPort") and entry.get("protocol", "TCP") == "TCP":
                return int(entry["hostPort"])
    return None


def _connect_failure(what: str, address: str, port: int, exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    if _refused(exc) or "refused" in text.lower():
        return f"{what}: connection refused: nothing listens on {_bracket(address)}:{port}"
    return f"{what}: cannot connect: {text}"


def _refused(exc: BaseException | None) -> bool:
    # httpx wraps the socket's error; look down the chain for the refusal itself.
    seen = 0
    while exc is not None and seen < 8:
        if isinstance(exc, ConnectionRefusedError):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


def _bracket(address: str) -> str:
    return f"[{address}]" if ":" in address else address


def _last_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1][:200] if lines else ""

