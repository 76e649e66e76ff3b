"""Which containers of an observed capsule an operation acts on, in a stable order.

Operations name members as the user wrote them (`-c web`), not by Docker name. The
order is the spec's (so "the first member" means the first container of the file),
then members added later with `capsule run`, by name. Init containers can be picked
by name but are never a default.

Pure functions over `ObservedCapsule`: no I/O, no engine.
"""

from __future__ import annotations

from runtime.errors import MemberNotFound
from runtime.observe.observed import ObservedCapsule, ObservedContainer


def _spec_order(capsule: ObservedCapsule) -> list[str]:
    # The label holds the normalized document; tolerate a bare spec body too.
    body = capsule.spec.get("spec", capsule.spec) if isinstance(capsule.spec, dict) else {}
    containers = body.get("containers") if isinstance(body, dict) else None
    return [c.get("name", "") for c in containers or [] if isinstance(c, dict)]


def ordered_members(capsule: ObservedCapsule) -> list[ObservedContainer]:
    """The capsule's members: spec order first, then added ones by name."""
    order = {name: i for i, name in enumerate(_spec_order(capsule))}
    return sorted(capsule.members, key=lambda c: (order.get(c.member, len(order)), c.member))


def member_names(capsule: ObservedCapsule) -> list[str]:
    return [c.member for c in ordered_members(capsule)] + [c.member for c in capsule.sidecars + capsule.inits]


def pick_member(capsule: ObservedCapsule, name: str | None) -> ObservedContainer:
    """The member called `name` (init containers included), or the first member when None."""
    members = ordered_members(capsule)
    if name is None:
        if not members:
            raise MemberNotFound(capsule.name, "(first member)", member_names(capsule))
        return members[0]
    for container in members + capsule.sidecars + capsule.inits:
        if container.member == name:
            return container
    raise MemberNotFound(capsule.name, name, member_names(capsule))


def pick_members(capsule: ObservedCapsule, name: str | None) -> list[ObservedContainer]:
    """One named member, or every member (not the init containers) when None."""
    if name is not None:
        return [pick_member(capsule, name)]
    return ordered_members(capsule)
