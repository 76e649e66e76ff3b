"""A per-host lock file, so that creates on this machine re-check and land one at a time.

`$CAPSULE_HOME/locks/<host>.lock` (else the user's state dir; folder 0700, files 0600), held with
`fcntl.flock`. flock locks belong to an open file, so two creates in one process
exclude each other as well as two processes do, and the kernel drops the lock when
a process dies: a crashed create never leaves a host locked.

It only protects creates started from this machine. It must not be mistaken for
a cluster-wide lock: runtime/placement/claim.py documents what is left.
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import os
import time
from pathlib import Path

from runtime.errors import HostLockTimeout
from runtime.paths import private_dir, private_opener, state_dir
from translate.fields import is_dns1123_label

DEFAULT_LOCK_TIMEOUT = 120.0
# Polling, not a blocking flock in a thread: a cancelled create (Ctrl-C) must not
# leave a thread behind that takes the lock later and never gives it back.
_POLL_SECONDS = 0.02


def lock_dir() -> Path:
    return state_dir() / "locks"


def lock_path(host: str) -> Path:
    # Inventory names are DNS-1123 labels; anything else is hashed so that a name
    # can never point outside the locks folder.
    stem = host if is_dns1123_label(host) else "h-" + hashlib.sha256(host.encode()).hexdigest()[:16]
    return lock_dir() / f"{stem}.lock"


class HostLock:
    """`async with HostLock("web1"):` … ; `release()` may be called early, once or more."""

    def __init__(self, host: str, *, timeout: float = DEFAULT_LOCK_TIMEOUT) -> None:
        self.host = host
        self.path = lock_path(host)
        self.timeout = timeout
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    async def acquire(self) -> None:
        private_dir(state_dir())  # before its locks folder, which mkdir -p would make with the umask's mode
        private_dir(self.path.parent)
        fd = private_opener(self.path, os.O_RDWR | os.O_CREAT)
        started = time.monotonic()
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    waited = time.monotonic() - started
                    if waited >= self.timeout:
                        raise HostLockTimeout(self.host, self.path, round(waited, 1)) from None
                    await asyncio.sleep(_POLL_SECONDS)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            try:
                fcntl.flock(fd, fcntl.LOCK_UN)
            finally:
                os.close(fd)

    async def __aenter__(self) -> HostLock:
        await self.acquire()
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.release()
