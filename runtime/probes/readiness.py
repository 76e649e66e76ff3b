"""`wait_ready`: wait until a capsule is ready to serve, or say why it is not.

Ready means, as a Kubernetes pod's Ready condition: the sandbox runs, every member
runs, each member's startupProbe (if any) has passed and each readinessProbe (if
any) has passed `successThreshold` times in a row. A capsule without any
readiness probe is ready once every member has been running, without a restart
or a new start, for `settle` seconds.

It fails fast (NotReady) when waiting cannot help: a member exited and its restart
policy will not bring it back, the capsule is gone, or a probe cannot run at all
(ProbeError). It only observes and probes; it never restarts or stops anything.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from runtime.engine.client import EngineClient
from runtime.errors import NotReady, ProbeError
from runtime.labels import ROLE_MEMBER
from runtime.observe.discovery import observe_capsule
from runtime.observe.observed import ObservedCapsule, ObservedContainer
from runtime.probes.run import READINESS, STARTUP, describe_probe, member_probes, restart_policy, run_probe
from runtime.probes.tracker import ProbeTracker, engine_time

DEFAULT_SETTLE = 3.0
_POLL = 0.25
_PROBING = "probing"


@dataclass
class ReadyReport:
    capsule: ObservedCapsule
    seconds: float
    probed: list[str] = field(default_factory=list)  # "member: readiness httpGet ..." lines


async def wait_ready(engine: EngineClient, capsule: ObservedCapsule, timeout: float, *,
                     settle: float = DEFAULT_SETTLE) -> ReadyReport:
    """Wait up to `timeout` seconds for the capsule to be ready (see the module docstring)."""
    began = time.monotonic()
    deadline = began + timeout
    trackers: dict[tuple[str, str, str], ProbeTracker] = {}
    steady_since: float | None = None
    fingerprint: tuple[tuple[str, str | None, int], ...] = ()
    waiting = "nothing observed yet"
    while True:
        current = await observe_capsule(engine, capsule.host, uuid=capsule.uuid)
        if current is None or current.sandbox is None:
            raise NotReady(f"capsule {capsule.name} is gone from host {capsule.host} (its sandbox was removed)")
        waiting = await _check(engine, current, trackers)
        if waiting is None:
            with_probes = any(t.kind == READINESS for t in trackers.values())
            now_print = tuple((m.id, m.started_at, m.restart_count) for m in current.members)
            if with_probes:
                return _report(current, began, trackers)
            if now_print != fingerprint or steady_since is None:
                fingerprint, steady_since = now_print, time.monotonic()
            if time.monotonic() - steady_since >= settle:
                return _report(current, began, trackers)
            waiting = f"members running; settling for {settle:g} s without restarts"
        else:
            steady_since = None
        if time.monotonic() >= deadline:
            if waiting == _PROBING:
                # Say what the probes just run answered, not "probing": none is due again yet.
                waiting = await _check(engine, current, trackers)
                if waiting is None:
                    continue  # ready right at the deadline: the next round returns the report
            raise NotReady(f"capsule {capsule.name} was not ready within {timeout:g} s: {waiting}")
        await asyncio.sleep(min(_POLL, max(deadline - time.monotonic(), 0)))


async def _check(engine: EngineClient, capsule: ObservedCapsule,
                 trackers: dict[tuple[str, str, str], ProbeTracker]) -> str | None:
    """None when ready now; else what is still awaited. Runs the probes that are due."""
    assert capsule.sandbox is not None
    if capsule.sandbox.state != "running":
        return f"sandbox is {capsule.sandbox.state}"
    policy = restart_policy(capsule)
    pending: list[str] = []
    due: list[tuple[ProbeTracker, ObservedContainer]] = []
    now = time.time()
    for member in capsule.probed:  # a pod is Ready once its sidecars are too
        if member.state != "running":
            if member.role == ROLE_MEMBER and member.state == "exited" and (
                    policy == "Never" or (policy == "OnFailure" and member.exit_code == 0)):
                raise NotReady(f"member {member.member} exited with code {member.exit_code} and restartPolicy "
                               f"{policy} does not restart it")
            pending.append(f"member {member.member} is {member.state} ({member.restart_count} restarts)")
            continue
        probes = member_probes(capsule, member.member)
        started = engine_time(member.started_at) or now
        gate = None
        for kind in (STARTUP, READINESS):
            if kind not in probes:
                continue
            key = (member.id, member.started_at or "", kind)
            tracker = trackers.setdefault(key, ProbeTracker(kind, probes[kind], started))
            if gate is not None and not gate.passing:
                break  # readiness waits for the startup probe, as in Kubernetes
            gate = tracker
            if not tracker.passing:
                last = tracker.last.reason if tracker.last else "not probed yet"
                pending.append(f"member {member.member}: {kind} probe {describe_probe(tracker.probe)}: {last}")
                if tracker.due(now):
                    due.append((tracker, member))
    if due:
        await asyncio.gather(*(_probe(engine, capsule, tracker, member) for tracker, member in due))
        return _PROBING  # look again at once: a passing probe may have made it ready
    return "; ".join(pending) if pending else None


async def _probe(engine: EngineClient, capsule: ObservedCapsule, tracker: ProbeTracker,
                 member: ObservedContainer) -> None:
    try:
        result = await run_probe(engine, capsule, member, tracker.probe)
    except ProbeError as exc:
        raise NotReady(f"the {tracker.kind} probe of member {member.member} cannot run: "
                       f"{exc.reason}") from exc
    tracker.record(result, time.time())


def _report(capsule: ObservedCapsule, began: float, trackers: dict[tuple[str, str, str], ProbeTracker]) -> ReadyReport:
    names = {m.id: m.member for m in capsule.probed}
    probed = [f"{names.get(cid, cid[:12])}: {kind} {describe_probe(t.probe)}: {t.last.reason if t.last else ''}"
              for (cid, _, kind), t in trackers.items() if cid in names]
    return ReadyReport(capsule, time.monotonic() - began, probed)
