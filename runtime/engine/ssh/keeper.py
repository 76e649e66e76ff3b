"""The keeper: one host's SSH connection, kept for the commands that follow (keep.py starts it).

    python -m runtime.engine.ssh.keeper --socket PATH --url ssh://... --name H --idle 60 --timeout 3

It logs in as a command would (login.py: the user's keys or agent only, the host key
verified against the known_hosts files), then listens on PATH, a unix socket of mode
0600 in a folder of mode 0700, and takes only connections of its own user (the peer's
uid, from the kernel). For each, it opens a channel to the engine's socket on its one
SSH connection, answers READY (or REFUSED) and relays bytes both ways until both ends
are done; half-closes are passed on (exec with stdin sends EOF this way). A channel
that does not open within half the connect timeout is REFUSED and ends the keeper (a
hung server or a dead link): the command still has a whole connect timeout to try
directly, so a hung host costs it 1.5 connect timeouts at most.

It never stays for good. It ends, removing its socket, when no command has used it
for `--idle` seconds, when its SSH connection closes (the server went away; keepalives
find a dead link within a minute), on SIGTERM, SIGINT or SIGHUP, and in any case it
takes no new connection after MAX_LIFE and ends when the last one closes. Only one
keeper serves a socket: the first takes the lock file beside it, any other exits at
once. It prints nothing (its output goes nowhere); a keeper that fails to start leaves
no socket, and commands connect directly.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import fcntl
import os
import signal
import socket
import stat
import struct
import time
from pathlib import Path
from typing import Any

from runtime.engine.errors import EngineError
from runtime.engine.ssh.keep import READY, REFUSED, is_private
from runtime.engine.ssh.library import asyncssh
from runtime.engine.ssh.login import SshLogin
from runtime.engine.ssh.target import parse_ssh_url

MAX_LIFE = 3600.0
_CHUNK = 65536
_PEER_CREDENTIALS = struct.Struct("3i")  # pid, uid, gid (Linux's struct ucred)


class Keeper:
    def __init__(self, path: Path, login: SshLogin, *, idle: float, timeout: float) -> None:
        self.path = path
        self.login = login
        self.idle = idle
        self.timeout = timeout
        self.connection: Any = None
        self.active = 0
        self.last_used = time.monotonic()
        self.started = time.monotonic()
        self.stop = asyncio.Event()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not _same_user(writer.get_extra_info("socket")):
            writer.close()
            return
        self.active += 1
        try:
            try:
                # Half the command's connect timeout, so that it still has one whole for its direct try.
                channel_reader, channel_writer = await asyncio.wait_for(
                    self.connection.open_unix_connection(self.login.target.socket, encoding=None), self.timeout / 2)
            except TimeoutError:
                writer.write(REFUSED)
                self.stop.set()  # a connection that cannot open a channel in time is not worth keeping
                return
            except (OSError, asyncssh.Error):
                writer.write(REFUSED)  # the command, connecting directly, learns why (socket_check.py)
                return
            writer.write(READY)
            sending = asyncio.ensure_future(_relay(reader, channel_writer))
            receiving = asyncio.ensure_future(_relay(channel_reader, writer))
            _done, pending = await asyncio.wait({sending, receiving}, return_when=asyncio.FIRST_EXCEPTION)
            for task in pending:  # one way broke: the other has nothing left to carry
                task.cancel()
            channel_writer.close()
        except (OSError, asyncssh.Error):
            pass
        finally:
            with contextlib.suppress(OSError):
                writer.close()
            self.active -= 1
            self.last_used = time.monotonic()

    async def run(self) -> int:
        try:
            self.connection = await self.login.connection(self.timeout)
        except EngineError:
            return 1
        closed = asyncio.ensure_future(self.connection.wait_closed())
        self.path.unlink(missing_ok=True)  # a dead keeper's: the lock says none is alive
        mask = os.umask(0o177)
        try:
            server = await asyncio.start_unix_server(self.handle, path=str(self.path))
        finally:
            os.umask(mask)
        os.chmod(self.path, 0o600)
        ours = os.stat(self.path).st_ino
        try:
            while not self.stop.is_set() and not closed.done():
                now = time.monotonic()
                if self.active == 0 and (now - self.last_used > self.idle or now - self.started > MAX_LIFE):
                    break
                if now - self.started > MAX_LIFE and server.is_serving():
                    server.close()  # no new commands; the ones still here finish
                    _remove(self.path, ours)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.shield(closed), min(1.0, self.idle / 4))
        finally:
            server.close()
            _remove(self.path, ours)
            closed.cancel()
            await self.login.aclose()
        return 0


async def _relay(reader: Any, writer: Any) -> None:
    """Copy until EOF, then pass the EOF on (a half-close)."""
    while data := await reader.read(_CHUNK):
        writer.write(data)
        await writer.drain()
    if writer.can_write_eof():
        writer.write_eof()


def _same_user(sock: socket.socket | None) -> bool:
    if sock is None:
        return False
    try:
        _pid, uid, _gid = _PEER_CREDENTIALS.unpack(
            sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _PEER_CREDENTIALS.size))
    except OSError:
        return False
    return uid == os.geteuid()


def _remove(path: Path, inode: int) -> None:
    """Remove our socket, not one a later keeper put in its place."""
    with contextlib.suppress(OSError):
        if os.lstat(path).st_ino == inode:
            path.unlink()


def _private_folder(folder: Path) -> bool:
    with contextlib.suppress(FileExistsError):
        folder.mkdir(mode=0o700, parents=True)
    return is_private(folder, kind=stat.S_IFDIR)


async def main(args: argparse.Namespace) -> int:
    path = Path(args.socket)
    if not _private_folder(path.parent):
        return 1  # not a folder of ours alone: another user could reach the engine through it
    lock = os.open(f"{path}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return 0  # another keeper serves this socket
    login = SshLogin(parse_ssh_url(args.url), name=args.name, url=args.url)
    keeper = Keeper(path, login, idle=args.idle, timeout=args.timeout)
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        loop.add_signal_handler(signum, keeper.stop.set)
    return await keeper.run()


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m runtime.engine.ssh.keeper", description=__doc__)
    parser.add_argument("--socket", required=True)
    parser.add_argument("--url", required=True)
    parser.add_argument("--name", default="")
    parser.add_argument("--idle", type=float, required=True)
    parser.add_argument("--timeout", type=float, default=10.0)
    return parser.parse_args(argv)


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main(parse())))
