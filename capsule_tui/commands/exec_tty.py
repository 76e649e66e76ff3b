"""`capsule exec -it`: the user's terminal joined to a terminal in a member, as `docker exec -it`.

Our terminal goes raw (every key, ctrl+c included, goes to the process, which has a
terminal of its own and decides what a key means); what the process writes comes back
as it is. A change of our window's size (SIGWINCH) is passed on. However the session
ends (the process exits, a signal, a lost host), the terminal is given back as it was.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import termios
import tty
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

_READ_SIZE = 4096


def window_size(fd: int) -> tuple[int, int] | None:
    """(rows, columns) of the terminal on `fd`, None when it has none."""
    try:
        size = os.get_terminal_size(fd)
    except OSError:
        return None
    return size.lines, size.columns


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


async def join_terminal(open_session: Callable[[tuple[int, int] | None], AbstractAsyncContextManager[Any]],
                        stdin_fd: int = 0, stdout_fd: int = 1) -> int:
    """Run the session with our terminal in raw mode; the process's exit code."""
    loop = asyncio.get_running_loop()
    saved = termios.tcgetattr(stdin_fd)
    keys: asyncio.Queue[bytes] = asyncio.Queue()

    def key_ready() -> None:
        try:
            keys.put_nowait(os.read(stdin_fd, _READ_SIZE))
        except OSError:
            keys.put_nowait(b"")

    tty.setraw(stdin_fd, termios.TCSANOW)
    try:
        async with open_session(window_size(stdout_fd)) as session:
            async def type_in() -> None:
                while data := await keys.get():
                    await session.write(data)
                loop.remove_reader(stdin_fd)  # our input ended: the process keeps its terminal

            def resized() -> None:
                size = window_size(stdout_fd)
                if size is not None:
                    loop.create_task(session.resize(*size))

            loop.add_reader(stdin_fd, key_ready)
            loop.add_signal_handler(signal.SIGWINCH, resized)
            typing = asyncio.ensure_future(type_in())
            try:
                while chunk := await session.read():
                    _write_all(stdout_fd, chunk)
            finally:
                typing.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await typing
            return int(await session.exit_code())
    finally:
        loop.remove_reader(stdin_fd)
        with contextlib.suppress(ValueError, RuntimeError):
            loop.remove_signal_handler(signal.SIGWINCH)
        termios.tcsetattr(stdin_fd, termios.TCSADRAIN, saved)
