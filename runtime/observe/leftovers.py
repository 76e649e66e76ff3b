"""Which of a host's capsule objects belong to no capsule: what dead creates left behind.

Everything capsule makes carries its capsule's uuid label from the first call, so a
create killed at any moment (SIGKILL, a host cut off during its clean-up) leaves
objects that can be found. They belong to no capsule when:
- this machine's store says the uuid's create failed; or that it was interrupted (its
  lease is held by no live process) before its members were made (a create killed
  after that built the whole capsule: it is one); or
- the store does not know the uuid (another machine made it, or the row was lost),
  the uuid has no sandbox container (every capsule has one from its first moments:
  only the volumes and the volume-filling helpers of a create come before it), and
  nothing of it is younger than `grace` seconds (a create under way elsewhere is
  given that long to make its sandbox).
A uuid with a sandbox that the store does not know is a capsule, whoever made it:
it is listed (and deleted by name), never swept.

Pure: list entries and volume entries in, uuids out. It must not talk to engines.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from runtime.labels import (
    LABEL_NAME,
    LABEL_NAMESPACE,
    LABEL_ROLE,
    LABEL_SCOPE,
    LABEL_UUID,
    ROLE_MEMBER,
    ROLE_SANDBOX,
    SCOPE_PERSISTENT,
)

DEFAULT_GRACE = 60.0
# What this machine's store knows of a uuid (None: nothing).
Known = Literal["live", "failed", "interrupted"] | None


@dataclass
class Leftover:
    """What one uuid has on a host: its containers' names and its capsule-scoped volumes."""

    uuid: str
    name: str = ""
    containers: list[str] = field(default_factory=list)
    volumes: list[str] = field(default_factory=list)
    has_sandbox: bool = False
    has_members: bool = False  # the build got to its last step
    newest: float = 0.0  # epoch seconds of its youngest object


def group_by_uuid(containers: Iterable[Mapping[str, Any]], volumes: Iterable[Mapping[str, Any]]
                  ) -> dict[str, Leftover]:
    """Containers (list entries) and volumes (volume list entries) of capsule, per uuid label.

    Persistent volumes are left out: they outlive capsules on purpose.
    """
    found: dict[str, Leftover] = {}
    for entry in containers:
        labels = entry.get("Labels") or {}
        uuid = labels.get(LABEL_UUID)
        if not uuid:
            continue
        item = found.setdefault(uuid, Leftover(uuid, labels.get(LABEL_NAME, "")))
        item.containers.append((entry.get("Names") or [entry.get("Id", "")])[0].lstrip("/"))
        item.has_sandbox = item.has_sandbox or labels.get(LABEL_ROLE) == ROLE_SANDBOX
        item.has_members = item.has_members or labels.get(LABEL_ROLE) == ROLE_MEMBER
        item.newest = max(item.newest, float(entry.get("Created") or 0))
    for entry in volumes:
        labels = entry.get("Labels") or {}
        uuid = labels.get(LABEL_UUID)
        if not uuid or labels.get(LABEL_SCOPE) == SCOPE_PERSISTENT:
            continue
        item = found.setdefault(uuid, Leftover(uuid, labels.get(LABEL_NAME, "")))
        item.volumes.append(str(entry.get("Name", "")))
        item.newest = max(item.newest, _epoch(entry.get("CreatedAt")))
    return found


def dead(found: Mapping[str, Leftover], *, known: Callable[[str], Known], now: float,
         grace: float = DEFAULT_GRACE) -> list[Leftover]:
    """The uuids that belong to no capsule, by the rules above (`known`: what the store says)."""
    gone = []
    for item in found.values():
        verdict = known(item.uuid)
        if (verdict == "failed" or (verdict == "interrupted" and not item.has_members)
                or (verdict is None and not item.has_sandbox and now - item.newest >= grace)):
            gone.append(item)
    return sorted(gone, key=lambda item: (item.name, item.uuid))


def unused_networks(networks: Iterable[Mapping[str, Any]], containers: Iterable[Mapping[str, Any]], *,
                    now: float, grace: float = DEFAULT_GRACE) -> list[str]:
    """Namespace networks capsule made that nothing of their namespace uses (a create killed
    after it made the network), older than `grace` (a create may be about to use a new one)."""
    holding = {str((e.get("Labels") or {}).get(LABEL_NAMESPACE)) for e in containers}
    found = []
    for network in networks:
        labels = network.get("Labels") or {}
        namespace = labels.get(LABEL_NAMESPACE)
        if (namespace and namespace not in holding and not network.get("Containers")
                and now - _epoch(network.get("Created")) >= grace):
            found.append(str(network.get("Name")))
    return sorted(found)


def _epoch(text: Any) -> float:
    """A volume's CreatedAt (RFC 3339, possibly with nanoseconds) as epoch seconds; 0 if unreadable."""
    if not isinstance(text, str) or not text:
        return 0.0
    head, _, rest = text.partition(".")
    zone = rest.lstrip("0123456789") if rest else ""
    try:
        return datetime.fromisoformat((head + (zone or "")).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return 0.0
