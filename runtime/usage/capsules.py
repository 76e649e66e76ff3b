"""A capsule's live resource use: its containers' figures summed, beside its own limits.

A capsule's CPU and memory are the sums over its running containers (sandbox,
members, sidecars, the port forwarder, init containers while they run); its limit
is the sum of its members' and sidecars' caps (runtime/usage/limits.py), so the
"% of limit" columns say how close it is to being throttled or OOM-killed.
`measure` takes capsules as the store or a host describes them (anything with
`host`, `uuid`, `spec` and `containers` carrying `id`, `role`, `member`, `state`),
asks every host at once, and with `interval` reads twice so that a one-off command
gets CPU figures too.
Must not print; never raises for a host or container that does not answer.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from runtime.engine.errors import EngineError
from runtime.errors import CapsuleError
from runtime.labels import ROLE_INIT, ROLE_MEMBER, ROLE_SANDBOX, ROLE_SIDECAR
from runtime.usage.figures import percent_of
from runtime.usage.limits import UNLIMITED, Limits, capsule_limits, member_limits
from runtime.usage.sampler import ContainerFigures, UsageSampler

SAMPLED_STATES = ("running", "restarting")  # a paused container's counters stand still: 0% is true but says little
LIMITED_ROLES = (ROLE_MEMBER, ROLE_SIDECAR)


@dataclass(frozen=True)
class Usage:
    """CPU and memory of a container or a capsule, and the caps they run under."""

    cpu: float | None = None  # % of one core; None: not measured (yet)
    memory: int | None = None  # bytes; None: not measured
    cpu_limit: float | None = None  # cores; None: unlimited
    memory_limit: int | None = None  # bytes; None: unlimited

    @property
    def cpu_of_limit(self) -> float | None:
        """% of the CPU limit (a limit of 0.5 cores fully used is 100%); None when unlimited."""
        return percent_of(self.cpu, self.cpu_limit * 100.0 if self.cpu_limit else None)

    @property
    def memory_of_limit(self) -> float | None:
        return percent_of(self.memory, self.memory_limit)

    def to_dict(self) -> dict[str, Any]:
        return {"cpuPercent": _rounded(self.cpu), "memoryBytes": self.memory,
                "cpuLimitCores": self.cpu_limit, "memoryLimitBytes": self.memory_limit,
                "cpuPercentOfLimit": _rounded(self.cpu_of_limit),
                "memoryPercentOfLimit": _rounded(self.memory_of_limit)}


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


@dataclass(frozen=True)
class MemberUsage:
    member: str  # "(sandbox)" for the sandbox
    role: str
    container_id: str
    usage: Usage


@dataclass(frozen=True)
class CapsuleUsage:
    uuid: str
    usage: Usage
    members: tuple[MemberUsage, ...] = field(default_factory=tuple)

    def member(self, container_id: str) -> Usage | None:
        return next((m.usage for m in self.members if m.container_id == container_id), None)

    def to_dict(self) -> dict[str, Any]:
        return {**self.usage.to_dict(),
                "members": [{"member": m.member, "role": m.role, **m.usage.to_dict()} for m in self.members]}


def _sum(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def capsule_usage(capsule: Any, figures: dict[str, ContainerFigures]) -> CapsuleUsage:
    """One capsule's usage from its containers' figures (pure)."""
    caps = member_limits(capsule.spec)
    members: list[MemberUsage] = []
    limited: list[Limits] = []
    for container in sorted(capsule.containers, key=lambda c: _place(c, caps)):
        if container.state not in SAMPLED_STATES:
            continue
        cap = caps.get(container.member, UNLIMITED) if container.role in LIMITED_ROLES else UNLIMITED
        if container.role in LIMITED_ROLES:
            limited.append(cap)
        seen = figures.get(container.id)
        members.append(MemberUsage(container.member or "(sandbox)", container.role, container.id,
                                   Usage(seen.cpu if seen else None, seen.memory if seen else None,
                                         cap.cpu, cap.memory)))
    total = capsule_limits(limited)
    usage = Usage(_sum([m.usage.cpu for m in members]), _sum([m.usage.memory for m in members]),  # type: ignore[arg-type]
                  total.cpu, total.memory)
    return CapsuleUsage(capsule.uuid, usage, tuple(members))


def _place(container: Any, caps: dict[str, Limits]) -> tuple[int, int, str]:
    """The sandbox first, then init containers and sidecars, then members, each in the spec's order."""
    rank = {ROLE_SANDBOX: 0, ROLE_INIT: 1, ROLE_SIDECAR: 2, ROLE_MEMBER: 3}.get(container.role, 4)
    order = list(caps)
    return rank, order.index(container.member) if container.member in order else len(order), container.member


EngineFor = Callable[[str], Awaitable[Any]]  # host name -> its engine client


async def measure(sampler: UsageSampler, engine_for: EngineFor, capsules: Sequence[Any], *,
                  interval: float = 0.0) -> dict[str, CapsuleUsage]:
    """uuid → usage of each capsule whose host answered; with `interval`, two rounds that far apart."""
    by_host: dict[str, list[str]] = {}
    for capsule in capsules:
        ids = [c.id for c in capsule.containers if c.state in SAMPLED_STATES and c.id]
        by_host.setdefault(capsule.host, []).extend(ids)

    async def host_round(host: str, ids: list[str]) -> dict[str, ContainerFigures]:
        try:
            engine = await engine_for(host)
        except (EngineError, CapsuleError, TimeoutError):  # no figures from it: the list says why
            return {}
        return await sampler.read(host, engine, ids)

    async def every_host() -> dict[str, ContainerFigures]:
        rounds = await asyncio.gather(*(host_round(h, ids) for h, ids in by_host.items() if ids))
        return {cid: figures for answer in rounds for cid, figures in answer.items()}

    started = time.monotonic()
    figures = await every_host()
    if interval > 0 and figures:
        # The engine answers a one-shot read at its collector's next tick (once a second), so
        # the first round may have taken the interval already: wait only for what is left of it.
        await asyncio.sleep(max(0.0, interval - (time.monotonic() - started)))
        figures = await every_host()
    return {c.uuid: capsule_usage(c, figures) for c in capsules}
