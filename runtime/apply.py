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

The replicas of a replicated workload (Deployment, StatefulSet, ...) are applied as a
whole (runtime.workload_flow.roll_out): kept ones updated one by one, new ones created
one at a time with an old one removed after each, so the workload keeps serving. The
input's Services are created when absent and replaced when they differ.

Capsules are handled one after another, each failure recorded and the rest still
applied. This module must not print.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from runtime import application_flow, services_flow
from runtime.create_flow import create_all
from runtime.errors import BadRequest, CapsuleError
from runtime.observe.discovery import observe_capsule
from runtime.update import update_capsule
from runtime.workload_flow import normalized, roll_out
from translate.replicas import REPLICATED_KINDS
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


async def apply_all(
    ctx: RuntimeContext, translation: Translation, *, host: str | None = None, timeout: float = 120.0,
    settle: float = 3.0, on_progress: Callable[..., Any] | None = None,
) -> list[ApplyResult]:

    if not translation.capsules and not translation.services:
        raise BadRequest("the input defines no capsules; nothing to apply")
    names = [c.name for c in translation.capsules]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise BadRequest(f"capsule(s) {', '.join(twice)} defined twice in the input; rename one")
    await ctx.refresh()
    known = {h.name for h in ctx.hosts}
    results: list[ApplyResult] = await _apply_services(ctx, translation, host)
    groups: dict[tuple[str, str], list[Capsule]] = {}
    for capsule in translation.capsules:
        if capsule.workload and capsule.workload.split("/")[0] in REPLICATED_KINDS:
            groups.setdefault((capsule.namespace or "", capsule.workload), []).append(capsule)
    for wanted in groups.values():
        for step in await roll_out(ctx, wanted, translation.secrets, timeout=timeout, settle=settle,
                                   on_progress=on_progress):
            results.append(ApplyResult(step.name, FAILED if step.error else step.action, step.host, error=step.error))
    for capsule in translation.capsules:
        if capsule.workload and capsule.workload.split("/")[0] in REPLICATED_KINDS:
            continue
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


async def _apply_services(ctx: RuntimeContext, translation: Translation, host: str | None) -> list[ApplyResult]:
    """The input's Services: made when absent, left when the same, replaced when they differ."""
    if not translation.services:
        return []
    views, _ = await services_flow.list_services(ctx)
    running = {(v.namespace, v.name): v for v in views}
    changed, results = [], []
    for service in translation.services:
        view = running.get((service.namespace, service.name))
        if view is not None and view.spec == service.to_dict():
            results.append(ApplyResult(f"service/{service.name}", UNCHANGED, view.host, ip=view.address))
        elif view is not None:
            changed.append(service)
    if changed:
        await services_flow.delete_services(ctx, [(s.namespace, s.name) for s in changed])
    absent = [s for s in translation.services
              if (s.namespace, s.name) not in running or s in changed]
    if absent:
        plan = await application_flow.prepare(ctx, Translation([], services=absent), host=host, network=None,
                                              strategy="spread")
        for made in plan.made:
            action = UPDATED if made.service in changed else CREATED
            results.append(ApplyResult(f"service/{made.service.name}", action, made.host, ip=made.ip))
        await application_flow.sync(ctx, plan.namespaces)
    return results


async def _create(ctx: RuntimeContext, translation: Translation, capsule: Capsule, host: str | None,
                  timeout: float, on_progress: Callable[..., Any] | None) -> ApplyResult:
    one = Translation([capsule], translation.secrets, translation.report, [])
    created = (await create_all(ctx, one, host=host, wait=True, timeout=timeout, on_progress=on_progress,
                                options=None))[0]
    return ApplyResult(capsule.name, CREATED, created.host, 1, created.ip)
