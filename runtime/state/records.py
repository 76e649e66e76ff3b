"""The rows of the state store, and the capsule facts they keep, taken from a spec.

A `CapsuleRecord` is what the store remembers of one capsule: its identity, where it
runs, its last known status and why, and the readable facts `capsule list` shows
(IP, requested CPU and memory, labels, ports, volumes). The facts are computed from
the normalized capsule document (the same dict the `capsule.spec` label carries), so
a capsule found on a host, created from another machine, gets the same row as one
created here.

Pure data and pure functions: no I/O. Secret values never reach a record, because
the normalized document holds only references to Secrets.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

MESSAGE_HISTORY_LIMIT = 50


@dataclass
class ContainerRecord:
    id: str
    capsule_uuid: str
    name: str
    role: str
    member: str
    image: str
    state: str
    restarts: int = 0
    exit_code: int | None = None
    # Why its last run ended, as Kubernetes' lastState.terminated.reason: OOMKilled, Error,
    # Completed, "" (none seen). Kept across restarts (the engine forgets OOMKilled at a start).
    last_termination: str = ""


@dataclass
class CapsuleRecord:
    uuid: str
    name: str
    host: str
    status: str
    status_reason: str = ""
    ip: str | None = None
    cpu: float = 0.0  # cores requested
    memory: int = 0  # bytes requested
    labels: dict[str, str] = field(default_factory=dict)
    restart_policy: str = "Always"
    ports: list[dict[str, Any]] = field(default_factory=list)
    volumes: list[dict[str, Any]] = field(default_factory=list)
    spec: dict[str, Any] = field(default_factory=dict)
    revision: int = 1
    created_at: float = field(default_factory=time.time)
    started_at: float | None = None
    messages: list[dict[str, Any]] = field(default_factory=list)
    # A create that failed and left nothing on the host: kept so that the failure
    # and its reason stay visible, although no host reports the capsule.
    create_failed: bool = False
    # While a create is under way its row exists before any container does; until
    # this time (epoch seconds) reconciling must not take the row for deleted.
    lease_until: float | None = None
    owner: str = ""  # "<machine>:<pid>" of the process creating it, while it does
    ready: int = 0
    total: int = 0
    restarts: int = 0
    containers: list[ContainerRecord] = field(default_factory=list)

    def add_message(self, text: str, *, status: str | None = None, at: float | None = None) -> None:
        """Append to the readable history, keeping the newest entries only."""
        self.messages.append({"time": at or time.time(), "status": status or self.status, "text": text})
        del self.messages[:-MESSAGE_HISTORY_LIMIT]

    def take_lease(self, seconds: float) -> None:
        self.lease_until = time.time() + seconds
        self.owner = f"{socket.gethostname()}:{os.getpid()}"

    def drop_lease(self) -> None:
        self.lease_until, self.owner = None, ""

    def lease_active(self, now: float | None = None) -> bool:
        """True while a create of this capsule is under way (and its process lives)."""
        if self.lease_until is None or self.lease_until <= (now or time.time()):
            return False
        machine, _, pid = self.owner.rpartition(":")
        if machine == socket.gethostname() and pid.isdigit():
            return _process_alive(int(pid))
        return True  # another machine's create: trust its lease until it runs out

    @property
    def images(self) -> list[str]:
        body = spec_body(self.spec)
        return [str(c.get("image", "")) for c in body.get("containers") or [] if isinstance(c, dict)]


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass
class EventRecord:
    id: int
    time: float
    capsule: str
    uuid: str
    host: str
    kind: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "time": self.time,
            "kind": self.kind,
            "capsule": self.capsule,
            "uuid": self.uuid,
            "host": self.host,
            "message": self.message,
        }


@dataclass
class Revision:
    """One row of a capsule's history (see runtime.state.revisions for what the outcomes mean)."""

    name: str
    revision: int
    host: str
    uuid: str
    spec: dict[str, Any]
    created_at: float
    outcome: str
    reason: str = ""
    source: str = ""
    finished_at: float | None = None
    images: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "revision": self.revision, "host": self.host, "uuid": self.uuid,
                "created_at": self.created_at, "finished_at": self.finished_at, "outcome": self.outcome,
                "reason": self.reason, "source": self.source, "images": self.images}


def spec_body(spec: dict[str, Any] | None) -> dict[str, Any]:
    """The `spec` part of a normalized document (or the dict itself if it is a body)."""
    if not isinstance(spec, dict):
        return {}
    inner = spec.get("spec")
    return inner if isinstance(inner, dict) else spec


def spec_metadata(spec: Mapping[str, Any] | None, key: str) -> str | None:
    """A text field of a normalized document's metadata (namespace, workload, ...), None when unset.

    Specs come from labels on hosts that any version of capsule (or a person) may have
    written: anything but a non-empty string reads as unset.
    """
    metadata = spec.get("metadata") if isinstance(spec, Mapping) else None
    value = metadata.get(key) if isinstance(metadata, Mapping) else None
    return value if isinstance(value, str) and value else None


def spec_labels(spec: Mapping[str, Any] | None) -> dict[str, str]:
    metadata = spec.get("metadata") if isinstance(spec, Mapping) else None
    labels = metadata.get("labels") if isinstance(metadata, Mapping) else None
    return {str(k): str(v) for k, v in labels.items()} if isinstance(labels, Mapping) else {}


def _placement(container: dict[str, Any], key: str) -> float:
    resources = container.get("resources") or {}
    for part in ("requests", "limits"):
        value = (resources.get(part) or {}).get(key)
        if isinstance(value, (int, float)):
            return float(value)
    return 0.0


def requested(spec: dict[str, Any] | None) -> tuple[float, int]:
    """(cores, bytes) the capsule asks for: members' sum or the largest init container's."""
    body = spec_body(spec)
    members = [c for c in body.get("containers") or [] if isinstance(c, dict)]
    inits = [c for c in body.get("initContainers") or [] if isinstance(c, dict)]
    cpu = max(sum(_placement(c, "cpu") for c in members), max((_placement(c, "cpu") for c in inits), default=0.0))
    memory = max(
        sum(_placement(c, "memory") for c in members), max((_placement(c, "memory") for c in inits), default=0.0)
    )
    return round(cpu, 3), int(memory)


def spec_ports(spec: dict[str, Any] | None) -> list[dict[str, Any]]:
    ports = []
    for container in spec_body(spec).get("containers") or []:
        if not isinstance(container, dict):
            continue
        for port in container.get("ports") or []:
            if isinstance(port, dict):
                ports.append({"member": container.get("name", ""), **port})
    return ports


def spec_volumes(spec: dict[str, Any] | None) -> list[dict[str, Any]]:
    volumes = []
    for volume in spec_body(spec).get("volumes") or []:
        if isinstance(volume, dict):
            # ConfigMap file contents are not secret but can be large: keep names only.
            if "configMap" in volume:
                body = dict(volume["configMap"])
                body["files"] = sorted((body.get("files") or {}).keys())
                volume = {**volume, "configMap": body}
            volumes.append(volume)
    return volumes


def record_from_spec(
    spec: dict[str, Any], *, uuid: str, host: str, status: str, reason: str = "", revision: int = 1
) -> CapsuleRecord:
    """A fresh record for a capsule, with every fact the spec gives."""
    cpu, memory = requested(spec)
    body = spec_body(spec)
    metadata = spec.get("metadata") if isinstance(spec.get("metadata"), dict) else {}
    return CapsuleRecord(
        uuid=uuid,
        name=str(metadata.get("name", "")),
        host=host,
        status=status,
        status_reason=reason,
        cpu=cpu,
        memory=memory,
        labels=spec_labels(spec),
        restart_policy=str(body.get("restartPolicy", "Always")),
        ports=spec_ports(spec),
        volumes=spec_volumes(spec),
        spec=spec,
        revision=revision,
    )
