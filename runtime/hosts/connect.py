"""Reaching hosts: an engine client per host, connected on first use and shared (`EnginePool`).

    pool = EnginePool(load_hosts())
    engine = await pool.engine("web1")      # connects once; concurrent callers share it
    pool.forget("web1")                     # after a failure: the next call reconnects
    await pool.aclose()

The service and the flows ask the pool, never the hosts' URLs: one connection pool
per host for a command's whole life, and one place where a dead host is forgotten.
It raises the engine client's errors (runtime.engine.errors) and UnknownHost; the
service turns the former into HostFailed for whoever is above it.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable, Sequence

from runtime.engine.client import EngineClient
from runtime.engine.ssh.keep import DEFAULT_IDLE, SshKeep
from runtime.engine.transport import Timeouts, TlsConfig
from runtime.hosts.settings import HostSettings, find_host
from runtime.paths import state_dir

Connect = Callable[[HostSettings], Awaitable[EngineClient]]
# A host that accepted the connection has this long to answer a quick, read-only question
# (a container list, a ping): a host that accepts and never answers costs this, not the
# 30 s an ordinary call may take (a create under load), nor the sum over hosts.
ANSWER_TIMEOUT = 5.0
# Seconds an ssh:// host's connection is kept after the last command used it; 0: not kept.
SSH_KEEP_VARIABLE = "CAPSULE_SSH_KEEP"


def ssh_keep_setting() -> SshKeep | None:
    """Where and how long commands keep ssh:// connections (runtime/engine/ssh/keep.py), or None.

    $CAPSULE_SSH_KEEP seconds (default 60; 0 turns keeping off); the keepers' sockets
    live in the state folder's `ssh/`, private to the user.
    """
    value = os.environ.get(SSH_KEEP_VARIABLE, "").strip()
    try:
        idle = float(value) if value else DEFAULT_IDLE
    except ValueError:
        idle = DEFAULT_IDLE
    if not idle > 0:
        return None
    return SshKeep(state_dir() / "ssh", min(idle, 3600.0))


async def connect_engine(host: HostSettings, *, api_version: tuple[int, int] | None = None,
                         read_timeout: float | None = None, ssh_keep: SshKeep | None = None) -> EngineClient:
    """An engine client for `host`; raises the engine client's EngineError subclasses.

    `api_version`: speak it without asking the host first (see EngineClient.connect).
    `read_timeout`: how long an ordinary call may wait for its answer (default: the client's).
    `ssh_keep`: keep an ssh:// host's connection for the next commands (ssh_keep_setting).
    """
    tls = TlsConfig(host.tls_ca, host.tls_cert, host.tls_key) if host.uses_tls else None
    timeouts = Timeouts(connect=host.connect_timeout)
    if read_timeout is not None:
        timeouts = Timeouts(connect=host.connect_timeout, read=read_timeout, write=read_timeout)
    return await EngineClient.connect(host.url, name=host.name, tls=tls, timeout=timeouts, api_version=api_version,
                                      ssh_keep=ssh_keep)


class EnginePool:
    """The configured hosts, and one engine client per host, opened on first use."""

    def __init__(self, hosts: Sequence[HostSettings], connect: Connect | None = None, *,
                 ssh_keep: SshKeep | None = None) -> None:
        self.hosts = list(hosts)
        # Tests plug in clients over an in-process fake engine here.
        self.connect: Connect = connect or self._connect
        self.ssh_keep = ssh_keep  # a command's: ssh:// connections kept between commands
        self._engines: dict[str, asyncio.Task[EngineClient]] = {}
        self._forgotten: list[asyncio.Task[EngineClient]] = []

    @property
    def uses_real_connections(self) -> bool:
        """True unless a test replaced how hosts are reached."""
        return self.connect == self._connect

    async def _connect(self, host: HostSettings) -> EngineClient:
        return await connect_engine(host, ssh_keep=self.ssh_keep)

    def host(self, name: str) -> HostSettings:
        """The configured host of that name; UnknownHost (exit 2) names the known ones."""
        return find_host(self.hosts, name)

    def replace_hosts(self, hosts: Sequence[HostSettings]) -> None:
        """Take a new host list (the inventory changed); clients of hosts that left are closed later."""
        self.hosts = list(hosts)
        names = {h.name for h in self.hosts}
        for name in [n for n in self._engines if n not in names]:
            self.forget(name)

    def is_connected(self, name: str) -> bool:
        return name in self._engines

    async def connect_once(self, host: HostSettings, *, api_version: tuple[int, int]) -> EngineClient:
        """A client of the caller's own (not kept here) that speaks `api_version` without asking first.

        For a single quick look (`capsule list`): every call must start answering within ANSWER_TIMEOUT.
        """
        return await connect_engine(host, api_version=api_version, read_timeout=ANSWER_TIMEOUT,
                                    ssh_keep=self.ssh_keep)

    async def engine(self, host: HostSettings | str) -> EngineClient:
        """The host's engine client, connected on first use (concurrent callers share it)."""
        settings = self.host(host) if isinstance(host, str) else host
        task = self._engines.get(settings.name)
        if task is None or (task.done() and (task.cancelled() or task.exception() is not None)):
            task = asyncio.ensure_future(self.connect(settings))
            self._engines[settings.name] = task
        try:
            return await asyncio.shield(task)
        except BaseException:
            if task.done() and self._engines.get(settings.name) is task:
                del self._engines[settings.name]  # let the next call try again
            raise

    def forget(self, name: str) -> None:
        """Drop a host's client after it failed, so the next use reconnects."""
        task = self._engines.pop(name, None)
        if task is not None:
            self._forgotten.append(task)  # closed in aclose(), connected or not

    async def aclose(self) -> None:
        tasks = [*self._engines.values(), *self._forgotten]
        for task in tasks:
            if not task.done():
                task.cancel()
        results = await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.gather(*(r.aclose() for r in results if not isinstance(r, BaseException)),
                             return_exceptions=True)
        self._engines.clear()
        self._forgotten.clear()
