"""What capsules a host runs, read from the host itself: labels, then inspects.

One `GET /containers/json` filtered on `capsule.managed-by=capsule` finds every
container the runtime made; inspecting them (concurrently, a bounded number at a
time) gives exit codes, restart counts and the sandbox's address; grouping by the
uuid label (`runtime.observed.group_by_capsule`) rebuilds the capsules.

Read-only: this module never changes anything on a host. Upload helpers (role
helper, alive for a fraction of a second during a build) are left out of the view.
"""

from __future__ import annotations

from typing import Any

from runtime import observed as L
from runtime.concurrently import bounded
from runtime.engine_client import EngineClient
from runtime.engine_errors import NotFound
from runtime.observed import ObservedCapsule, ObservedContainer, group_by_capsule
from runtime.teardown import labeled_containers
from runtime.volumes import ROLE_HELPER

# Inspects in flight at once per host: well inside the client's connection pool.
_INSPECT_CONCURRENCY = 16


async def observe_host(engine: EngineClient, host: str) -> list[ObservedCapsule]:
    """Every capsule on the host, with inspected containers and the sandbox's IP."""
    return await _observe(engine, host)


async def observe_capsule(
    engine: EngineClient, host: str, *, name: str | None = None, uuid: str | None = None
) -> ObservedCapsule | None:
    """The capsule with this uuid (or name) on the host, or None when nothing of it is there.

    By name, when leftovers of several capsules share it, the one with a sandbox wins.
    """
    labels = []
    if uuid:
        labels.append(f"{L.LABEL_UUID}={uuid}")
    if name:
        labels.append(f"{L.LABEL_NAME}={name}")
    capsules = await _observe(engine, host, *labels)
    capsules.sort(key=lambda c: c.sandbox is None)
    return capsules[0] if capsules else None


async def _observe(engine: EngineClient, host: str, *labels: str) -> list[ObservedCapsule]:
    entries = await labeled_containers(engine, *labels)
    entries = [e for e in entries if (e.get("Labels") or {}).get(L.LABEL_ROLE) != ROLE_HELPER]
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
