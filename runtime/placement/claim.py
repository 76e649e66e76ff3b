"""Choosing a host for a capsule against live facts, and claiming it for the create.

Two entry points for the service layer:

    placement = await place_capsule(capsule, hosts)              # --dry-run: decide, show
    print(placement.format())

    async with claim_placement(capsule, hosts) as claim:         # create
        engine = await connect_engine(claim.host)
        await build_capsule(engine, capsule, secrets, host=claim.host.name, ...,
                            on_progress=claim.release_after_sandbox)
        # leaving the block releases the host if the sandbox step never came

Concurrency. `claim_placement` chooses a host from facts gathered concurrently,
then takes that host's lock file (runtime/placement/host_lock.py), reads the host's facts AGAIN under
the lock and re-runs every filter on them (with a single host there is nothing to
choose: its facts are read once, under the lock). Only if the host still fits does the
create go ahead, holding the lock until the sandbox exists and has started (its
labels then count its requests and ports for whoever comes next). If the host no
longer fits, the lock is dropped and placement runs again with the fresh facts.

- Creates started from this machine (any number of processes): two racing for
  the last capacity of a host are serialized by the lock; the second one re-reads
  the host, sees the first capsule's sandbox and its requests, and goes elsewhere
  or fails with the reasons. They never both land.
- Creates started from different machines: the lock is local, so it does not
  exclude them. Each re-reads the engine's state under its own lock, which shrinks
  the window to the time between that re-read and the creation of the sandbox
  container: tens of milliseconds when the images are on the host, longer when the
  builder must pull them first (it pulls before it creates the sandbox). Within that
  window two machines can both place onto the last capacity. Host ports are safe either way: the engine itself
  refuses a second binding of a port, and the create then fails cleanly.

This module must not build capsules (the builder does) or import textual.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from typing import Any

from runtime.build.model import KIND_SANDBOX
from runtime.errors import SchedulingError
from runtime.hosts.reserve import Reserve
from runtime.hosts.settings import HostSettings
from runtime.placement.host_facts import EngineFor, HostFacts, TransportFor, gather_facts, host_facts
from runtime.placement.host_lock import DEFAULT_LOCK_TIMEOUT, HostLock
from runtime.placement.scheduler import Demand, Placement, evaluate, place
from translate.spec import Capsule


async def place_capsule(
    capsule: Capsule | Demand,
    hosts: Sequence[HostSettings],
    *,
    strategy: str = "spread",
    reserve: Reserve = Reserve(),
    facts: Sequence[HostFacts] | None = None,
    connect_timeout: float | None = None,
    transport_for: TransportFor | None = None,
) -> Placement:
    """Gather every host's facts at once (unless given) and choose; raises NoHostFits."""
    if facts is None:
        facts = await gather_facts(hosts, connect_timeout=connect_timeout, transport_for=transport_for)
    return place(capsule, facts, strategy=strategy, reserve=reserve)


@dataclass
class Claim:
    """A host chosen and locked for one create; the facts were read under the lock."""

    placement: Placement
    host: HostSettings
    facts: HostFacts
    lock: HostLock

    def release(self) -> None:
        """Let the next create onto this host go ahead; safe to call more than once."""
        self.lock.release()

    def release_after_sandbox(self, event: Any) -> None:
        """An `on_progress` callback for build_capsule: release once the sandbox has started.

        From then on the sandbox's labels carry the capsule's requests and its ports are
        bound, so the next create's re-check sees them; pulling member images and
        starting members need not hold other creates up.
        """
        if getattr(event, "kind", None) == KIND_SANDBOX:
            self.release()


@asynccontextmanager
async def claim_placement(
    capsule: Capsule | Demand,
    hosts: Sequence[HostSettings],
    *,
    strategy: str = "spread",
    reserve: Reserve = Reserve(),
    connect_timeout: float | None = None,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    transport_for: TransportFor | None = None,
    engine_for: EngineFor | None = None,
) -> AsyncIterator[Claim]:
    """Place, lock the chosen host, re-check it under the lock; yield the claim.

    Raises NoHostFits (every host's reason) when nothing fits, before or after a re-check.
    `engine_for` (CapsuleService.engine) lets the facts be asked over the connections
    the create uses anyway, instead of a new connection per host and per look.
    """
    demand = capsule if isinstance(capsule, Demand) else Demand.of(capsule)
    by_name = {h.name: h for h in hosts}
    # CPUs and memory (/info) matter only when the capsule requests some, or when
    # they rank several hosts; ports, labels and the selector need only the list.
    need_info = demand.cpu > 0 or demand.memory > 0 or demand.gpu > 0 or len(by_name) > 1

    async def look(host: HostSettings) -> HostFacts:
        return await host_facts(host, connect_timeout=connect_timeout,
                                transport=transport_for(host) if transport_for else None,
                                engine_for=engine_for, need_info=need_info)

    single = len(by_name) == 1
    if single:
        # One host: there is nothing to choose, so the facts read under its lock
        # are the only ones needed (a first look without the lock would be repeated).
        facts: list[HostFacts] = []
    else:
        facts = await gather_facts(hosts, connect_timeout=connect_timeout, transport_for=transport_for,
                                   engine_for=engine_for, need_info=need_info)
    # Each failed re-check replaces one host's facts with fresher ones that do not
    # fit, so the loop ends; the bound only guards against facts that keep flapping.
    for _ in range(len(by_name) + 2):
        if facts or not single:
            placement = place(demand, facts, strategy=strategy, reserve=reserve)
            host = by_name[placement.host]
        else:
            placement, host = None, hosts[0]
        lock = HostLock(host.name, timeout=lock_timeout)
        await lock.acquire()
        try:
            fresh = await look(host)
            decision = evaluate(demand, fresh, reserve, strategy)
            if decision.fits:
                chosen = replace(decision, chosen=True)
                if placement is None:
                    placement = Placement(host.name, chosen.score or 0.0, strategy, {host.name: chosen})
                reasons = {**placement.reasons_per_host, host.name: chosen}
                claim = Claim(replace(placement, score=chosen.score or 0.0, reasons_per_host=reasons),
                              host, fresh, lock)
                yield claim
                return
        finally:
            lock.release()
        facts = [fresh if f.name == host.name else f for f in facts] if facts else [fresh]
    place(demand, facts, strategy=strategy, reserve=reserve)  # raises NoHostFits with the latest reasons
    raise SchedulingError(
        f"cannot place capsule {demand.name!r}: the hosts' capacity kept changing while it was "
        f"being placed (other creates under way); retry."
    )
