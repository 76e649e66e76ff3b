"""When Python's cyclic garbage collector may hold the terminal UI's event loop.

With 1,000 capsules a refresh makes tens of thousands of objects (views, store
records, cell texts) that live until the next refresh. A full collection scans
every such object: on a slow machine it held the event loop for 30-80 ms, at
moments of its own choosing, often in the middle of a refresh, and a key pressed
then waited as long.

So after each applied refresh everything alive is frozen (`gc.freeze()`: left out
of the collector's scans; reference counting frees objects as usual, so a
snapshot replaced by the next one is still freed at once). Only garbage in
reference cycles needs the collector: what is frozen is unfrozen and collected in
full once every FULL_COLLECTION_SECONDS, at a quiet moment (no refresh under
way, and no key or click for IDLE_SECONDS: a key pressed during the collection
would wait for it), so that such garbage cannot pile up. Someone who never stops
typing gets it after OVERDUE_SECONDS all the same.

Must not: collect during a refresh, or leave anything frozen when the UI closes.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

FULL_COLLECTION_SECONDS = 60.0
IDLE_SECONDS = 3.0
OVERDUE_SECONDS = 300.0


class CollectorPacing:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._last_full = clock()

    def after_refresh(self) -> None:
        """What is alive now (the rows shown, the snapshot) is out of the collector's scans."""
        gc.freeze()

    def when_quiet(self, last_input: float = float("-inf")) -> bool:
        """Collect in full if it is time; call only when no refresh is under way. True if it did.

        `last_input`: when (on this object's clock) the user last pressed a key or clicked.
        """
        now = self._clock()
        since_full = now - self._last_full
        if since_full < FULL_COLLECTION_SECONDS:
            return False
        if now - last_input < IDLE_SECONDS and since_full < OVERDUE_SECONDS:
            return False  # the user is at the keyboard: not now
        gc.unfreeze()
        gc.collect()
        gc.freeze()
        self._last_full = self._clock()
        return True

    def stop(self) -> None:
        """The UI is closing: everything frozen may be collected again."""
        gc.unfreeze()
