"""The watcher's prober: liveness and startup probes of every running member of one host.

Every `tick` it looks at the capsules it knows (those whose spec has liveness or
startup probes: re-observed every `rescan` seconds, or at once when the event
follower says something started or went away), starts
the probes that are due (each in its own task, so a slow probe holds no other
back) and acts on verdicts:

- a startup probe gates the liveness probe, as in Kubernetes;
- `failureThreshold` failures in a row of a liveness (or startup) probe restart the
  member, or stop it under restartPolicy Never (runtime.watch.healer);
- a probe that cannot run is reported (once per reason) and counts neither way:
  restarting a member cannot fix a probe command missing from its image.

Readiness probes are not run here: readiness gates waiting (runtime.probes.readiness).
Reports go to `report(kind, capsule, member, message)`; this module never prints.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass

from runtime.engine.client import EngineClient
from runtime.errors import ProbeError, ProbeTargetGone
from runtime.labels import ROLE_SIDECAR
from runtime.observe.discovery import observe_host_probed
from runtime.observe.observed import ObservedCapsule, ObservedContainer
from runtime.probes.run import LIVENESS, STARTUP, describe_probe, member_probes, run_probe
from runtime.probes.tracker import FAILED, ProbeTracker, engine_time
from runtime.watch.healer import DEFAULT_PROBE_GRACE, STOPPED, act_on_failed_probe

Report = Callable[[str, ObservedCapsule, str, str], Awaitable[None]]
TrackerKey = tuple[str, str, str]  # container id, its StartedAt, probe kind


@dataclass
class _Due:
    tracker: ProbeTracker
    capsule: ObservedCapsule
    member: ObservedContainer


class HostProber:
    def __init__(self, host: str, report: Report, *, grace: int = DEFAULT_PROBE_GRACE, tick: float = 0.5,
                 rescan: float = 10.0, names: Collection[str] | None = None) -> None:
        self.host = host
        self.names = names
        self.report = report
        self.grace = grace
        self.tick = tick
        self.rescan_every = rescan
        self.capsules: list[ObservedCapsule] = []
        self.trackers: dict[TrackerKey, ProbeTracker] = {}
        self._in_flight: set[TrackerKey] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._scanned = 0.0
        self._stale = True

    def rescan(self) -> None:
        """Look at the host afresh on the next tick (a container started or went away)."""
        self._stale = True

    async def step(self, engine: EngineClient) -> None:
        """One tick: refresh the view if needed, start the probes that are due."""
        if self._stale or time.monotonic() - self._scanned >= self.rescan_every:
            self._stale = False
            self.capsules = [c for c in await observe_host_probed(engine, self.host)
                             if self.names is None or c.name in self.names]
            self._scanned = time.monotonic()
            live = {key for key in self._wanted()}
            self.trackers = {k: t for k, t in self.trackers.items() if k in live}
        now = time.time()
        for key, due in self._due(now).items():
            self._in_flight.add(key)
            task = asyncio.ensure_future(self._run(engine, key, due))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _wanted(self) -> list[TrackerKey]:
        return [(m.id, m.started_at or "", kind) for c in self.capsules for m in c.probed
                for kind in member_probes(c, m.member)]

    def _due(self, now: float) -> dict[TrackerKey, _Due]:
        due: dict[TrackerKey, _Due] = {}
        for capsule in self.capsules:
            if capsule.sandbox is None or capsule.sandbox.state != "running":
                continue
            for member in capsule.probed:
                if member.state != "running":
                    continue
                probes = member_probes(capsule, member.member)
                started = engine_time(member.started_at) or now
                gate: ProbeTracker | None = None
                for kind in (STARTUP, LIVENESS):
                    if kind not in probes:
                        continue
                    key = (member.id, member.started_at or "", kind)
                    tracker = self.trackers.setdefault(key, ProbeTracker(kind, probes[kind], started))
                    if gate is not None and not gate.passing:
                        break  # liveness waits until the startup probe passed
                    gate = tracker
                    if kind == STARTUP and tracker.passing:
                        continue  # a passed startup probe is not run again
                    if key not in self._in_flight and tracker.due(now):
                        due[key] = _Due(tracker, capsule, member)
        return due

    async def _run(self, engine: EngineClient, key: TrackerKey, due: _Due) -> None:
        tracker, capsule, member = due.tracker, due.capsule, due.member
        try:
            try:
                result = await run_probe(engine, capsule, member, tracker.probe)
            except ProbeTargetGone:
                self.rescan()
                return
            except ProbeError as exc:
                if tracker.record_error(exc.reason, time.time()):
                    await self.report("probe_error", capsule, member.member,
                                      f"the {tracker.kind} probe of member {member.member} cannot run: {exc.reason}")
                return
            verdict = tracker.record(result, time.time())
            if verdict == FAILED:
                await self._act(engine, tracker, capsule, member)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # an engine failure while acting: say so, try again next period
            await self.report("probe_error", capsule, member.member,
                              f"acting on the {tracker.kind} probe of member {member.member} failed: {exc}")
        finally:
            self._in_flight.discard(key)

    async def _act(self, engine: EngineClient, tracker: ProbeTracker, capsule: ObservedCapsule,
                   member: ObservedContainer) -> None:
        why = (f"{tracker.kind} probe {describe_probe(tracker.probe)} failed "
               f"{max(tracker.probe.failure_threshold, 1)} times in a row "
               f"({tracker.last.reason if tracker.last else 'no result'})")
        outcome = await act_on_failed_probe(engine, capsule, member, grace=self.grace)
        self.rescan()
        if outcome == STOPPED:
            await self.report("stopped", capsule, member.member,
                              f"member {member.member} stopped: {why}; restartPolicy Never does not restart it")
        else:
            what = "sidecar" if member.role == ROLE_SIDECAR else "member"
            await self.report("restarted", capsule, member.member, f"{what} {member.member} restarted: {why}")
