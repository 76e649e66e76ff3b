"""What the service hands to the command line and the terminal UI: plain rows to show.

`CapsuleView` is one line of `capsule list` (and the data of `-o json|yaml`);
`CapsuleDetail` is `capsule describe`: the view plus members, volumes, messages and
recent events. Both are built from store records after reconciling with the hosts.

The other values the service hands over (events, log lines, host facts, live resource use) are named
here too, so that the command line and the UI take every value from the door's own
modules, never from the rooms behind it (tests/structure/test_imports.py checks it).

Secrets: views carry only what the normalized spec carries, i.e. references to
Secrets, never their values; env values of secret references show as the reference.
Pure data, no I/O.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from typing import Any

from runtime.errors import CapsuleError
from runtime.observe.observed import ObservedCapsule, ObservedContainer
from runtime.observe.status import display_status
from runtime.ops.logs import MemberLogLine, timestamp_key
from runtime.placement.host_facts import HostFacts
from runtime.state.events import EVENT_KINDS
from runtime.state.records import CapsuleRecord, EventRecord, spec_body, spec_metadata
from runtime.usage.capsules import CapsuleUsage, MemberUsage, Usage

__all__ = ["EVENT_KINDS", "CapsuleDetail", "CapsuleUsage", "CapsuleView", "EventRecord", "HostFacts", "MemberLogLine",
           "MemberUsage", "MemberView", "Usage", "detail_of", "timestamp_key", "view_of"]


@dataclass
class CapsuleView:
    name: str
    host: str
    status: str
    reason: str
    ready: str  # "2/3"
    restarts: int
    ip: str | None
    age_seconds: float
    uuid: str
    labels: dict[str, str] = field(default_factory=dict)
    ports: list[str] = field(default_factory=list)  # "8080->80/TCP (web)"
    images: list[str] = field(default_factory=list)
    cpu: float = 0.0
    memory: int = 0
    restart_policy: str = "Always"
    revision: int = 1
    created_at: float = 0.0
    started_at: float | None = None
    namespace: str | None = None  # its application (Kubernetes' namespace); None: none
    workload: str | None = None  # "Deployment/web": the workload whose replica it is
    # What the list's STATUS shows (CrashLoopBackOff, Init:1/2, Error, Completed...), as
    # kubectl's STATUS differs from a pod's phase; `status` stays the phase.
    display: str = ""

    def to_dict(self) -> dict[str, Any]:
        # Not dataclasses.asdict: its deep copy was a tenth of `capsule list -o json`.
        data = {name: getattr(self, name) for name in _VIEW_FIELDS}
        data["labels"], data["ports"], data["images"] = dict(self.labels), list(self.ports), list(self.images)
        data["created"] = _iso(self.created_at)
        data["started"] = _iso(self.started_at) if self.started_at else None
        return data


# CapsuleView's fields in order, less the two times to_dict writes as ISO text.
_VIEW_FIELDS = tuple(f.name for f in fields(CapsuleView) if f.name not in ("created_at", "started_at"))


@dataclass
class MemberView:
    name: str
    role: str  # member | init | sandbox
    image: str
    state: str
    restarts: int
    exit_code: int | None
    docker_name: str
    container_id: str


@dataclass
class CapsuleDetail:
    view: CapsuleView
    members: list[MemberView]
    volumes: list[dict[str, Any]]
    env: dict[str, list[str]]  # member -> ["NAME=value", "PASSWORD=<secret db/password>"]
    messages: list[dict[str, Any]]
    events: list[EventRecord]
    placement: str = ""  # why it is on its host (runtime.placement.record)

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.view.to_dict(),
            "members": [asdict(m) for m in self.members],
            "volumes": self.volumes,
            "env": self.env,
            "messages": [{**m, "time": _iso(m.get("time", 0))} for m in self.messages],
            "events": [{**e.to_dict(), "time": _iso(e.time)} for e in self.events],
            "placement": self.placement,
        }


def _iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).isoformat(timespec="seconds")


def format_port(port: dict[str, Any]) -> str:
    protocol = port.get("protocol", "TCP")
    inner = f"{port.get('containerPort')}/{protocol}"
    text = f"{port['hostPort']}->{inner}" if port.get("hostPort") else inner
    return f"{text} ({port['member']})" if port.get("member") else text


def view_of(record: CapsuleRecord, *, now: float | None = None) -> CapsuleView:
    moment = now or time.time()
    return CapsuleView(
        name=record.name,
        host=record.host,
        status=record.status,
        reason=record.status_reason,
        ready=f"{record.ready}/{record.total or len(_members(record))}",
        restarts=record.restarts,
        ip=record.ip,
        age_seconds=round(max(0.0, moment - record.created_at), 1),
        uuid=record.uuid,
        labels=dict(record.labels),
        ports=[format_port(p) for p in record.ports],
        images=record.images,
        cpu=record.cpu,
        memory=record.memory,
        restart_policy=record.restart_policy,
        revision=record.revision,
        created_at=record.created_at,
        started_at=record.started_at,
        namespace=spec_metadata(record.spec, "namespace"),
        workload=spec_metadata(record.spec, "workload"),
        display=_display(record),
    )


def _display(record: CapsuleRecord) -> str:
    """The list's word for the record's phase, from the containers the store keeps of it."""
    if record.create_failed:
        return record.status
    containers = [ObservedContainer(c.id, c.name, c.role, c.member, c.image, c.state, c.exit_code, c.restarts,
                                    last_termination=c.last_termination)
                  for c in record.containers]
    observed = ObservedCapsule(record.host, record.name, record.uuid, record.revision, record.spec, containers)
    return display_status(observed, record.spec, status=record.status)


def _members(record: CapsuleRecord) -> list[dict[str, Any]]:
    return [c for c in spec_body(record.spec).get("containers") or [] if isinstance(c, dict)]


def _env_lines(container: dict[str, Any]) -> list[str]:
    lines = []
    for var in container.get("env") or []:
        source = var.get("valueFrom") or {}
        ref = source.get("secretKeyRef")
        # Run-time values are the member's own (docker inspect has them); the spec names the source.
        field, resource = source.get("fieldRef") or {}, source.get("resourceFieldRef") or {}
        if ref:
            lines.append(f"{var.get('name')}=<secret {ref.get('name')}/{ref.get('key')}>")
        elif field:
            lines.append(f"{var.get('name')}=<{field.get('fieldPath')}>")
        elif resource:
            of = f" of {resource['containerName']}" if resource.get("containerName") else ""
            lines.append(f"{var.get('name')}=<{resource.get('resource')}{of} / {resource.get('divisor', '1')}>")
        else:
            lines.append(f"{var.get('name')}={var.get('value', '')}")
    return lines


def detail_of(record: CapsuleRecord, events: list[EventRecord], *, now: float | None = None) -> CapsuleDetail:
    spec_members = {c.get("name"): c for c in _members(record)}
    inits = {c.get("name"): c for c in spec_body(record.spec).get("initContainers") or [] if isinstance(c, dict)}
    seen = {(c.role, c.member) for c in record.containers}
    # The sandbox, then init containers in the order they run, then members as the spec lists them.
    position = {("init", n): i for i, n in enumerate(inits)} | {("member", n): i for i, n in enumerate(spec_members)}
    members = [
        MemberView(c.member or "(sandbox)", c.role, c.image, c.state, c.restarts, c.exit_code, c.name, c.id[:12])
        for c in sorted(record.containers, key=lambda c: ({"sandbox": 0, "init": 1}.get(c.role, 2),
                                                            position.get((c.role, c.member), len(position)), c.member))
    ]
    # Members the spec names but no host reports (a failed create, or removed outside capsule).
    for role, table in (("init", inits), ("member", spec_members)):
        for name, container in table.items():
            if (role, name) not in seen:
                members.append(MemberView(str(name), role, str(container.get("image", "")), "absent", 0, None, "", ""))
    env = {str(name): _env_lines(c) for name, c in {**inits, **spec_members}.items() if c.get("env")}
    return CapsuleDetail(view_of(record, now=now), members, list(record.volumes), env, list(record.messages), events)


@dataclass
class ServiceView:
    """A Service as `capsule services` and the UI show it: where, its address, its backends
    (runtime.services_flow.list_services)."""

    name: str
    namespace: str
    type: str
    ports: str  # "80->8080/TCP,443->https/TCP"
    host: str
    address: str | None
    backends: list[str]  # "capsule address:port", every target of every port
    ready: int  # capsules serving
    total: int  # capsules its selector matches in the namespace
    headless: bool = False
    spec: dict[str, Any] = field(default_factory=dict)  # Service.to_dict(): what `apply` compares


@dataclass
class ServiceDeleted:
    """What `capsule delete service/NAME` did to one Service: the hosts it went from, or why not."""

    name: str
    namespace: str
    hosts: list[str] = field(default_factory=list)
    error: CapsuleError | None = None
