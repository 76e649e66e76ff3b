"""Which of the user's hosts form one Docker swarm, and forming or leaving it.

capsule needs a swarm for one thing: an attachable overlay network per namespace, so
that the capsules and Services of one application reach each other by name across
hosts (runtime.application_flow). It runs no swarm services and changes nothing else
of a swarm the user already has: `form` uses an existing swarm of the hosts (its
manager hands out the join token) and only joins hosts that are in none; it never
moves a host out of another swarm.

Each host's membership comes from its `/info` (`Swarm`): two hosts are in one swarm
when the managers they know overlap (a worker does not see the cluster's id). Every
wait has a bound: a join that cannot reach the manager fails after
runtime.engine.swarm.JOIN_READ_TIMEOUT with the ports the hosts must open.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from runtime.engine.client import EngineClient
from runtime.engine.errors import EngineError, short_error
from runtime.engine.swarm import JOIN_READ_TIMEOUT
from runtime.errors import BadRequest, CapsuleError
from runtime.hosts.settings import HostSettings

SWARM_PORTS = "2377/tcp (managers), 7946/tcp and udp, and 4789/udp"
ACTIVE = "active"


@dataclass(frozen=True)
class Membership:
    """One host's place in a swarm, as its engine says."""

    host: str
    state: str  # inactive | pending | active | error | locked
    node_id: str = ""
    manager: bool = False
    managers: frozenset[str] = frozenset()  # node ids of the managers it knows
    address: str = ""  # the address it advertises
    error: str = ""

    @property
    def active(self) -> bool:
        return self.state == ACTIVE

    def same_swarm(self, other: Membership) -> bool:
        return self.active and other.active and bool(self.managers & other.managers)


def membership(host: str, info: Mapping[str, Any]) -> Membership:
    swarm = info.get("Swarm") or {}
    managers = frozenset(str(m.get("NodeID")) for m in swarm.get("RemoteManagers") or [] if isinstance(m, dict))
    return Membership(host, str(swarm.get("LocalNodeState") or "inactive"), str(swarm.get("NodeID") or ""),
                      bool(swarm.get("ControlAvailable")), managers, str(swarm.get("NodeAddr") or ""),
                      str(swarm.get("Error") or ""))


def one_swarm(members: Sequence[Membership]) -> bool:
    """True when every one of these hosts is in the same swarm (and there are at least two)."""
    return len(members) >= 2 and all(m.same_swarm(members[0]) for m in members[1:])


def advertise_address(settings: HostSettings, given: Mapping[str, str]) -> str:
    """The address the other hosts reach this one on: given, else its URL's host, resolved."""
    if settings.name in given:
        return given[settings.name]
    parts = urlsplit(settings.url)
    hostname = parts.hostname if parts.scheme.lower() in ("tcp", "http", "https", "ssh") else None
    if not hostname:
        raise BadRequest(f"host {settings.name} is reached over {parts.scheme}://, which says no address the "
                         f"other hosts can reach it on; give one with --advertise-addr {settings.name}=ADDRESS")
    try:
        return str(ipaddress.ip_address(hostname))
    except ValueError:
        pass
    try:
        return socket.getaddrinfo(hostname, None, type=socket.SOCK_STREAM)[0][4][0]
    except OSError as exc:
        raise BadRequest(f"host {settings.name}: its name {hostname} does not resolve here ({exc}); give its "
                         f"address with --advertise-addr {settings.name}=ADDRESS") from None


async def memberships(hosts: Sequence[tuple[HostSettings, EngineClient]]) -> list[Membership]:
    async def one(settings: HostSettings, engine: EngineClient) -> Membership:
        return membership(settings.name, await engine.info())

    return list(await asyncio.gather(*(one(s, e) for s, e in hosts)))


async def form(hosts: Sequence[tuple[HostSettings, EngineClient]], *,
               advertise: Mapping[str, str] | None = None) -> list[str]:
    """Make these hosts one swarm; what was done, one line per host.

    The manager is a host already managing a swarm of them, else the first host, which
    starts one. A host in another swarm, or a swarm none of whose managers is among
    these hosts, is an error naming it, before anything changes.
    """
    if len(hosts) < 2:
        raise BadRequest("a swarm needs at least two hosts; name them, or add hosts with capsule hosts add")
    given = dict(advertise or {})
    members = await memberships(hosts)
    by_name = {s.name: (s, e) for s, e in hosts}
    for member in members:
        if member.state not in ("inactive", ACTIVE):
            raise CapsuleError(f"host {member.host} is in swarm state {member.state}"
                               + (f" ({member.error})" if member.error else "")
                               + "; fix or leave that swarm on the host first (docker swarm leave)")
    active = [m for m in members if m.active]
    manager = next((m for m in active if m.manager), None)
    if active and manager is None:
        raise CapsuleError(f"hosts {', '.join(m.host for m in active)} are swarm workers whose managers are not "
                           f"among capsule's hosts; add a manager with capsule hosts add, or join the others "
                           f"to that swarm with docker swarm join")
    if manager is not None:
        strangers = [m for m in active if not m.same_swarm(manager)]
        if strangers:
            raise CapsuleError(f"host {strangers[0].host} is in another swarm than host {manager.host}; leave "
                               f"it there first (docker swarm leave), or leave the host out")
    addresses = {s.name: advertise_address(s, given) for s, _ in hosts
                 if not any(m.host == s.name and m.active for m in members)}
    said: list[str] = []
    if manager is None:
        first, engine = hosts[0]
        await engine.swarm_init(addresses[first.name])
        manager = membership(first.name, await engine.info())
        said.append(f"host {first.name}: started a swarm, manager at {manager.address}")
    else:
        said.append(f"host {manager.host}: manages the swarm already")
    token = ((await by_name[manager.host][1].swarm_inspect()).get("JoinTokens") or {}).get("Worker")
    if not token:
        raise CapsuleError(f"host {manager.host} gave no join token for the swarm")
    target = f"{manager.address}:2377"
    for member in members:
        if member.host == manager.host:
            continue
        if member.active:
            said.append(f"host {member.host}: in the swarm already")
            continue
        engine = by_name[member.host][1]
        try:
            await asyncio.wait_for(engine.swarm_join(target, token, addresses[member.host]), JOIN_READ_TIMEOUT + 5)
        except (TimeoutError, EngineError) as exc:
            why = short_error(exc) if isinstance(exc, EngineError) else f"no answer within {JOIN_READ_TIMEOUT:g} s"
            raise CapsuleError(f"host {member.host} could not join the swarm of host {manager.host} at {target}: "
                               f"{why}; the hosts must reach each other on {SWARM_PORTS}") from None
        said.append(f"host {member.host}: joined the swarm of host {manager.host} as a worker")
    return said


async def leave(hosts: Sequence[tuple[HostSettings, EngineClient]]) -> list[str]:
    """Take these hosts out of their swarm: workers first, managers last; one line per host."""
    members = await memberships(hosts)
    engines = {s.name: e for s, e in hosts}
    said: list[str] = []
    for member in sorted(members, key=lambda m: m.manager):
        if not member.active:
            said.append(f"host {member.host}: in no swarm")
            continue
        try:
            await engines[member.host].swarm_leave(force=True)
        except EngineError as exc:
            # Stop here: the managers stay, so this host can still leave (or rejoin) their swarm.
            done = "; ".join(said) or "no host left yet"
            hint = ("; an engine holding a network attachment it never gave back (cut from its manager "
                    f"mid-start) cannot stop its swarm agent: restart the Docker engine on {member.host}, then run "
                    "this again" if "deadline exceeded" in str(exc) else "")
            raise CapsuleError(f"host {member.host} did not leave the swarm: {short_error(exc)}{hint} "
                               f"({done})") from exc
        said.append(f"host {member.host}: left the swarm")
    return said
