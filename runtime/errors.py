"""Every error the runtime raises: one tree under `CapsuleError`, the exit code on the class.

    CapsuleError                      exit 1: an operation failed (a host, a build, a timeout)
    ├── BadRequest                    exit 2: input the user can fix
    │   ├── UnknownHost, SelectorError, HostSettingError, UnknownStrategy
    │   └── InventoryError            (InventoryFileError, HostExists, HostNotInInventory)
    ├── CapsuleNotFound, CapsuleExists, CreateFailed (CreateTimedOut), DeleteFailed, UpdateFailed
    ├── ServiceExists, ServiceNotFound
    ├── HostFailed                    a host could not do it (an engine client error, translated)
    ├── OperationError                (MemberNotFound, MemberNotRunning, CopyError, UnsafeArchive,
    │                                  CopyArgumentError: exit 2, OperationFailed)
    ├── BuildFailed                   (BuildRefused: exit 2; BuildCancelled: also a CancelledError)
    ├── SchedulingError               (NoHostFits, in runtime.placement.scheduler), HostLockTimeout
    ├── StoreError                    (NameTaken)
    ├── ProbeError                    (ProbeTargetGone), NotReady
    └── WatcherBusy

Each message is written for the person at the terminal: what happened, on which
host, and what to do. The command line turns any of them into that message and
`exit_code` in one place (capsule_tui/commands/exits.py); nothing above the
service sees the engine client's own errors (runtime.engine.errors), which the
service translates into HostFailed. A few errors that need their module's logic to
word themselves (NoHostFits, CreateErrors) are defined there, on these bases.

This module must not import anything beyond the standard library.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2


class CapsuleError(Exception):
    """The root of the runtime's errors; `str()` is the message, `exit_code` what a command returns."""

    exit_code = EXIT_FAILED

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message

    def mask(self, hide: Callable[[str], str]) -> None:
        """Pass the message, and the `reason` of the errors that have one, through `hide`, in place.

        For secret values that an engine's or a container's words carried into them
        (translate.secrets.SecretMask): the same error is raised on, masked.
        """
        self.message = hide(self.message)
        self.args = (self.message, *self.args[1:])
        reason = getattr(self, "reason", None)
        if isinstance(reason, str):
            self.reason = hide(reason)


class BadRequest(CapsuleError):
    """The request cannot work as given (unknown host, bad selector, refused spec)."""

    exit_code = EXIT_BAD_INPUT


# -- hosts --------------------------------------------------------------------------------


class UnresolvedReferences(BadRequest):
    """References to ConfigMaps or Secrets that are neither in the input nor stored; `problems`
    holds one line each (where the capsule came from, the field, namespace/name/key)."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = list(problems)


class UnknownHost(BadRequest):
    """A host name that is not among the configured hosts."""

    def __init__(self, name: str, known: Sequence[str]) -> None:
        listed = ", ".join(known) or "none"
        super().__init__(f"host {name!r} is not configured; known hosts: {listed}; "
                         f"pass one of them with --host")
        self.name = name
        self.known = list(known)


class HostSettingError(BadRequest):
    """A host's settings cannot be accepted; `hint` says how to fix them."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(f"{message} ({hint})" if hint else message)
        self.reason = message
        self.hint = hint


class InventoryError(BadRequest):
    """Base of the host inventory's errors; the message says what to fix."""


class InventoryFileError(InventoryError):
    """The inventory file cannot be used; `diagnostics` name the line and field of each problem."""

    def __init__(self, diagnostics: Sequence[Any]) -> None:
        self.diagnostics = list(diagnostics)
        super().__init__("the host inventory cannot be read:\n"
                         + "\n".join(d.format() for d in self.diagnostics))


class HostExists(InventoryError):
    def __init__(self, name: str, path: Path) -> None:
        super().__init__(f"host {name!r} is already in the inventory ({path}); remove it first "
                         f"(capsule hosts remove {name}) or choose another name.")


class HostNotInInventory(InventoryError):
    def __init__(self, name: str, path: Path, known: Sequence[str]) -> None:
        listed = ", ".join(known) or "none"
        super().__init__(f"host {name!r} is not in the inventory ({path}); hosts there: {listed}.")


class HostFailed(CapsuleError):
    """A host could not carry out a call: unreachable, or its engine refused or failed.

    The service raises it for the engine client's errors, whose messages already
    name the host and say what to do; `host` is the host's inventory name.
    """

    def __init__(self, message: str, *, host: str = "") -> None:
        super().__init__(message)
        self.host = host


class SelectorError(BadRequest):
    """A label selector that cannot be read; the message shows the accepted forms."""


# -- capsules -----------------------------------------------------------------------------


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


class ServiceExists(CapsuleError):
    """A Service of the input already exists in its namespace."""

    def __init__(self, name: str, namespace: str, host: str) -> None:
        super().__init__(
            f"service {name} already exists in namespace {namespace} (on host {host}); delete it first "
            f"(capsule delete service/{name} -n {namespace}, or capsule delete -f with the file that made it)"
        )
        self.name = name
        self.host = host


class ServiceNotFound(CapsuleError):
    def __init__(self, name: str, namespace: str) -> None:
        super().__init__(f"no service {name} in namespace {namespace}; capsule services lists them")
        self.name = name


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


class UpdateFailed(CapsuleError):
    """The new revision did not come up; the old one was restored (the message says so)."""

    def __init__(self, name: str, host: str, reason: str, *, restored: bool = True, revision: int = 0,
                 untouched: bool = False) -> None:
        if untouched:
            after = f"; nothing was changed: revision {revision} still serves"
        elif restored:
            after = f"; revision {revision} was restored and serves as before"
        else:
            after = "; the old revision could not be restored: capsule describe " + name + " shows what is left"
        super().__init__(f"update of capsule {name} on host {host} failed: {reason}{after}")
        self.name, self.host, self.reason, self.restored = name, host, reason, restored


# -- operations on a running capsule ------------------------------------------------------


class OperationError(CapsuleError):
    """Base of the errors an operation on a capsule raises for a user mistake or state."""


class MemberNotFound(OperationError):
    """The capsule has no member (or init container) of that name."""

    def __init__(self, capsule: str, member: str, known: Sequence[str]) -> None:
        listed = ", ".join(known) if known else "none"
        super().__init__(f"capsule {capsule!r} has no member {member!r}; its members are: {listed}")
        self.capsule = capsule
        self.member = member
        self.known = list(known)


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


class CapsuleNotRunning(OperationError):
    """Pause asked of a capsule none of whose members runs: the engine pauses only running containers."""

    def __init__(self, capsule: str, host: str) -> None:
        super().__init__(
            f"capsule {capsule!r} on host {host!r} is not running (no member runs): nothing was paused, "
            f"as the engine pauses only running containers; start it first: capsule start {capsule}"
        )
        self.capsule = capsule
        self.host = host


class CopyError(OperationError):
    """A `capsule cp` that cannot be carried out as asked (bad path, wrong kind of target)."""


class UnsafeArchive(CopyError):
    """An archive from a container holds an entry that would land outside the destination."""


class CopyArgumentError(CopyError, BadRequest):
    """A `capsule cp` argument that cannot be read (exit 2)."""


class OperationFailed(OperationError):
    """A lifecycle operation (start, stop, restart, pause, add) failed part way.

    The message names the capsule, the container and the host, and what to try.
    """


# -- building -----------------------------------------------------------------------------


class BuildFailed(CapsuleError):
    """The capsule could not be built; nothing the build made is left on the host.

    `reason` is one line for people and for the store's status_reason.
    """

    def __init__(self, reason: str, *, capsule: str = "", host: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.capsule = capsule
        self.host = host


class BuildRefused(BuildFailed):
    """The spec asks for something these options or this host do not allow.

    Raised before anything is created; the reason says which flag or change fixes it.
    """

    exit_code = EXIT_BAD_INPUT


class BuildCancelled(BuildFailed, asyncio.CancelledError):
    """The build was cancelled (Ctrl-C, a timeout, a cancelled worker) and cleaned up.

    It is a BuildFailed, so callers that record failures get a reason; it is also a
    CancelledError, so asyncio still sees the cancellation: a Task that raises it
    ends cancelled and a TaskGroup treats it as cancellation, not as an error.
    """


# -- placement ----------------------------------------------------------------------------


class SchedulingError(CapsuleError):
    """Base of the scheduler's errors; the message says what to change."""


class UnknownStrategy(SchedulingError, BadRequest):
    def __init__(self, strategy: str, known: Sequence[str]) -> None:
        super().__init__(f"unknown placement strategy {strategy!r}; use one of: {', '.join(known)}")


class HostLockTimeout(CapsuleError):
    """Another create on this machine held the host's lock for longer than the wait allows."""

    def __init__(self, host: str, path: Path, waited: float) -> None:
        super().__init__(
            f"host {host!r} stayed locked by another capsule create for {waited:g} s ({path}); "
            f"wait for it to finish and retry, or check for a stuck capsule process."
        )
        self.host = host


# -- state --------------------------------------------------------------------------------


class StoreError(CapsuleError):
    """The state database cannot be used; the message says which file and what to do.

    `path` is the database file (None when the error is not about one file); `cause`
    says what happened, for a caller that words its own message around it (a create
    whose capsule runs although its row could not be written): one of the constants
    below, or "" for anything else. `disk_full`, `read_only`, `denied`, `busy` and
    `damaged` are the same as booleans.
    """

    DISK_FULL = "disk-full"  # SQLITE_FULL, or no space left to create a file
    READ_ONLY = "read-only"  # a read-only file or file system
    DENIED = "denied"  # the file or its folder is not ours to open (permissions)
    BUSY = "busy"  # another process held the database's lock past the busy timeout
    DAMAGED = "damaged"  # a broken file that could not be replaced
    IO = "io"  # the disk failed to read or write

    def __init__(self, message: str, *, path: Path | None = None, cause: str = "") -> None:
        super().__init__(message)
        self.path = path
        self.cause = cause

    @property
    def disk_full(self) -> bool:
        return self.cause == self.DISK_FULL

    @property
    def read_only(self) -> bool:
        return self.cause == self.READ_ONLY

    @property
    def denied(self) -> bool:
        return self.cause == self.DENIED

    @property
    def busy(self) -> bool:
        return self.cause == self.BUSY

    @property
    def damaged(self) -> bool:
        return self.cause == self.DAMAGED


class NameTaken(StoreError):
    """A capsule of that name is already recorded (running, or being created)."""

    def __init__(self, existing: Any) -> None:
        super().__init__(f"capsule {existing.name} already exists on host {existing.host}")
        self.existing = existing


# -- probes and the watcher ---------------------------------------------------------------


class ProbeError(CapsuleError):
    """A probe that cannot run at all; `reason` says why and what to change."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ProbeTargetGone(ProbeError):
    """The member stopped (or was removed) under the probe: nothing to probe now."""


class NotReady(CapsuleError):
    """The capsule did not become ready; `reason` says which member and why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class WatcherBusy(CapsuleError):
    """Another watcher holds the lock for this CAPSULE_HOME."""
