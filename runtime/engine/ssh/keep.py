"""A host's SSH connection kept between commands, as OpenSSH's ControlPersist keeps it.

A command that reaches an ssh:// host first asks that host's keeper (keeper.py: a
small background process of the same user, one per host) for a channel, through a
unix socket in the keep folder (mode 0600, in a 0700 folder of the user's own). The
keeper answers READY once the channel to the engine's socket is open on its SSH
connection, and from then on relays bytes, so the command pays neither asyncssh's
import nor a login: only a local socket. When there is no keeper, or it does not
answer READY (killed, stale socket, its connection gone, the engine's socket refused),
the command connects directly as before (stream.py), for the rest of its life, and
starts a keeper for the next command once its own login succeeded: every failure, and
every message about it, is the direct connection's.

The keeper's socket is named after everything that decides who logs in where and
what is trusted: the URL, the user, HOME, the agent's socket, and the size and time of
~/.ssh/config, ~/.ssh/known_hosts, /etc/ssh/ssh_config and /etc/ssh/ssh_known_hosts.
Change any of them (remove a host key, say) and the next command does not use the
old keeper, which ends after its idle time.

This module must not import asyncssh: using a keeper costs a command nothing of it.
"""

from __future__ import annotations

import hashlib
import os
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpcore
import httpx

from runtime.engine.ssh.target import SshTarget

READY = b"+"  # the keeper opened the channel: what follows is the engine's
REFUSED = b"-"  # it could not: connect directly to learn why
DEFAULT_IDLE = 60.0
# A unix socket's path must fit in sockaddr_un (108 bytes on Linux, with its NUL).
_MAX_SOCKET_PATH = 107
_WATCHED_FILES = ("~/.ssh/config", "~/.ssh/known_hosts", "/etc/ssh/ssh_config", "/etc/ssh/ssh_known_hosts")


@dataclass(frozen=True)
class SshKeep:
    """Where keepers' sockets live, and how long (seconds) a keeper stays when no command uses it."""

    folder: Path
    idle: float = DEFAULT_IDLE


def socket_path(keep: SshKeep, url: str) -> Path | None:
    """The keeper socket for this URL under the user's current SSH setup; None if its path is too long."""
    identity = [url, str(os.geteuid()), os.environ.get("HOME", ""), os.environ.get("SSH_AUTH_SOCK", "")]
    for name in _WATCHED_FILES:
        try:
            info = os.stat(os.path.expanduser(name))
            identity.append(f"{name} {info.st_size} {info.st_mtime_ns} {info.st_ino}")
        except OSError:
            identity.append(f"{name} -")
    digest = hashlib.sha256("\0".join(identity).encode()).hexdigest()[:16]  # short: the path has a limit
    path = keep.folder / f"{digest}.sock"
    return path if len(os.fsencode(path)) <= _MAX_SOCKET_PATH else None


def is_private(path: Path, *, kind: int) -> bool:
    """True when `path` is a file of `kind` (stat.S_IFSOCK, S_IFDIR) owned by us that no one else may use."""
    try:
        info = os.lstat(path)
    except OSError:
        return False
    return (stat.S_IFMT(info.st_mode) == kind and info.st_uid == os.geteuid()
            and not info.st_mode & (stat.S_IRWXG | stat.S_IRWXO))


def start_keeper(path: Path, *, url: str, name: str, idle: float, connect_timeout: float | None) -> None:
    """Start the keeper of `path` in the background; it ends by itself (keeper.py). Errors are ignored."""
    package_root = str(Path(__file__).resolve().parents[3])
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH", "")) if p)
    command = [sys.executable, "-m", "runtime.engine.ssh.keeper", "--socket", str(path), "--url", url,
               "--name", name, "--idle", f"{idle:g}", "--timeout", f"{connect_timeout or 10:g}"]
    try:
        subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         start_new_session=True, close_fds=True, cwd="/", env=env)
    except OSError:
        pass  # no keeper: the next command connects directly, as this one did


class KeptBackend(httpcore.AsyncNetworkBackend):
    """Each connection the pool opens: a channel through the host's keeper, else directly over SSH."""

    def __init__(self, keep: SshKeep, target: SshTarget, *, name: str, url: str) -> None:
        self.keep = keep
        self.target = target
        self.name = name
        self.url = url
        self.socket_path = socket_path(keep, url)
        self.direct: Any = None  # stream.SshNetworkBackend, once the keeper failed us
        self._local = httpcore.AnyIOBackend()
        self._keeper_started = False

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                          socket_options: Any = None) -> httpcore.AsyncNetworkStream:
        return await self._open(timeout)

    async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                  socket_options: Any = None) -> httpcore.AsyncNetworkStream:
        return await self._open(timeout)

    async def sleep(self, seconds: float) -> None:
        await self._local.sleep(seconds)

    async def _open(self, timeout: float | None) -> httpcore.AsyncNetworkStream:
        if self.direct is None:
            stream = await self._through_keeper(timeout)
            if stream is not None:
                return stream
            self._go_direct()
        stream = await self.direct.open(timeout)
        if not self._keeper_started and self.socket_path is not None:
            # Our own login worked: the keeper's will too, for the commands after this one.
            self._keeper_started = True
            start_keeper(self.socket_path, url=self.url, name=self.name, idle=self.keep.idle,
                         connect_timeout=timeout)
        return stream

    async def _through_keeper(self, timeout: float | None) -> httpcore.AsyncNetworkStream | None:
        path = self.socket_path
        if path is None or not is_private(path, kind=stat.S_IFSOCK) or not is_private(path.parent, kind=stat.S_IFDIR):
            return None
        try:
            stream = await self._local.connect_unix_socket(str(path), timeout)
        except (httpcore.ConnectError, httpcore.ConnectTimeout, OSError):
            return None  # no keeper behind the socket (killed): a stale socket
        try:
            answer = await stream.read(1, timeout)
        except (httpcore.ReadError, httpcore.ReadTimeout, OSError):
            answer = b""
        if answer != READY:
            await stream.aclose()
            return None
        return stream

    def _go_direct(self) -> None:
        if self.direct is None:
            # Imported only now: asyncssh is paid for when there is no keeper to use.
            from runtime.engine.ssh.login import SshLogin
            from runtime.engine.ssh.stream import SshNetworkBackend

            self.direct = SshNetworkBackend(SshLogin(self.target, name=self.name, url=self.url))

    async def aclose(self) -> None:
        if self.direct is not None:
            await self.direct.login.aclose()


class KeptTransport(httpx.AsyncHTTPTransport):
    """httpx's own transport, with its pool opening connections through KeptBackend."""

    def __init__(self, backend: KeptBackend, limits: httpx.Limits) -> None:
        super().__init__(verify=False, limits=limits, retries=0)
        self._pool = httpcore.AsyncConnectionPool(
            max_connections=limits.max_connections, max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry, retries=0, network_backend=backend)
        self.backend = backend

    async def aclose(self) -> None:
        try:
            await super().aclose()
        finally:
            await self.backend.aclose()
