"""The watcher: follows every host's engine events, heals capsules, runs their probes.

    watcher = Watcher(service, on_action=print_line)
    await watcher.run()          # until cancelled (Ctrl-C in `capsule watch`)

Per host, two loops run side by side:

- the follower reads the engine's container events of capsule containers
  (label capsule.managed-by=capsule) from where the last watcher stopped
  (runtime.watch.cursor) and handles each one:
  * a sandbox `start` (crash and restart, `docker restart`, engine restart):
    its members re-join the new network namespace (runtime.watch.healer.rejoin_members);
  * a member `die`: member_exited is recorded (runtime.event_follow, shared with
    `capsule events -f`), and if the member is still down a moment later without
    a `stop` (so it was killed outside capsule, e.g. `docker kill`, which the
    engine will not restart) it is started again under Always/OnFailure;
  * a member `start` with a higher restart count: member_restarted.
  On (re)connecting it first sweeps the host: members stale after a sandbox
  restart the engine no longer reports are re-joined too.
- the prober (runtime.watch.prober) runs liveness and startup probes.

And for all hosts together, every `services_every` seconds, the Services of every
namespace get their backends again (runtime.application_flow.sync): a capsule that
joined or went away, or whose readiness probe now fails or passes, is reflected.

Every action is recorded as a capsule event (store + webhook, runtime.state.events) and
passed to `on_action` as a WatchAction. Hosts that go away are retried with
backoff; the watcher never gives up on a host. Must not print or import textual.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from runtime import application_flow
from runtime.engine.errors import EngineTimeout, HostUnreachable
from runtime.event_follow import record_engine_event
from runtime.hosts.settings import HostSettings
from runtime.labels import (
    LABEL_MANAGED_BY,
    LABEL_MEMBER,
    LABEL_NAME,
    LABEL_ROLE,
    LABEL_UUID,
    MANAGED_BY,
)
from runtime.observe.discovery import observe_capsule, observe_host
from runtime.observe.observed import ObservedCapsule
from runtime.probes.run import restart_policy
from runtime.state import changes
from runtime.state.events import FAILED, MEMBER_RESTARTED
from runtime.watch.cursor import WatchCursor, event_nanos, watch_lock
from runtime.watch.healer import (
    DEFAULT_HEAL_GRACE,
    DEFAULT_PROBE_GRACE,
    rejoin_members,
    revive_member,
)
from runtime.watch.prober import HostProber

if TYPE_CHECKING:
    from runtime.context import RuntimeContext
    from runtime.engine.client import EngineClient

EVENT_FILTERS = {
    "type": ["container"],
    "event": ["start", "die", "stop", "destroy"],
    "label": [f"{LABEL_MANAGED_BY}={MANAGED_BY}"],
}
# How long a killed member may stay down before the watcher starts it: long enough
# for the `stop` event of a deliberate stop (`capsule stop`, `docker stop`) to arrive.
REVIVE_DELAY = 1.5
_RETRY_FIRST, _RETRY_MAX = 1.0, 30.0


@dataclass(frozen=True)
class WatchAction:
    """One thing the watcher saw or did; `event_time` is the engine event's time, if any."""

    host: str
    capsule: str
    kind: str  # exited | restarted | rejoined | revived | stopped | probe_error | host_down | host_up
    message: str
    at: float
    event_time: float | None = None

    def line(self) -> str:
        clock = time.strftime("%H:%M:%S", time.localtime(self.at))
        who = f"{self.capsule}: " if self.capsule else ""
        return f"{clock}  {self.host:<10} {self.kind:<12} {who}{self.message}"


class Watcher:
    def __init__(
        self,
        ctx: RuntimeContext,
        *,
        on_action: Callable[[WatchAction], None] | None = None,
        cursor: WatchCursor | None = None,
        heal_grace: int = DEFAULT_HEAL_GRACE,
        probe_grace: int = DEFAULT_PROBE_GRACE,
        probe_tick: float = 0.5,
        rescan: float = 10.0,
        names: Collection[str] | None = None,
        services_every: float = 2.0,
    ) -> None:
        self.ctx = ctx
        self.services_every = services_every
        self.names = frozenset(names) if names is not None else None
        self.on_action = on_action
        self.cursor = cursor or WatchCursor()
        self.heal_grace = heal_grace
        self.probe_grace = probe_grace
        self.probe_tick = probe_tick
        self.rescan = rescan
        self._stopped_by_hand: dict[str, float] = {}  # container id → time of its `stop` event
        self._tasks: set[asyncio.Task[None]] = set()

    async def run(self) -> None:
        """Watch every host until cancelled. WatcherBusy if another watcher runs."""
        with watch_lock(self.cursor.path.parent / "watch.lock"):
            try:
                await self.ctx.refresh()  # so the store knows the containers and their restart counts
            except Exception:
                pass  # a host that is down is retried by its own loops below
            try:
                await asyncio.gather(*(self._host(host) for host in self.ctx.hosts), self._services())
            finally:
                for task in list(self._tasks):
                    task.cancel()
                await asyncio.gather(*self._tasks, return_exceptions=True)

    # -- the Services of every namespace -------------------------------------------

    async def _services(self) -> None:
        reported: set[str] = set()
        while True:
            await asyncio.sleep(self.services_every)
            try:
                namespaces = await application_flow.namespaces_with_services(self.ctx)
                problems = set(await application_flow.sync(self.ctx, namespaces)) if namespaces else set()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - said once; tried again next round
                problems = {f"Services not updated: {exc}"}
            for problem in problems - reported:
                self._act("", "", "error", problem)
            reported = problems

    # -- one host ---------------------------------------------------------------

    async def _host(self, host: HostSettings) -> None:
        prober = HostProber(host.name, self._reporter(host.name), grace=self.probe_grace, tick=self.probe_tick,
                            rescan=self.rescan, names=self.names)
        try:
            await asyncio.gather(self._follow(host, prober), self._probe(host, prober))
        finally:
            await prober.aclose()

    async def _follow(self, host: HostSettings, prober: HostProber) -> None:
        retry, down = _RETRY_FIRST, False
        while True:
            try:
                engine = await self.ctx.engine(host)
                self.cursor.start_at(host.name, time.time_ns())
                await self._sweep(host.name, engine)
                if down:
                    down = False
                    self._act(host.name, "", "host_up", "the host answers again; following its events")
                async for raw in engine.events(since=self.cursor.since(host.name), filters=EVENT_FILTERS):
                    if self.cursor.seen(host.name, raw):
                        continue
                    try:
                        await self._handle(host.name, engine, raw, prober)
                    except (asyncio.CancelledError, OSError, HostUnreachable, EngineTimeout):
                        raise  # stopping, or the connection broke: the event is replayed on resume
                    except Exception as exc:  # one event that cannot be handled must not stall the rest
                        self._act(host.name, "", "error", f"handling engine event {raw.get('Action')} failed: {exc}")
                    self.cursor.advance(host.name, raw)
                    retry = _RETRY_FIRST
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the host went away (or answered nonsense): retry with backoff
                self.ctx.forget_engine(host.name)
                if not down:
                    down = True
                    self._act(host.name, "", "host_down", f"cannot follow the host's events ({exc}); retrying")
            await asyncio.sleep(retry)
            retry = min(retry * 2, _RETRY_MAX)

    async def _probe(self, host: HostSettings, prober: HostProber) -> None:
        while True:
            try:
                await prober.step(await self.ctx.engine(host))
            except asyncio.CancelledError:
                raise
            except Exception:
                prober.rescan()  # the follower reports the host as down; probe again once it is back
            await asyncio.sleep(self.probe_tick)

    async def _sweep(self, host: str, engine: EngineClient) -> None:
        """Re-join members that a sandbox restart the engine no longer reports left behind."""
        for capsule in await observe_host(engine, host):
            if self.names is not None and capsule.name not in self.names:
                continue
            await self._rejoin(host, engine, capsule, start_stopped=False, event_time=None)

    # -- one engine event -----------------------------------------------------------

    async def _handle(self, host: str, engine: EngineClient, raw: dict[str, Any], prober: HostProber) -> None:
        attributes = (raw.get("Actor") or {}).get("Attributes") or {}
        action = raw.get("Action") or raw.get("status") or ""
        container = (raw.get("Actor") or {}).get("ID") or raw.get("id") or ""
        role, capsule = attributes.get(LABEL_ROLE, ""), attributes.get(LABEL_NAME, "")
        uuid = attributes.get(LABEL_UUID, "")
        when = event_nanos(raw) / 1e9
        if self.names is not None and capsule not in self.names:
            return
        if action in ("start", "destroy"):
            prober.rescan()
        if action == "stop":
            now = time.time()
            self._stopped_by_hand = {k: t for k, t in self._stopped_by_hand.items() if now - t < 60}
            self._stopped_by_hand[container] = now
            return
        if role == "sandbox" and action == "start":
            self._spawn(self._heal_sandbox(host, engine, uuid, when))
            return
        before = self.ctx.store.last_event_id()
        await record_engine_event(self.ctx, host, engine, raw)
        if role == "member" and action == "die":
            # Reported even when reconcile already recorded the exit: the engine event is the news here.
            code = attributes.get("exitCode")
            member = attributes.get(LABEL_MEMBER, "")
            self._act(host, capsule, "exited", f"member {member} exited" + (f" with code {code}" if code else ""),
                      event_time=when)
            self._stopped_by_hand.pop(container, None)
            self._spawn(self._revive_later(host, engine, uuid, member, container, when))
        for event in self.ctx.store.events(capsule, after_id=before):
            if event.kind == MEMBER_RESTARTED and event.uuid == uuid:
                self._act(host, capsule, "restarted", event.message, event_time=when)

    async def _heal_sandbox(self, host: str, engine: EngineClient, uuid: str, when: float) -> None:
        capsule = await observe_capsule(engine, host, uuid=uuid)
        if capsule is not None:
            await self._rejoin(host, engine, capsule, start_stopped=True, event_time=when)

    async def _rejoin(self, host: str, engine: EngineClient, capsule: ObservedCapsule, *, start_stopped: bool,
                      event_time: float | None) -> None:
        members = await rejoin_members(engine, capsule, grace=self.heal_grace, start_stopped=start_stopped)
        if not members:
            return
        message = (f"members {', '.join(sorted(members))} restarted to re-join the sandbox's new network namespace "
                   f"(the sandbox restarted)")
        for member in sorted(members):
            self._record(MEMBER_RESTARTED, capsule, f"member {member} restarted to re-join the sandbox's network "
                         f"after the sandbox restarted")
        self._act(host, capsule.name, "rejoined", message, event_time=event_time)

    async def _revive_later(self, host: str, engine: EngineClient, uuid: str, member: str, container: str,
                            when: float) -> None:
        await asyncio.sleep(REVIVE_DELAY)
        if container in self._stopped_by_hand:
            return  # `docker stop` / `capsule stop`: stopped on purpose
        capsule = await observe_capsule(engine, host, uuid=uuid)
        target = next((m for m in capsule.members if m.id == container), None) if capsule else None
        if capsule is None or target is None:
            return
        if await revive_member(engine, capsule, target):
            message = (f"member {member} started again: it was killed outside capsule (exit code "
                       f"{target.exit_code}) and restartPolicy is {restart_policy(capsule)}")
            # The same start reaches the follower as an engine `start`: one event for it, by its start time.
            try:
                started = ((await engine.inspect(container)).get("State") or {}).get("StartedAt")
            except Exception:  # noqa: BLE001 - gone again: nobody else records this start
                started = None
            self._record(MEMBER_RESTARTED, capsule, message, change=changes.member_start(container, started))
            self._act(host, capsule.name, "revived", message, event_time=when)

    # -- reporting ------------------------------------------------------------------

    def _reporter(self, host: str) -> Callable[[str, ObservedCapsule, str, str], Any]:
        async def report(kind: str, capsule: ObservedCapsule, member: str, message: str) -> None:
            self._record(MEMBER_RESTARTED if kind == "restarted" else FAILED, capsule, message)
            self._act(host, capsule.name, kind, message)

        return report

    def _record(self, kind: str, capsule: ObservedCapsule, message: str, *, change: str = "") -> None:
        self.ctx.notifier.emit(kind, capsule.name, message, uuid=capsule.uuid, host=capsule.host, change=change)

    def _act(self, host: str, capsule: str, kind: str, message: str, *, event_time: float | None = None) -> None:
        if self.on_action is not None:
            self.on_action(WatchAction(host, capsule, kind, message, time.time(), event_time))

    def _spawn(self, work: Any) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            self._act("", "", "error", f"healing failed: {task.exception()}")

