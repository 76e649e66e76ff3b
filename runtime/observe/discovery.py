"""What capsules a host runs, read from the host itself: labels, then inspects.

One `GET /containers/json` filtered on `capsule.managed-by=capsule` finds every
container the runtime made; inspecting them (concurrently, a bounded number at a
time) gives exit codes, restart counts and the sandbox's address; grouping by the
uuid label (`runtime.observe.observed.group_by_capsule`) rebuilds the capsules.

`observe_host_listed` is the cheaper view `capsule list` uses over many hosts: the
list entries already carry each container's state, labels and the sandbox's
address, so only the containers whose entry is not enough are inspected — those
not running (exit code, OOM, error), those not seen before (`known_restarts`
lacks them), and those that started less than a minute ago (they may just have
restarted). A running container seen before keeps its known restart count: a
member that restarted and has run for more than a minute since shows its new
count at the next full observation (`capsule describe`, the watcher), not here.

Read-only: this module never changes anything on a host. Upload helpers (role
helper, alive for a fraction of a second during a build) are left out of the view.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Collection, Mapping
from typing import Any

from runtime.concurrently import bounded
from runtime.engine.client import EngineClient
from runtime.engine.errors import NotFound
from runtime.labels import (
    LABEL_MANAGED_BY,
    LABEL_NAME,
    LABEL_ROLE,
    LABEL_SPEC,
    LABEL_UUID,
    MANAGED_BY,
    NOT_CAPSULE_ROLES,
)
from runtime.observe.observed import (
    ObservedCapsule,
    ObservedContainer,
    group_by_capsule,
)

# Inspects in flight at once per host: well inside the client's connection pool.
_INSPECT_CONCURRENCY = 16
# The engine's list entry says "Up Less than a second", "Up 42 seconds", "Up About a
# minute", "Up 5 minutes (healthy)"...: under a minute is "just started".
_JUST_STARTED = re.compile(r"^Up (Less than a second|\d+ seconds?)\b")


async def labeled_containers(engine: EngineClient, *labels: str) -> list[dict]:
    """The list entries of every container capsule made on the host (and that carries `labels`)."""
    return await engine.list_containers(all=True, filters={"label": [LABEL_MANAGED_BY + "=" + MANAGED_BY, *labels]})


async def observe_host(engine: EngineClient, host: str) -> list[ObservedCapsule]:
    """Every capsule on the host, with inspected containers and the sandbox's IP."""
    return await _observe(engine, host)


async def observe_host_listed(
    engine: EngineClient, host: str, *, known_restarts: Mapping[str, int] | None = None,
    names: Collection[str] | None = None,
) -> list[ObservedCapsule]:
    """Every capsule on the host from one list call, inspecting only where the entry is not enough.

    `known_restarts`: container id -> restart count from an earlier full view (the store).
    `names`: only the capsules of these names (one list call filtered on the
    `capsule.name` label per name), as `delete NAME` needs: not the whole host.
    """
    known = known_restarts or {}
    if names is None:
        entries = await labeled_containers(engine)
    else:
        lists = await bounded((labeled_containers(engine, f"{LABEL_NAME}={n}") for n in dict.fromkeys(names)),
                              _INSPECT_CONCURRENCY)
        entries = list({e["Id"]: e for found in lists for e in found}.values())
    # Hosts often answer together: reading each answer is a step of its own, so that a
    # terminal UI's keys get a turn between three hosts' hundreds of entries.
    await asyncio.sleep(0)
    entries = [e for e in entries if (e.get("Labels") or {}).get(LABEL_ROLE) not in NOT_CAPSULE_ROLES]
    vague = {e["Id"] for e in entries if _needs_inspect(e, known)}
    inspected = await bounded((_inspect(engine, cid) for cid in vague), _INSPECT_CONCURRENCY)
    details = {data["Id"]: data for data in inspected if data is not None}
    containers, addresses = [], {}
    for entry in entries:
        data = details.get(entry["Id"])
        if data is not None:
            containers.append(ObservedContainer.from_inspect(data))
            addresses[entry["Id"]] = sandbox_ip(data)
        elif entry["Id"] not in vague:
            container = ObservedContainer.from_list_entry(entry)
            container.restart_count = known.get(container.id, 0)
            container.exit_code = 0  # what inspect says of a running container
            containers.append(container)
            addresses[entry["Id"]] = sandbox_ip(entry)
        # else: removed between the list and the inspect; it is gone
    await asyncio.sleep(0)  # and reading the specs of hundreds of capsules is another
    capsules = group_by_capsule(host, containers)
    for capsule in capsules:
        sandbox = capsule.sandbox
        if sandbox is not None:
            capsule.ip = addresses.get(sandbox.id)
    return capsules


def _needs_inspect(entry: dict[str, Any], known: Mapping[str, int]) -> bool:
    if entry.get("State") != "running" or entry.get("Id") not in known:
        return True
    return bool(_JUST_STARTED.match(str(entry.get("Status") or "")))


async def observe_capsule(
    engine: EngineClient, host: str, *, name: str | None = None, uuid: str | None = None
) -> ObservedCapsule | None:
    """The capsule with this uuid (or name) on the host, or None when nothing of it is there.

    By name, when leftovers of several capsules share it, the one with a sandbox wins.
    """
    labels = []
    if uuid:
        labels.append(f"{LABEL_UUID}={uuid}")
    if name:
        labels.append(f"{LABEL_NAME}={name}")
    capsules = await _observe(engine, host, *labels)
    capsules.sort(key=lambda c: c.sandbox is None)
    return capsules[0] if capsules else None


async def observe_host_probed(engine: EngineClient, host: str) -> list[ObservedCapsule]:
    """The capsules on the host whose spec has a liveness or startup probe, inspected.

    What the watcher's prober needs, every few seconds: on a host of 1,000 capsules
    with a few probes, one list call and the inspects of those few, not 2,000 inspects.
    """
    entries = await labeled_containers(engine)
    probed = {labels.get(LABEL_UUID) for e in entries
              if _mentions_probes((labels := e.get("Labels") or {}).get(LABEL_SPEC))}
    await asyncio.sleep(0)  # a terminal UI's keys get a turn after reading the list
    return await _inspected(engine, host, [e for e in entries
                                           if (e.get("Labels") or {}).get(LABEL_UUID) in probed])


def _mentions_probes(spec_label: str | None) -> bool:
    # A text search, not a JSON parse of every spec: a string value that is exactly the
    # word (an env value "livenessProbe") costs its capsule an inspect, nothing more.
    return bool(spec_label) and ('"livenessProbe"' in spec_label or '"startupProbe"' in spec_label)


async def _observe(engine: EngineClient, host: str, *labels: str) -> list[ObservedCapsule]:
    return await _inspected(engine, host, await labeled_containers(engine, *labels))


async def _inspected(engine: EngineClient, host: str, entries: list[dict[str, Any]]) -> list[ObservedCapsule]:
    """The capsules of these list entries, every container inspected, the sandbox's IP filled in."""
    entries = [e for e in entries if (e.get("Labels") or {}).get(LABEL_ROLE) not in NOT_CAPSULE_ROLES]
    inspected = await bounded((_inspect(engine, e["Id"]) for e in entries), _INSPECT_CONCURRENCY)
    details = {data["Id"]: data for data in inspected if data is not None}
    containers = [ObservedContainer.from_inspect(data) for data in details.values()]
    capsules = group_by_capsule(host, containers)
    for capsule in capsules:
        sandbox = capsule.sandbox
        if sandbox is not None:
            capsule.ip = sandbox_ip(details[sandbox.id])
    return capsules


async def _inspect(engine: EngineClient, container: str) -> dict[str, Any] | None:
    try:
        return await engine.inspect(container)
    except NotFound:
        return None  # removed between the list and the inspect: it is gone


def sandbox_ip(inspect: dict[str, Any]) -> str | None:
    """The capsule's address: the sandbox's IP on its (first) network, if it has one."""
    settings = inspect.get("NetworkSettings") or {}
    if settings.get("IPAddress"):
        return str(settings["IPAddress"])
    for network in (settings.get("Networks") or {}).values():
        if network and network.get("IPAddress"):
            return str(network["IPAddress"])
    return None
