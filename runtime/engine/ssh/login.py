"""The one SSH connection of a host's client: made on first use, made again after it drops.

Signing in uses the user's own SSH setup through asyncssh: ~/.ssh/config (Host
aliases, User, Port, IdentityFile, ProxyJump), the agent at SSH_AUTH_SOCK, and the
default key files. Keys and agent only: no password or keyboard-interactive prompt
can appear (a prompt under the TUI or in CI would hang), and encrypted key files are
left to the agent. The whole login (TCP, handshake, key exchange, authentication)
must finish within the host's connect timeout, so an SSH port that accepts and never
answers costs that bound and no more.

Every failure is an EngineError naming the host: HostUnreachable for a machine
that cannot be reached, SshRefused for a login or a host key that was refused.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from typing import Any

from runtime.engine.errors import (
    EngineError,
    HostConfigError,
    HostUnreachable,
    SshRefused,
    host_label,
    short_error,
)
from runtime.engine.ssh.host_keys import PresentedKey, refusal, trusted_files
from runtime.engine.ssh.library import asyncssh
from runtime.engine.ssh.target import SshTarget


class _Client(asyncssh.SSHClient):
    """Remembers the host key asyncssh could not vouch for, to name it in the refusal."""

    def __init__(self, login: SshLogin) -> None:
        self._login = login

    def connection_made(self, connection: Any) -> None:
        self._login.opening = connection

    def validate_host_public_key(self, host: str, addr: str, port: int, key: Any) -> bool:
        self._login.presented = PresentedKey(host, addr, port, key)
        return False  # only the known_hosts files decide


class SshLogin:
    """One host's SSH connection; `connection()` returns it, logging in when needed."""

    def __init__(self, target: SshTarget, *, name: str, url: str) -> None:
        self.target = target
        self.name = name
        self.url = url
        self.user: str = target.user or ""
        self.presented: PresentedKey | None = None
        self._connection: Any = None
        self.opening: Any = None  # the connection being made (its socket, for _acknowledge_at_once)
        self._lock = asyncio.Lock()
        self._closed = False

    @property
    def label(self) -> str:
        return host_label(self.name, self.url)

    def error(self, cls: type[EngineError], message: str) -> EngineError:
        return cls(message, host=self.name, url=self.url)

    async def connection(self, timeout: float | None) -> Any:
        async with self._lock:
            if self._closed:
                raise self.error(HostUnreachable, f"host {self.label}: its SSH connection was closed.")
            if self._connection is None or self._connection.is_closed():
                self._connection = await self._login(timeout)
            return self._connection

    def drop(self, connection: Any) -> None:
        """Forget a connection that failed under us, so the next call logs in again."""
        if self._connection is connection:
            self._connection = None
            connection.abort()

    async def aclose(self) -> None:
        self._closed = True
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()
            try:
                await asyncio.wait_for(connection.wait_closed(), 2)
            except (TimeoutError, OSError, asyncssh.Error):
                connection.abort()

    def _acknowledge_at_once(self, *_keys: Any) -> None:
        """Called when an OpenSSH server sends its host keys, just after the login.

        It sends them with Nagle's algorithm on, and our kernel delays its ACK by up to
        40 ms: the answer to our first channel waited behind them that long, in every
        command (bench/bench_ssh.py). TCP_QUICKACK sends the pending ACK now.
        """
        transport_socket = self.opening.get_extra_info("socket") if self.opening is not None else None
        quick_ack = getattr(socket, "TCP_QUICKACK", None)  # Linux only
        if transport_socket is not None and quick_ack is not None:
            with contextlib.suppress(OSError):
                transport_socket.setsockopt(socket.IPPROTO_TCP, quick_ack, 1)

    async def _login(self, timeout: float | None) -> Any:
        target = self.target
        try:
            options = await asyncssh.SSHClientConnectionOptions.construct(
                host=target.host, port=target.port or (), username=target.user or (),
                password_auth=False, kbdint_auth=False, ignore_encrypted=True, gss_host=None,
                connect_timeout=timeout, login_timeout=timeout or 0, keepalive_interval=15, keepalive_count_max=3,
                server_host_keys_handler=self._acknowledge_at_once,
            )
        except (ValueError, OSError, asyncssh.Error) as exc:
            raise self.error(HostConfigError, f"host {self.label}: cannot read the SSH settings for "
                                              f"{target.host} ({exc}); check ~/.ssh/config and the key files "
                                              f"it names.") from exc
        self.user = options.username or self.user
        files = trusted_files(options.known_hosts)
        self.presented = None
        try:
            # An empty bytes string trusts no key: never "no checking" when no file exists.
            return await asyncio.wait_for(
                asyncssh.connect(target.host, port=target.port or (), options=options, known_hosts=files or b"",
                                 client_factory=lambda: _Client(self)),
                timeout)
        except asyncssh.HostKeyNotVerifiable as exc:
            raise self.error(SshRefused, refusal(self.presented, files, label=self.label, user=self.user)) from exc
        except asyncssh.PermissionDenied as exc:
            raise self.error(SshRefused, (
                f"host {self.label}: the SSH server at {target.host} refused {self.user or 'the user'}'s keys. "
                f"capsule signs in with keys only (from ssh-agent, IdentityFile in ~/.ssh/config, or "
                f"~/.ssh/id_*), never a password: add your public key to ~{self.user}/.ssh/authorized_keys "
                f"there, or load the right key into ssh-agent (ssh-add), then try again.")) from exc
        except TimeoutError as exc:  # ours, or the system's connect timeout (ETIMEDOUT)
            within = f" within {timeout:g} s" if timeout is not None else ""
            raise self.error(HostUnreachable, (
                f"host {self.label}: no SSH login to {target.where}{within}. Check that the "
                f"machine is up and its SSH server answers ({target.ssh_command} true).")) from exc
        except (OSError, asyncssh.Error) as exc:
            detail = short_error(exc) if isinstance(exc, OSError) else getattr(exc, "reason", None)
            raise self.error(HostUnreachable, (
                f"cannot reach the SSH server of host {self.label} at {target.where}: "
                f"{' '.join(str(detail or exc).split())}. Check that the machine is up and that "
                f"`{target.ssh_command} true` works from here.")) from exc
