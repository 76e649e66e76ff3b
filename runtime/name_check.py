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
from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING

from runtime.hosts.connect import ANSWER_TIMEOUT
from runtime.labels import LABEL_MANAGED_BY, LABEL_NAME, MANAGED_BY
from runtime.observe import leftovers

if TYPE_CHECKING:
    from runtime.context import RuntimeContext
    from runtime.hosts.settings import HostSettings


@dataclass(frozen=True)
class TakenName:
    name: str
    host: str
    detail: str = ""  # e.g. "being created"

    def __str__(self) -> str:
        extra = f" ({self.detail})" if self.detail else ""
        return f"capsule {self.name} already exists on host {self.host}{extra}"


async def names_taken(ctx: RuntimeContext, names: Collection[str]) -> dict[str, TakenName]:
    """Each name of `names` that a create would find taken, with the host that has it."""
    wanted = set(names)
    taken: dict[str, TakenName] = {}
    for name in sorted(wanted):
        for record in ctx.store.find(name):
            if not record.create_failed:
                detail = "being created" if record.lease_active() else ""
                taken.setdefault(name, TakenName(name, record.host, detail))

    async def look(settings: HostSettings) -> list[TakenName]:
        try:
            async with ctx.asking(settings) as engine:
                entries = await asyncio.wait_for(engine.list_containers(
                    all=True, filters={"label": [f"{LABEL_MANAGED_BY}={MANAGED_BY}"]}), ANSWER_TIMEOUT)
        except Exception:  # noqa: BLE001 - unreachable or slow: create reports it, the preview need not
            return []
        mine = [e for e in entries if (e.get("Labels") or {}).get(LABEL_NAME) in wanted]
        found = leftovers.group_by_uuid(mine, [])
        gone = {item.uuid for item in leftovers.dead(found, known=ctx.uuid_known, now=time.time())}
        return [TakenName(item.name, settings.name) for item in found.values() if item.uuid not in gone]

    for answer in await asyncio.gather(*(look(h) for h in ctx.hosts)):
        for item in answer:
            taken.setdefault(item.name, item)
    return taken
