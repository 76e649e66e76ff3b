"""What a host says exists: capsules rebuilt from their containers' labels.

The hosts are the truth. Every container the runtime makes carries labels naming its
capsule, role and member, so one `GET /containers/json` per host (plus inspects where
detail is needed) tells which capsules run there (the keys are in runtime.labels).
This module holds the shapes for that view; it does no I/O.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from runtime.labels import (
    LABEL_MANAGED_BY,
    LABEL_MEMBER,
    LABEL_NAME,
    LABEL_REVISION,
    LABEL_ROLE,
    LABEL_SPEC,
    LABEL_UUID,
    MANAGED_BY,
    ROLE_FORWARDER,
    ROLE_INIT,
    ROLE_MEMBER,
    ROLE_SANDBOX,
    ROLE_SIDECAR,
)


@dataclass
class ObservedContainer:
    """One container as the engine reports it (from inspect, or from the list API)."""

    id: str
    name: str  # Docker name without the leading '/'
    role: str
    member: str
    image: str
    state: str  # created | running | paused | restarting | exited | dead | removing
    exit_code: int | None = None
    restart_count: int = 0
    started_at: str | None = None
    finished_at: str | None = None
    oom_killed: bool = False
    error: str = ""
    engine_restart_policy: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    # Why its last run ended as the store recorded it (ContainerRecord.last_termination): a
    # restarted member's OOMKilled, which the engine forgets at the start.
    last_termination: str = ""

    @classmethod
    def from_inspect(cls, data: dict[str, Any]) -> ObservedContainer:
        config = data.get("Config") or {}
        labels = config.get("Labels") or {}
        state = data.get("State") or {}
        host_config = data.get("HostConfig") or {}
        return cls(
            id=data.get("Id", ""),
            name=(data.get("Name") or "").lstrip("/"),
            role=labels.get(LABEL_ROLE, ""),
            member=labels.get(LABEL_MEMBER, ""),
            image=config.get("Image", ""),
            state=state.get("Status", "unknown"),
            exit_code=state.get("ExitCode"),
            restart_count=int(data.get("RestartCount") or 0),
            started_at=_engine_time(state.get("StartedAt")),
            finished_at=_engine_time(state.get("FinishedAt")),
            oom_killed=bool(state.get("OOMKilled")),
            error=state.get("Error") or "",
            engine_restart_policy=(host_config.get("RestartPolicy") or {}).get("Name", ""),
            labels=labels,
        )

    @classmethod
    def from_list_entry(cls, data: dict[str, Any]) -> ObservedContainer:
        """From `GET /containers/json`: cheaper, but no exit code or restart count."""
        labels = data.get("Labels") or {}
        names = data.get("Names") or [""]
        return cls(
            id=data.get("Id", ""),
            name=names[0].lstrip("/"),
            role=labels.get(LABEL_ROLE, ""),
            member=labels.get(LABEL_MEMBER, ""),
            image=data.get("Image", ""),
            state=data.get("State", "unknown"),
            labels=labels,
        )


def _engine_time(value: str | None) -> str | None:
    # The engine reports "0001-01-01T00:00:00Z" for "never".
    if not value or value.startswith("0001-"):
        return None
    return value


@dataclass
class ObservedCapsule:
    host: str
    name: str
    uuid: str
    revision: int
    spec: dict[str, Any]
    containers: list[ObservedContainer]
    ip: str | None = None

    @property
    def sandbox(self) -> ObservedContainer | None:
        return next((c for c in self.containers if c.role == ROLE_SANDBOX), None)

    @property
    def members(self) -> list[ObservedContainer]:
        return [c for c in self.containers if c.role == ROLE_MEMBER]

    @property
    def inits(self) -> list[ObservedContainer]:
        return [c for c in self.containers if c.role == ROLE_INIT]

    @property
    def sidecars(self) -> list[ObservedContainer]:
        """Native sidecars: running helpers, neither members nor init containers to wait for."""
        return [c for c in self.containers if c.role == ROLE_SIDECAR]

    @property
    def probed(self) -> list[ObservedContainer]:
        """The containers whose spec may give them probes: members and native sidecars."""
        return [c for c in self.containers if c.role in (ROLE_MEMBER, ROLE_SIDECAR)]

    @property
    def joined(self) -> list[ObservedContainer]:
        """Every container that keeps running in the sandbox's network namespace: members, sidecars,
        and the port forwarder of a capsule named like its Service (runtime.services)."""
        return [c for c in self.containers if c.role in (ROLE_MEMBER, ROLE_SIDECAR, ROLE_FORWARDER)]


def group_by_capsule(host: str, containers: list[ObservedContainer]) -> list[ObservedCapsule]:
    """Group labeled containers into capsules, keyed by uuid, in name order."""
    groups: dict[str, list[ObservedContainer]] = {}
    for container in containers:
        uuid = container.labels.get(LABEL_UUID)
        if uuid and container.labels.get(LABEL_MANAGED_BY) == MANAGED_BY:
            groups.setdefault(uuid, []).append(container)
    capsules = []
    for uuid, members in groups.items():
        labels = members[0].labels
        spec_json = next(
            (c.labels.get(LABEL_SPEC) for c in members if c.labels.get(LABEL_SPEC)), None
        )
        try:
            spec = json.loads(spec_json) if spec_json else {}
        except json.JSONDecodeError:
            spec = {}
        capsules.append(
            ObservedCapsule(
                host=host,
                name=labels.get(LABEL_NAME, ""),
                uuid=uuid,
                revision=int(labels.get(LABEL_REVISION, "1") or 1),
                spec=spec,
                containers=members,
            )
        )
    return sorted(capsules, key=lambda c: (c.name, c.uuid))
