"""Which names of a planned create are taken already, and where: a read-only look for previews.

The create screen shows it beside the placement, so that a name in use is said
while the YAML is typed, not only when ctrl+s fails. The same rules as create's own
check (runtime.create_flow._ensure_name_free and Store.claim), without their
writes: a store row of this machine takes the name (one left by a failed create
does not: a new create replaces it), and so does a capsule on a host that answers,
unless it is what a dead create left (runtime.observe.leftovers), which create
would remove first. A host that does not answer within ANSWER_TIMEOUT is skipped:
create itself says what it finds there. Nothing here changes a host or the store.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Collection, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any

from runtime.hosts.connect import ANSWER_TIMEOUT
from runtime.hosts.settings import HostSettings
from runtime.labels import LABEL_MANAGED_BY, LABEL_NAME, MANAGED_BY
from runtime.observe import leftovers


@dataclass(frozen=True)
class TakenName:
    name: str
    host: str
    detail: str = ""  # e.g. "being created"

    def __str__(self) -> str:
        extra = f" ({self.detail})" if self.detail else ""
        return f"capsule {self.name} already exists on host {self.host}{extra}"


async def names_taken(names: Collection[str], hosts: Sequence[HostSettings], *,
                      find: Callable[[str], list[Any]], known: Callable[[str], leftovers.Known],
                      asking: Callable[[HostSettings], AbstractAsyncContextManager[Any]]) -> dict[str, TakenName]:
    """Each name of `names` that a create would find taken, with the host that has it.

    `find(name)`: the store's records of the name (runtime.state.records.CapsuleRecord);
    `known(uuid)`: what the store knows of a uuid; `asking(host)`: the host's engine
    client (`find` is the store's, the others are RuntimeContext's own).
    """
    wanted = set(names)
    taken: dict[str, TakenName] = {}
    for name in sorted(wanted):
        for record in find(name):
            if not record.create_failed:
                detail = "being created" if record.lease_active() else ""
                taken.setdefault(name, TakenName(name, record.host, detail))

    async def look(settings: HostSettings) -> list[TakenName]:
        try:
            async with asking(settings) as engine:
                entries = await asyncio.wait_for(engine.list_containers(
                    all=True, filters={"label": [f"{LABEL_MANAGED_BY}={MANAGED_BY}"]}), ANSWER_TIMEOUT)
        except Exception:  # noqa: BLE001 - unreachable or slow: create reports it, the preview need not
            return []
        mine = [e for e in entries if (e.get("Labels") or {}).get(LABEL_NAME) in wanted]
        found = leftovers.group_by_uuid(mine, [])
        gone = {item.uuid for item in leftovers.dead(found, known=known, now=time.time())}
        return [TakenName(item.name, settings.name) for item in found.values() if item.uuid not in gone]

    for answer in await asyncio.gather(*(look(h) for h in hosts)):
        for item in answer:
            taken.setdefault(item.name, item)
    return taken
