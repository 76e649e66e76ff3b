"""An interactive exec: a terminal in a container, as `docker exec -it` gives one.

The engine allocates a pseudo-terminal for the process (`Tty`), so its output is one
raw stream (no stdout/stderr framing), and it hands the connection over (`Upgrade:
tcp`) so that what the user types goes to the process as it is typed. The window's
size is set at the start and again whenever the caller's terminal changes size.

It must not touch the user's terminal (raw mode, signals): that is the command
line's; here are only the engine's calls.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from runtime.engine.errors import ContainerNotFound, EngineError, NotFound
from runtime.engine.http import EngineHttp

_READ_SIZE = 65536


class ExecSession:
    """The process's terminal: `read` its output (b"" at the end), `write` keystrokes, `resize`."""

    def __init__(self, http: EngineHttp, exec_id: str, connection: Any) -> None:
        self._http = http
        self.exec_id = exec_id
        self._connection = connection

    async def read(self) -> bytes:
        return bytes(await self._connection.read(_READ_SIZE, timeout=None))

    async def write(self, data: bytes) -> None:
        await self._connection.write(data, timeout=self._http.timeouts.write)

    async def resize(self, rows: int, columns: int) -> None:
        """Tell the process its window's size (it gets SIGWINCH); a process already gone is no error."""
        if rows <= 0 or columns <= 0:
            return
        try:
            await self._http.call("POST", f"/exec/{self.exec_id}/resize", params={"h": rows, "w": columns},
                                  not_found=NotFound)
        except (NotFound, EngineError):
            pass  # it ended meanwhile, or the engine cannot resize it: the session goes on

    async def exit_code(self) -> int:
        """The process's exit code, once its output has ended."""
        return await exec_exit_code(self._http, self.exec_id, what="exec")


async def exec_exit_code(http: EngineHttp, exec_id: str, *, what: str) -> int:
    """An exec's exit code: the engine records it a moment after the output ends."""
    delay = 0.01
    for _ in range(40):
        info = await http.call_json("GET", f"/exec/{exec_id}/json", not_found=NotFound)
        if not info.get("Running") and info.get("ExitCode") is not None:
            return int(info["ExitCode"])
        await asyncio.sleep(delay)
        delay = min(delay * 2, 0.25)
    raise EngineError(f"host {http.label}: exec {exec_id} {what} ended its output but the engine reports no "
                      f"exit code; check the container.", host=http.name, url=http.endpoint.url)


@asynccontextmanager
async def open_session(http: EngineHttp, container: str, config: dict[str, Any],
                       size: tuple[int, int] | None) -> AsyncIterator[ExecSession]:
    """Create the exec (`config` from exec.exec_config with tty and stdin), start it attached, yield it."""
    created = await http.call_json("POST", f"/containers/{container}/exec", json_body=config,
                                   not_found=ContainerNotFound)
    exec_id = str(created["Id"])
    start: dict[str, Any] = {"Detach": False, "Tty": True}
    async with http.upgrade(f"/exec/{exec_id}/start", json_body=start, not_found=NotFound) as connection:
        session = ExecSession(http, exec_id, connection)
        if size is not None:
            await session.resize(*size)
        yield session
