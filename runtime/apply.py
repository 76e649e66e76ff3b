"""`capsule apply`: make the hosts run what the input says, touching only what differs.

For every capsule of the input:
- absent (no host runs a capsule of that name) → created, as `capsule create`;
- present with the same normalized spec → "unchanged": nothing is stopped, restarted
  or even written (the comparison is the input's normalized document against the
  running capsule's `capsule.spec` label, read from the host);
- present with another spec → updated (`runtime.update`), with its switch-over and
  restore-on-failure.
Secret VALUES are not part of the spec (it holds references only), so changing
only a Secret's value is "unchanged"; `capsule update` forces a new revision.

Capsules are handled one after another, each failure recorded and the rest still
applied. This module must not print.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from runtime.create_flow import create_all
from runtime.errors import BadRequest, CapsuleError
from runtime.observe.discovery import observe_capsule
from runtime.update import update_capsule
from translate.translation import Translation

if TYPE_CHECKING:
    from runtime.context import RuntimeContext
    from translate.spec import Capsule
    from translate.translation import Translation

CREATED, UPDATED, UNCHANGED, FAILED = "created", "updated", "unchanged", "failed"


@dataclass
class ApplyResult:
    name: str
    action: str  # created | updated | unchanged | failed
    host: str = ""
    revision: int | None = None
    ip: str | None = None
    error: CapsuleError | None = None


def normalized(capsule: Capsule) -> dict[str, Any]:
    """The document exactly as the `capsule.spec` label stores it (through JSON)."""
    return json.loads(json.dumps(capsule.to_dict(), sort_keys=True))


async def apply_all(
    ctx: RuntimeContext, translation: Translation, *, host: str | None = None, timeout: float = 120.0,
    settle: float = 3.0, on_progress: Callable[..., Any] | None = None,
) -> list[ApplyResult]:

    if not translation.capsules:
        raise BadRequest("the input defines no capsules; nothing to apply")
    names = [c.name for c in translation.capsules]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise BadRequest(f"capsule(s) {', '.join(twice)} defined twice in the input; rename one")
    await ctx.refresh()
    known = {h.name for h in ctx.hosts}
    results: list[ApplyResult] = []
    for capsule in translation.capsules:
        records = [r for r in ctx.store.find(capsule.name) if r.host in known and not r.create_failed]
        try:
            if not records:
                results.append(await _create(ctx, translation, capsule, host, timeout, on_progress))
                continue
            record = records[0]
            observed = await observe_capsule(await ctx.engine(record.host), record.host, uuid=record.uuid)
            if observed is not None and observed.spec == normalized(capsule):
                results.append(ApplyResult(capsule.name, UNCHANGED, record.host, observed.revision, observed.ip))
                continue

            done = await update_capsule(ctx, capsule, translation.secrets, timeout=timeout, settle=settle,
                                        source="apply", on_progress=on_progress, refresh=False)
            results.append(ApplyResult(capsule.name, UPDATED, done.host, done.revision, done.ip))
        except CapsuleError as exc:
            results.append(ApplyResult(capsule.name, FAILED, error=exc))
    return results


async def _create(ctx: RuntimeContext, translation: Translation, capsule: Capsule, host: str | None,
                  timeout: float, on_progress: Callable[..., Any] | None) -> ApplyResult:
    one = Translation([capsule], translation.secrets, translation.report, [])
    created = (await create_all(ctx, one, host=host, wait=True, timeout=timeout, on_progress=on_progress,
                                options=None))[0]
    return ApplyResult(capsule.name, CREATED, created.host, 1, created.ip)
