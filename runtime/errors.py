"""The errors `CapsuleService` raises: each message says what happened and what to do.

Every one is a `CapsuleError` with an `exit_code` the command line returns as is:
1 for an operation that failed on a host, 2 for input the user can fix (an unknown
host, a bad selector, a spec the options refuse). Engine errors below are turned into
these with the host named, so nothing above the service needs to know the engine
client's classes.

This module must not import anything beyond the standard library.
"""

from __future__ import annotations

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2


class CapsuleError(Exception):
    exit_code = EXIT_FAILED

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class BadRequest(CapsuleError):
    """The request cannot work as given (unknown host, bad selector, refused spec)."""

    exit_code = EXIT_BAD_INPUT


class CapsuleExists(CapsuleError):
    """The name is taken: on a host, or by a create under way."""

    def __init__(self, name: str, host: str, detail: str = "") -> None:
        extra = f" ({detail})" if detail else ""
        super().__init__(
            f"capsule {name} already exists on host {host}{extra}; choose another name, "
            f"or delete it first with: capsule delete {name}"
        )
        self.name = name
        self.host = host


class CapsuleNotFound(CapsuleError):
    """No host (or the store) knows a capsule of that name."""

    def __init__(self, name: str) -> None:
        super().__init__(f"capsule {name!r} not found on any host (capsule list shows what exists)")
        self.name = name


class CreateFailed(CapsuleError):
    """The capsule could not be created or did not come up; `reason` is the one-line cause."""

    def __init__(self, name: str, host: str, reason: str) -> None:
        super().__init__(f"capsule {name} failed on host {host}: {reason}")
        self.name = name
        self.host = host
        self.reason = reason


class CreateTimedOut(CreateFailed):
    def __init__(self, name: str, host: str, timeout: float, last_reason: str) -> None:
        reason = f"not Running after {timeout:g} s" + (f" ({last_reason})" if last_reason else "")
        super().__init__(name, host, reason + "; it was left in place: capsule describe " + name
                         + " shows why, capsule delete " + name + " removes it")
        self.timeout = timeout


class DeleteFailed(CapsuleError):
    def __init__(self, name: str, host: str, reason: str) -> None:
        super().__init__(f"could not delete capsule {name} on host {host}: {reason}")
        self.name = name
        self.host = host
