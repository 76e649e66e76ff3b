"""HTTP to the engine over SSH channels: an httpcore network backend, and the httpx transport using it.

httpcore lets a connection pool open its connections through any network backend;
here "connecting" opens a channel on the host's one SSH connection, forwarded to the
engine's unix socket on the far side. The pool, keep-alive, HTTP/1.1 and the
connection upgrade of exec with stdin all stay httpcore's and httpx's.
"""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import httpcore
import httpx

from runtime.engine.errors import HostUnreachable
from runtime.engine.ssh.library import asyncssh
from runtime.engine.ssh.login import SshLogin
from runtime.engine.ssh.socket_check import socket_failure


def _within(timeout: float | None) -> str:
    """' within 3 s', or nothing when the wait had no bound (a timeout the system raised)."""
    return f" within {timeout:g} s" if timeout is not None else ""


class _HalfClose:
    """What exec with stdin asks for as the stream's "socket": shutting our sending half sends EOF."""

    def __init__(self, writer: Any) -> None:
        self._writer = writer

    def shutdown(self, how: int) -> None:
        if how in (socket.SHUT_WR, socket.SHUT_RDWR):
            self._writer.write_eof()


class SshChannelStream(httpcore.AsyncNetworkStream):
    """One channel to the engine's socket, read and written with httpcore's timeouts and errors."""

    def __init__(self, reader: Any, writer: Any) -> None:
        self._reader = reader
        self._writer = writer

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        try:
            return await asyncio.wait_for(self._reader.read(max_bytes), timeout)
        except TimeoutError as exc:
            raise httpcore.ReadTimeout(f"no answer over SSH{_within(timeout)}") from exc
        except (OSError, asyncssh.Error) as exc:
            raise httpcore.ReadError(f"the SSH channel broke: {exc}") from exc

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        try:
            self._writer.write(buffer)
            await asyncio.wait_for(self._writer.drain(), timeout)
        except TimeoutError as exc:
            raise httpcore.WriteTimeout(f"could not send over SSH{_within(timeout)}") from exc
        except (OSError, asyncssh.Error) as exc:
            raise httpcore.WriteError(f"the SSH channel broke: {exc}") from exc

    async def aclose(self) -> None:
        self._writer.close()

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable":
            # Asked of an idle kept-alive connection: True means the far side closed it.
            return self._reader.at_eof() or self._writer.channel.is_closing()
        if info == "socket":
            return _HalfClose(self._writer)
        return None


class SshNetworkBackend(httpcore.AsyncNetworkBackend):
    """Every connection the pool opens is a channel on the login's connection."""

    def __init__(self, login: SshLogin) -> None:
        self.login = login

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                          socket_options: Any = None) -> httpcore.AsyncNetworkStream:
        return await self.open(timeout)

    async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                  socket_options: Any = None) -> httpcore.AsyncNetworkStream:
        return await self.open(timeout)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)

    async def open(self, timeout: float | None) -> SshChannelStream:
        """A channel to the engine's socket on the login's connection (logging in when needed)."""
        login = self.login
        for attempt in (1, 2):
            connection = await login.connection(timeout)
            try:
                reader, writer = await asyncio.wait_for(
                    connection.open_unix_connection(login.target.socket, encoding=None), timeout)
                return SshChannelStream(reader, writer)
            except asyncssh.ChannelOpenError as exc:
                message = await socket_failure(connection, exc, login)
                raise login.error(HostUnreachable, message) from exc
            except TimeoutError as exc:
                login.drop(connection)
                raise httpcore.ConnectTimeout(f"no SSH channel{_within(timeout)}") from exc
            except (OSError, asyncssh.Error) as exc:
                # The connection died since it was last used (the far side restarted, a
                # network blip): log in once more before calling the host lost.
                login.drop(connection)
                if attempt == 2:
                    raise httpcore.ConnectError(f"the SSH connection broke: {exc}") from exc
        raise AssertionError("unreachable")


class SshTransport(httpx.AsyncHTTPTransport):
    """httpx's own transport, with its connection pool opening connections through SSH."""

    def __init__(self, login: SshLogin, limits: httpx.Limits) -> None:
        super().__init__(verify=False, limits=limits, retries=0)
        # httpx takes no network backend; its pool does. The same pool settings, our backend.
        self._pool = httpcore.AsyncConnectionPool(
            max_connections=limits.max_connections, max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry, retries=0, network_backend=SshNetworkBackend(login))
        self.login = login

    async def aclose(self) -> None:
        try:
            await super().aclose()
        finally:
            await self.login.aclose()
