"""Running a command inside a container: exec with output streamed or collected.

A mixin of `EngineClient`. Without stdin the output is an ordinary streamed
answer; with stdin the connection is upgraded (the engine "hijacks" it) so the
bytes can be written to the process while its output is read, and then our
sending half is shut so the process sees end-of-file.

It must not decide what to run (that is the caller's) and must not look at
HTTP details beyond asking engine_http for an upgraded stream.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

from runtime.engine.errors import ContainerNotFound, EngineError, NotFound
from runtime.engine.exec_session import ExecSession, exec_exit_code, open_session
from runtime.engine.http import EngineHttp
from runtime.engine.models import ExecResult, OutputChunk
from runtime.engine.streams import demux, raw_chunks

_READ_SIZE = 65536


class ExecStream:
    """One exec's output, as chunks arrive; `exit_code` is set once iteration ends.

    Iterate it once: `async for chunk in stream: ...` then read `stream.exit_code`.
    """

    def __init__(self, http: EngineHttp, container: str, config: dict[str, Any], stdin: bytes | None,
                 timeout: float | None) -> None:
        self._http = http
        self._container = container
        self._config = config
        self._stdin = stdin
        self._timeout = timeout
        self._started = False
        self.exec_id: str | None = None
        self.exit_code: int | None = None

    def __aiter__(self) -> AsyncIterator[OutputChunk]:
        if self._started:
            raise RuntimeError("an ExecStream can be iterated only once")
        self._started = True
        return self._run()

    async def _run(self) -> AsyncIterator[OutputChunk]:
        created = await self._http.call_json(
            "POST", f"/containers/{self._container}/exec", json_body=self._config, not_found=ContainerNotFound
        )
        self.exec_id = str(created["Id"])
        start = {"Detach": False, "Tty": self._config["Tty"]}
        path = f"/exec/{self.exec_id}/start"
        if self._stdin is None:
            # The engine ends this raw stream by closing the connection, with no length
            # or chunking; over TLS its close_notify can arrive before the TCP FIN, so
            # the pool would hand the dead connection to the next call (the exit code's).
            # `Connection: close` keeps it out of the pool.
            async with self._http.stream(
                "POST", path, json_body=start, headers={"Connection": "close"}, read_timeout=self._timeout,
                not_found=NotFound,
            ) as response:
                async for chunk in self._decode(response.aiter_bytes()):
                    yield chunk
        else:
            async with self._http.upgrade(path, json_body=start, not_found=NotFound) as connection:
                writer = asyncio.ensure_future(self._feed(connection, self._stdin))
                try:
                    try:
                        async for chunk in self._decode(self._read_all(connection)):
                            yield chunk
                    except Exception:
                        # A failed write closes the connection; report why, not the read.
                        if writer.done() and not writer.cancelled() and writer.exception() is not None:
                            raise writer.exception() from None  # type: ignore[misc]
                        raise
                    await writer
                finally:
                    writer.cancel()
        self.exit_code = await self._exit_code()

    def _decode(self, chunks: AsyncIterator[bytes]) -> AsyncIterator[OutputChunk]:
        return raw_chunks(chunks) if self._config["Tty"] else demux(chunks)

    async def _read_all(self, connection: Any) -> AsyncIterator[bytes]:
        while chunk := await connection.read(_READ_SIZE, timeout=self._timeout):
            yield chunk

    async def _feed(self, connection: Any, data: bytes) -> None:
        # Runs beside the reading, so a process that answers while it still
        # reads its input cannot deadlock against us.
        try:
            if data:
                await connection.write(data, timeout=self._http.timeouts.write)
            raw = connection.get_extra_info("socket")
            if raw is None:
                raise EngineError(
                    f"host {self._http.label}: cannot close the standard input of the exec (no socket to shut).",
                    host=self._http.name, url=self._http.endpoint.url,
                )
            raw.shutdown(socket.SHUT_WR)
        except BaseException:
            # The process would wait for input forever: end the reading too.
            await connection.aclose()
            raise

    async def _exit_code(self) -> int:
        assert self.exec_id is not None
        return await exec_exit_code(self._http, self.exec_id, what=f"in container {self._container}")


def exec_config(cmd: Sequence[str] | str, *, env: Mapping[str, str] | Sequence[str] | None, workdir: str | None,
                user: str | None, tty: bool, stdin: bool, privileged: bool) -> dict[str, Any]:
    """The engine's exec config; a string command runs through /bin/sh -c."""
    command = ["/bin/sh", "-c", cmd] if isinstance(cmd, str) else list(cmd)
    if isinstance(env, Mapping):
        env_list = [f"{key}={value}" for key, value in env.items()]
    else:
        env_list = list(env or [])
    config: dict[str, Any] = {
        "Cmd": command,
        "AttachStdout": True,
        "AttachStderr": True,
        "AttachStdin": stdin,
        "Tty": tty,
        "Privileged": privileged,
    }
    if env_list:
        config["Env"] = env_list
    if workdir:
        config["WorkingDir"] = workdir
    if user:
        config["User"] = user
    return config


class ExecCalls:
    _http: EngineHttp

    def exec_stream(
        self,
        container: str,
        cmd: Sequence[str] | str,
        *,
        env: Mapping[str, str] | Sequence[str] | None = None,
        workdir: str | None = None,
        user: str | None = None,
        tty: bool = False,
        stdin: bytes | None = None,
        privileged: bool = False,
        timeout: float | None = None,
    ) -> ExecStream:
        """Run `cmd` in a running container, yielding its output as it comes.

        `timeout` is the longest silence to accept from the process (None: no limit).
        """
        config = exec_config(cmd, env=env, workdir=workdir, user=user, tty=tty, stdin=stdin is not None,
                             privileged=privileged)
        return ExecStream(self._http, container, config, stdin, timeout)

    def exec_session(
        self,
        container: str,
        cmd: Sequence[str] | str,
        *,
        env: Mapping[str, str] | Sequence[str] | None = None,
        workdir: str | None = None,
        user: str | None = None,
        size: tuple[int, int] | None = None,
    ) -> AbstractAsyncContextManager[ExecSession]:
        """`cmd` on a terminal of its own in the container (`docker exec -it`): an ExecSession
        to type into and read from; `size` is the window's (rows, columns)."""
        config = exec_config(cmd, env=env, workdir=workdir, user=user, tty=True, stdin=True, privileged=False)
        return open_session(self._http, container, config, size)

    async def exec_run(
        self,
        container: str,
        cmd: Sequence[str] | str,
        *,
        env: Mapping[str, str] | Sequence[str] | None = None,
        workdir: str | None = None,
        user: str | None = None,
        tty: bool = False,
        stdin: bytes | None = None,
        privileged: bool = False,
        timeout: float | None = None,
    ) -> ExecResult:
        """Run `cmd` to completion and collect its exit code and output."""
        stream = self.exec_stream(container, cmd, env=env, workdir=workdir, user=user, tty=tty, stdin=stdin,
                                  privileged=privileged, timeout=timeout)
        out, err = bytearray(), bytearray()
        async for chunk in stream:
            (out if chunk.stream == "stdout" else err).extend(chunk.data)
        assert stream.exit_code is not None  # set by the completed iteration
        return ExecResult(stream.exit_code, bytes(out), bytes(err))
