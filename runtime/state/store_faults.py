"""What can go wrong with the state database's file, put in words, and the damaged file put aside.

- `store_error(exc, path)`: an sqlite3 or OS error met while using the database
  becomes a StoreError that names the file, says what happened (the disk holding it
  is full, it is read-only, it is not ours to open, another capsule process holds
  it, ...) and what to do, with `cause` set for a caller that words its own message;
- `is_damaged(exc)`: the file is not a database, or its pages are malformed;
- `moved_away(exc)`: SQLite noticed the file was renamed or removed under an open
  connection (another process put a damaged one aside): reopen the path, nothing is wrong;
- `move_aside(path)`: renames a damaged database and its -wal/-shm/-journal files to
  `state.db.broken-<time>` (+ `-wal`, ...), kept for a look, so that the store can
  start a fresh one. The store is a cache of what the hosts say: what is lost is
  only what the hosts do not have, the event log and the revision history.

It opens no connection (runtime/state/store.py does) and knows nothing of the schema.
"""

from __future__ import annotations

import errno
import os
import sqlite3
import time
from pathlib import Path

from runtime.errors import StoreError

LOST = "the event log and the revision history before now; capsules are read again from the hosts"
_COMPANIONS = ("-wal", "-shm", "-journal")
_ELSEWHERE = "or set CAPSULE_HOME to a folder on another disk"


def is_damaged(exc: BaseException) -> bool:
    return isinstance(exc, sqlite3.DatabaseError) and _primary(exc) in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)


def moved_away(exc: BaseException) -> bool:
    return isinstance(exc, sqlite3.Error) and getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_READONLY_DBMOVED


def store_error(exc: BaseException, path: Path, *, busy_seconds: float) -> StoreError:
    """The StoreError that says what `exc` (sqlite3.Error or OSError) means for the database `path`."""
    cause, advice = _meaning(exc, path, busy_seconds)
    return StoreError(f"the state database {path} cannot be used: {advice}", path=path, cause=cause)


def damaged_again(exc: BaseException, path: Path) -> StoreError:
    return StoreError(
        f"the state database {path} cannot be used: it is damaged ({exc}) although capsule has just started it "
        f"afresh; check the disk, {_ELSEWHERE}", path=path, cause=StoreError.DAMAGED)


def move_aside(path: Path) -> Path:
    """Rename the damaged database and its companion files; returns the new name of the database."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    broken = path.with_name(f"{path.name}.broken-{stamp}")
    number = 1
    while any(Path(f"{broken}{suffix}").exists() for suffix in ("", *_COMPANIONS)):
        number += 1
        broken = path.with_name(f"{path.name}.broken-{stamp}-{number}")
    # The database first: a -wal left under the old name would be replayed into the fresh file,
    # so the companions follow it at once, before anything opens the path again.
    os.rename(path, broken)
    for suffix in _COMPANIONS:
        try:
            os.rename(f"{path}{suffix}", f"{broken}{suffix}")
        except FileNotFoundError:
            pass
    return broken


def replaced_warning(path: Path, broken: Path, exc: BaseException) -> str:
    return (f"capsule: warning: the state database {path} was damaged ({exc}); it was moved to {broken} "
            f"(with its -wal and -shm files, if any) and capsule starts a fresh one. Lost: {LOST}")


def _primary(exc: BaseException) -> int | None:
    code = getattr(exc, "sqlite_errorcode", None)
    return code & 0xFF if isinstance(code, int) else None


def _meaning(exc: BaseException, path: Path, busy_seconds: float) -> tuple[str, str]:
    """(cause, what happened and what to do)."""
    if isinstance(exc, OSError):
        return _os_meaning(exc, path)
    primary = _primary(exc)
    if primary == sqlite3.SQLITE_FULL or (primary == sqlite3.SQLITE_IOERR and _no_space_left(path)):
        return StoreError.DISK_FULL, (f"the disk holding it is full ({exc}); free some space there and run the "
                                      f"command again, {_ELSEWHERE}")
    if primary == sqlite3.SQLITE_READONLY:
        return StoreError.READ_ONLY, (f"it is read-only ({exc}): a read-only file, folder or file system; make "
                                      f"it writable, or set CAPSULE_HOME to a writable folder")
    if primary in (sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM, sqlite3.SQLITE_AUTH):
        return StoreError.DENIED, (f"it cannot be opened ({exc}); check the folder's permissions or set "
                                   f"CAPSULE_HOME to a writable folder")
    if primary in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        return StoreError.BUSY, (f"it stayed locked for {busy_seconds:g} s ({exc}): another capsule process holds "
                                 f"it; let that one finish (or stop it) and run the command again")
    if primary == sqlite3.SQLITE_IOERR:
        return StoreError.IO, f"the disk failed to read or write it ({exc}); check the disk, {_ELSEWHERE}"
    if is_damaged(exc):
        return StoreError.DAMAGED, (f"it is damaged ({exc}); move it aside (capsule then starts a fresh one and "
                                    f"reads the capsules again from the hosts)")
    return "", (f"{type(exc).__name__}: {exc}; this looks like a bug in capsule (please report it); if it "
                f"persists, move the file aside: capsule then starts a fresh one and reads the capsules again "
                f"from the hosts")


def _os_meaning(exc: OSError, path: Path) -> tuple[str, str]:
    where = f"{exc.filename}: " if exc.filename else ""
    reason = f"{where}{exc.strerror or exc}"
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return StoreError.DISK_FULL, (f"the disk holding it is full ({reason}); free some space there and run "
                                      f"the command again, {_ELSEWHERE}")
    if exc.errno == errno.EROFS:
        return StoreError.READ_ONLY, (f"it is read-only ({reason}): a read-only file system; set CAPSULE_HOME "
                                      f"to a writable folder")
    if exc.errno in (errno.EACCES, errno.EPERM):
        return StoreError.DENIED, (f"it cannot be opened ({reason}); check the folder's permissions or set "
                                   f"CAPSULE_HOME to a writable folder")
    return "", f"{reason}; check the folder's permissions or set CAPSULE_HOME to a writable folder"


def _no_space_left(path: Path) -> bool:
    # SQLite reports a -shm that cannot grow as an I/O error, not as SQLITE_FULL.
    try:
        info = os.statvfs(path.parent)
    except OSError:
        return False
    return info.f_bavail * info.f_frsize < _SHM_STEP


_SHM_STEP = 32 * 1024  # the -shm file grows by this much at a time
