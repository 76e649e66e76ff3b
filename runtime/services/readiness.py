"""Which backends are not ready: their readiness probe fails now.

Kubernetes takes a pod out of its Services' endpoints while its readiness probe fails;
capsule does the same each time it gives the Services their backends (at create,
delete, update, scale, and every few seconds under `capsule watch`), by running each
member's readiness probe once (runtime.probes.run, bounded by the probe's timeout).
"""

from __future__ import annotations

from collections.abc import Iterable

from runtime.concurrently import bounded
from runtime.engine.client import EngineClient
from runtime.observe.observed import ObservedCapsule
from runtime.probes.run import READINESS, member_probes, run_probe

_CONCURRENCY = 16


async def not_ready(engines: dict[str, EngineClient], capsules: Iterable[ObservedCapsule]) -> set[str]:
    """The uuids of the capsules one of whose members' readiness probe fails now."""
    checks = []
    for capsule in capsules:
        engine = engines.get(capsule.host)
        if engine is None:
            continue
        for member in capsule.members:
            probe = member_probes(capsule, member.member).get(READINESS)
            if probe is not None:
                checks.append((capsule.uuid, run_probe(engine, capsule, member, probe)))
    if not checks:
        return set()
    results = await bounded((check for _, check in checks), _CONCURRENCY)
    return {uuid for (uuid, _), result in zip(checks, results, strict=True) if not result.ok}
