"""The errors of the day-to-day operations on a running capsule (logs, exec, top, cp, run).

Each message is written for the person at the terminal: what is wrong and what to
do about it. Engine failures are not wrapped: they stay `EngineError`s from the
engine client, which already name the host.

They are `CapsuleError`s, so a command handles them like the service's own errors;
`CapsuleNotFound` is the service's one class, re-exported here for the operations.

This module must not import anything beyond the standard library and
`runtime.errors` (which imports nothing else either).
"""

from __future__ import annotations

from runtime.errors import CapsuleError, CapsuleNotFound

__all__ = ["CapsuleNotFound", "CopyError", "MemberNotFound", "MemberNotRunning", "OperationError", "UnsafeArchive"]


class OperationError(CapsuleError):
    """Base of the errors an operation on a capsule raises for a user mistake or state."""


class MemberNotFound(OperationError):
    """The capsule has no member (or init container) of that name."""

    def __init__(self, capsule: str, member: str, known: list[str]) -> None:
        listed = ", ".join(known) if known else "none"
        super().__init__(f"capsule {capsule!r} has no member {member!r}; its members are: {listed}")
        self.capsule = capsule
        self.member = member
        self.known = known


class MemberNotRunning(OperationError):
    """The operation needs a running container and the member is not running."""

    def __init__(self, capsule: str, member: str, state: str) -> None:
        verb = "unpause" if state == "paused" else "start"
        super().__init__(
            f"member {member!r} of capsule {capsule!r} is {state}, not running; "
            f"{verb} it with: capsule {verb} {capsule}"
        )
        self.capsule = capsule
        self.member = member
        self.state = state


class CopyError(OperationError):
    """A `capsule cp` that cannot be carried out as asked (bad path, wrong kind of target)."""


class UnsafeArchive(CopyError):
    """An archive from a container holds an entry that would land outside the destination."""
