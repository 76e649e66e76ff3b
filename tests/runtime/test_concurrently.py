"""runtime/concurrently.py: `bounded` cancelled while work waits its turn leaves no coroutine unawaited
(issue 13, item 10: quitting the UI while the watcher inspected printed "coroutine '_inspect' was never
awaited")."""

from __future__ import annotations

import asyncio
import gc
import warnings

from runtime.concurrently import bounded


async def test_cancelling_bounded_work_closes_the_coroutines_that_never_ran() -> None:
    started: list[int] = []

    async def work(number: int) -> int:
        started.append(number)
        await asyncio.sleep(10)
        return number

    task = asyncio.ensure_future(bounded((work(n) for n in range(6)), 2))
    while len(started) < 2:
        await asyncio.sleep(0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass
        del task  # the cancelled work goes with it: an unawaited coroutine warns when it is freed
        for _ in range(3):
            await asyncio.sleep(0)
            gc.collect()
    assert started == [0, 1]  # at most 2 at a time; the other 4 waited their turn
    assert [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)] == []


async def test_bounded_runs_everything_at_most_limit_at_a_time() -> None:
    running, most = 0, 0

    async def work(number: int) -> int:
        nonlocal running, most
        running += 1
        most = max(most, running)
        await asyncio.sleep(0.01)
        running -= 1
        return number

    assert await bounded((work(n) for n in range(7)), 3) == list(range(7))
    assert most == 3
