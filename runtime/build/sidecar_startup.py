"""A native sidecar's startupProbe gates what starts after it, as the kubelet does.

Kubernetes starts the next init container (and then the members) only once a sidecar
with a startupProbe has passed it: a proxy sidecar is ready to carry traffic before
anything that needs it runs. Here the build waits the same way, bounded by the
create's deadline. A run of `failureThreshold` failures restarts the sidecar (its own
policy is Always), and the probe counts afresh from its new start.
"""

from __future__ import annotations

import asyncio
import time

from runtime.build.container_config import BuildContext
from runtime.engine.client import EngineClient
from runtime.errors import BuildFailed, ProbeError
from runtime.observe.discovery import observe_capsule
from runtime.probes.run import STARTUP, describe_probe, run_probe
from runtime.probes.tracker import FAILED, ProbeTracker
from translate.spec import Container

# A build without a deadline of its own (an update's new revision) still waits no longer than this.
_LONGEST_WAIT = 300.0
_POLL = 0.25


async def await_sidecar_started(engine: EngineClient, ctx: BuildContext, container: Container,
                                container_id: str) -> None:
    """Return once the sidecar's startupProbe has passed; BuildFailed at the deadline, with the last answer."""
    probe = container.startup_probe
    if probe is None:
        return
    deadline = ctx.options.deadline or time.monotonic() + _LONGEST_WAIT
    tracker = ProbeTracker(STARTUP, probe, time.time())
    restarts, last = 0, "not probed yet"
    while not tracker.passing:
        if time.monotonic() >= deadline:
            raise BuildFailed(
                f"sidecar {container.name} of capsule {ctx.capsule.name} did not pass its startup probe "
                f"{describe_probe(probe)} in time on host {ctx.host} ({last}; {restarts} restarts); "
                f"give it longer with --timeout", capsule=ctx.capsule.name, host=ctx.host)
        now = time.time()
        if tracker.due(now):
            observed = await observe_capsule(engine, ctx.host, uuid=ctx.uuid)
            sidecar = next((c for c in (observed.sidecars if observed else []) if c.id == container_id), None)
            if sidecar is None:
                raise BuildFailed(f"sidecar {container.name} of capsule {ctx.capsule.name} is gone from host "
                                  f"{ctx.host} while its startup probe was awaited",
                                  capsule=ctx.capsule.name, host=ctx.host)
            try:
                result = await run_probe(engine, observed, sidecar, probe)  # type: ignore[arg-type]
            except ProbeError as exc:
                raise BuildFailed(f"the startup probe of sidecar {container.name} of capsule {ctx.capsule.name} "
                                  f"cannot run: {exc.reason}", capsule=ctx.capsule.name, host=ctx.host) from exc
            last = result.reason
            if tracker.record(result, time.time()) == FAILED:
                await engine.restart(container_id, timeout=max(int(probe.period_seconds), 1))
                restarts += 1
                tracker = ProbeTracker(STARTUP, probe, time.time())
            continue
        await asyncio.sleep(min(_POLL, max(tracker.next_due - now, 0.01), max(deadline - time.monotonic(), 0.01)))
