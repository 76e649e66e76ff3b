"""Run a few engine calls at once, all-or-nothing, and report the first failure itself.

`asyncio.TaskGroup` cancels the siblings of a failed task, which is what a build
wants (no point creating member 3 once member 2 failed), but it raises an
ExceptionGroup; callers here want the first cause as a plain exception, so that
`except EngineError` and one-line reasons keep working.

No knowledge of engines or capsules here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable
from typing import TypeVar

T = TypeVar("T")


async def all_or_nothing(awaitables: Iterable[Awaitable[T]]) -> list[T]:
    """Await all concurrently; on the first failure cancel the rest, wait, and raise it."""
    tasks: list[asyncio.Task[T]] = []
    try:
        async with asyncio.TaskGroup() as group:
            for awaitable in awaitables:
                tasks.append(group.create_task(_as_coroutine(awaitable)))
    except BaseExceptionGroup as failures:
        raise _first_leaf(failures) from None
    return [task.result() for task in tasks]


async def _as_coroutine(awaitable: Awaitable[T]) -> T:
    return await awaitable


def _first_leaf(group: BaseExceptionGroup) -> BaseException:
    first = group.exceptions[0]
    return _first_leaf(first) if isinstance(first, BaseExceptionGroup) else first


async def bounded(awaitables: Iterable[Awaitable[T]], limit: int) -> list[T]:
    """All concurrently but at most `limit` at a time (to stay within the connection pool)."""
    gate = asyncio.Semaphore(limit)

    async def one(awaitable: Awaitable[T]) -> T:
        try:
            await gate.acquire()
        except BaseException:
            # Cancelled while waiting its turn (a quit, a failed sibling): the coroutine never ran,
            # and closing it keeps "coroutine ... was never awaited" off the user's terminal.
            if asyncio.iscoroutine(awaitable):
                awaitable.close()
            raise
        try:
            return await awaitable
        finally:
            gate.release()

    return await all_or_nothing(one(a) for a in awaitables)
