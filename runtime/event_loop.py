"""Running the runtime's coroutines from a command: `asyncio.run`, every stop signal alike, less one false alarm.

SIGTERM (`kill`, `timeout`, a CI job cancelled) and SIGHUP (the terminal went away)
stop a command the way Ctrl-C does: the running coroutine is cancelled, so whatever
it was doing cleans up on the way out (a create removes what it built), and then
`Interrupted` (a KeyboardInterrupt, carrying the signal) is raised to the caller, who
exits with 128 + the signal's number. asyncio.run does exactly this for SIGINT alone.

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
import signal
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")
# Ctrl-C is asyncio.run's own; these are made to behave like it.
STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


class Interrupted(KeyboardInterrupt):
    """The command was stopped by a signal; `signum` says which (SIGINT for Ctrl-C)."""

    def __init__(self, signum: int = signal.SIGINT) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def run(main: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run(main)`: SIGTERM and SIGHUP cancel it as Ctrl-C does; no false alarm on stderr."""
    received: list[int] = []

    async def guarded() -> T:
        loop = asyncio.get_running_loop()
        quiet_abandoned_reads(loop)
        task = asyncio.current_task()
        assert task is not None

        def stop(signum: int) -> None:
            received.append(signum)
            task.cancel()  # a second signal cancels again: clean-ups are shielded, they still end

        # Signals reach the main thread only; a loop run in another thread (a webhook sent
        # from the store's thread) leaves them to the main thread's loop.
        handled = STOP_SIGNALS if threading.current_thread() is threading.main_thread() else ()
        for signum in handled:
            loop.add_signal_handler(signum, stop, signum)
        try:
            return await main
        finally:
            for signum in handled:
                loop.remove_signal_handler(signum)

    try:
        return asyncio.run(guarded())
    except asyncio.CancelledError:
        if received:
            raise Interrupted(received[0]) from None
        raise
    except KeyboardInterrupt as exc:
        if isinstance(exc, Interrupted):
            raise
        raise Interrupted(signal.SIGINT) from None


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
