"""Store work off the event loop: one thread with its own connection to the state database.

The terminal UI's event loop draws the screen and answers keys. Reconciling 1,000
capsules with SQLite holds whatever thread does it for a few hundred
milliseconds, so the UI must not do it on its loop. `StoreThread` runs such work
in one thread of its own (its calls never overlap), on a second connection to
the same database file: a sqlite3 connection belongs to the thread that opened
it, WAL lets both connections read at once, and a write still takes the
database's lock, so the store's rules hold as they do between two processes.

    thread = StoreThread(store.path)
    results = await thread.run(lambda store: store.reconcile(...))
    await thread.aclose()

Must not import textual or talk to engines; what runs in it must not touch the
event loop's objects (it gets a Store, and returns plain data).
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from runtime.state.store import Store

T = TypeVar("T")
_SWITCH_INTERVAL = 0.001  # seconds; Python's default is 0.005


class StoreThread:
    """One worker thread and its Store, opened on first use."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="capsule-store")
        self._store: Store | None = None

    async def run(self, work: Callable[[Store], T]) -> T:
        """`work(store)` in the thread. A cancelled caller stops waiting, not the work:
        a transaction under way finishes (or rolls back) as it would in one process."""
        return await asyncio.get_running_loop().run_in_executor(self._executor, self._call, work)

    def _call(self, work: Callable[[Store], T]) -> T:
        # While this thread computes, the event loop's thread waits for the interpreter
        # lock each time it wakes; a shorter switch interval gives it back within 1 ms
        # instead of 5 (keys are answered between two slices of the reconcile).
        before = sys.getswitchinterval()
        sys.setswitchinterval(min(before, _SWITCH_INTERVAL))
        try:
            if self._store is None:
                self._store = Store.open(self.path)
            return work(self._store)
        finally:
            sys.setswitchinterval(before)

    def _close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    async def aclose(self) -> None:
        """Close the connection (in its own thread, after the work queued before) and the thread."""
        await asyncio.get_running_loop().run_in_executor(self._executor, self._close)
        self._executor.shutdown(wait=True)
