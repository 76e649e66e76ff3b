"""Each member's CPU and memory limit, as the builder set them (runtime/build/container_config.py).

A member's cap is its limit, or its request when it has no limit (the original
design: `_resources` gives the engine NanoCpus and Memory from the same rule). A
capsule's cap is the sum of its running members' and sidecars' caps, and
unlimited as soon as one of them is: the sandbox (a pause process) and the port
forwarder have none, and are not counted.
Pure functions over the normalized spec dict: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from runtime.state.records import spec_body


@dataclass(frozen=True)
class Limits:
    cpu: float | None = None  # cores; None: unlimited
    memory: int | None = None  # bytes; None: unlimited


UNLIMITED = Limits()


def _cap(resources: dict[str, Any], key: str) -> float | None:
    for part in ("limits", "requests"):
        value = (resources.get(part) or {}).get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value) if value else None
    return None


def member_limits(spec: dict[str, Any] | None) -> dict[str, Limits]:
    """Member (and init container, sidecar) name → its caps; a name the spec lacks is unlimited."""
    body = spec_body(spec)
    caps: dict[str, Limits] = {}
    for key in ("initContainers", "containers"):
        for container in body.get(key) or []:
            if isinstance(container, dict) and isinstance(container.get("name"), str):
                resources = container.get("resources") or {}
                memory = _cap(resources, "memory")
                caps[container["name"]] = Limits(_cap(resources, "cpu"), int(memory) if memory else None)
    return caps


def capsule_limits(members: Iterable[Limits]) -> Limits:
    """The sum of the members' caps; unlimited (per resource) when any member is, or there is none."""
    members = list(members)
    if not members:
        return UNLIMITED
    cpus = [m.cpu for m in members]
    memories = [m.memory for m in members]
    return Limits(None if None in cpus else sum(cpus),  # type: ignore[arg-type]
                  None if None in memories else sum(memories))  # type: ignore[arg-type]
