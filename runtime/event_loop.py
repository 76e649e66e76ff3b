"""Running the runtime's coroutines from a command: `asyncio.run`, less one false alarm.

httpx talks to a local engine over its unix socket through anyio, whose socket
streams wait for data with `loop.add_reader(fd, future.set_result, None)` and stop
watching only in the future's done-callback, a loop turn later. When such a read
is abandoned (a timeout, or a sibling task failing cancels it) in the very turn
the socket became readable, the reader still calls `set_result` on the cancelled
future, and asyncio's default handler prints "Exception in callback
Future.set_result(None) ... InvalidStateError" with a traceback to stderr. Nothing
is wrong (the read was given up on purpose); a user reading that traceback under
`capsule create`'s real error would think otherwise. `quiet_abandoned_reads`
drops exactly that case and passes everything else to asyncio's default handler.

Must not hide any other exception, and must not change what the coroutine does.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run(main: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run(main)` with `quiet_abandoned_reads` on its loop."""

    async def quietly() -> T:
        quiet_abandoned_reads(asyncio.get_running_loop())
        return await main

    return asyncio.run(quietly())


def quiet_abandoned_reads(loop: asyncio.AbstractEventLoop) -> None:
    """Install the handler that drops a late wake-up of a cancelled future (see above)."""

    def handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if not _late_wakeup(context):
            loop.default_exception_handler(context)

    loop.set_exception_handler(handler)


def _late_wakeup(context: dict[str, Any]) -> bool:
    if not isinstance(context.get("exception"), asyncio.InvalidStateError):
        return False
    callback = getattr(context.get("handle"), "_callback", None)
    future = getattr(callback, "__self__", None)
    return (getattr(callback, "__name__", "") in ("set_result", "set_exception")
            and isinstance(future, asyncio.Future) and future.cancelled())
