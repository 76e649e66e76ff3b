"""CapsuleService: the one facade the command line and the terminal UI call.

    async with CapsuleService() as service:
        results = await service.create(translation, wait=True)
        rows = await service.list(selector)

It ties the pieces together: the configured hosts (`runtime.hosts.settings`), one engine
client per host (opened on first use, kept for the service's life), the builder
(`runtime.build.builder`), the status rules (`runtime.observe.status`), the store
(`runtime.state.store`, reconciled with the hosts whenever it is read) and the events
(`runtime.state.events`, with the webhook). Hosts are always asked concurrently, each
within a bound, so a dead host costs one connect timeout and shows as Unknown.

The create flow lives in `runtime.create_flow`, the event follower in
`runtime.event_follow`. Nothing here prints: progress goes to callbacks, failures
are `CapsuleError`s (runtime.errors). Must not import textual.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from runtime.engine.errors import EngineRequestError
from runtime.state.events import DELETED, Notifier
from runtime.hosts.settings import (
    HostSettings, UnknownHost, configured_hosts, configured_reserve, connect_engine, find_host,
)
from runtime.observe.observed import ObservedCapsule
from runtime.state.records import CapsuleRecord, EventRecord
from runtime.selectors import Selector, SelectorError, parse_selector
from runtime.errors import BadRequest, CapsuleError, CapsuleNotFound, DeleteFailed
from runtime.state.store import Store
from runtime.views import CapsuleDetail, CapsuleView, detail_of, view_of

if TYPE_CHECKING:
    from runtime.create_flow import CreateOptions, CreateResult
    from runtime.engine.client import EngineClient
    from runtime.state.reconcile import ReconcileResult
    from runtime.placement.scheduler import Placement, Reserve
    from runtime.state.store_thread import StoreThread
    from translate.translation import Translation

# A host gets this long beyond its connect timeout to list and inspect its capsules.
OBSERVE_BUDGET = 10.0
# What `list` speaks to a host it only looks at once (every engine capsule accepts knows it).
LOOK_API_VERSION = (1, 41)
DESCRIBE_EVENTS = 20


@dataclass
class HostView:
    """What one host said when asked: its capsules, or why it could not be asked."""

    host: HostSettings
    reachable: bool
    error: str = ""
    capsules: list[ObservedCapsule] = field(default_factory=list)
    # After `refresh`: the host's store rows as reconciled with this answer.
    records: list[CapsuleRecord] = field(default_factory=list)


@dataclass
class DeleteResult:
    name: str
    host: str
    containers: list[str] = field(default_factory=list)
    volumes: list[str] = field(default_factory=list)
    kept_volumes: list[str] = field(default_factory=list)
    error: CapsuleError | None = None


class CapsuleService:
    def __init__(
        self,
        hosts: list[HostSettings] | None = None,
        *,
        store: Store | None = None,
        notifier: Notifier | None = None,
        engine_factory: Callable[[HostSettings], Any] | None = None,
        reserve: "Reserve | None" = None,
    ) -> None:
        # Both raise runtime.hosts.inventory.InventoryFileError for a broken inventory file.
        self.hosts = list(hosts) if hosts is not None else configured_hosts()
        if reserve is None:
            from runtime.hosts.reserve import Reserve  # not the scheduler: list and delete never place

            reserve = configured_reserve() if hosts is None else Reserve()
        self.reserve = reserve
        self._store = store
        self._notifier = notifier
        self._connect = engine_factory or connect_engine
        self._engines: dict[str, asyncio.Task[EngineClient]] = {}
        self._forgotten: list[asyncio.Task[EngineClient]] = []
        self._off_loop = False  # see reconcile_off_loop
        self._store_thread: StoreThread | None = None

    # -- resources ------------------------------------------------------------

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = Store.open()
        return self._store

    def reconcile_off_loop(self) -> None:
        """From now on, reconcile in a thread of its own (runtime.state.store_thread).

        For the terminal UI, whose event loop must keep answering keys while 1,000
        capsules are reconciled; a command that only waits for its answer gains nothing.
        """
        self._off_loop = True

    @property
    def notifier(self) -> Notifier:
        if self._notifier is None:
            self._notifier = Notifier.from_config(self.store)
        return self._notifier

    def host(self, name: str) -> HostSettings:
        try:
            return find_host(self.hosts, name)
        except UnknownHost as exc:
            raise BadRequest(f"{exc}; pass one of them with --host") from None

    async def engine(self, host: HostSettings | str) -> "EngineClient":
        """The host's engine client, connected on first use (concurrent callers share it)."""
        settings = self.host(host) if isinstance(host, str) else host
        task = self._engines.get(settings.name)
        if task is None or (task.done() and (task.cancelled() or task.exception() is not None)):
            task = asyncio.ensure_future(self._connect(settings))
            self._engines[settings.name] = task
        try:
            return await asyncio.shield(task)
        except BaseException:
            if task.done() and self._engines.get(settings.name) is task:
                del self._engines[settings.name]  # let the next call try again
            raise

    def forget_engine(self, host: str) -> None:
        """Drop a host's client after it failed, so the next use reconnects."""
        task = self._engines.pop(host, None)
        if task is not None:
            self._forgotten.append(task)  # closed in aclose(), connected or not

    async def aclose(self) -> None:
        if self._notifier is not None:
            await self._notifier.aclose()
        tasks = [*self._engines.values(), *self._forgotten]
        for task in tasks:
            if not task.done():
                task.cancel()
        results = await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.gather(*(r.aclose() for r in results if not isinstance(r, BaseException)),
                             return_exceptions=True)
        self._engines.clear()
        self._forgotten.clear()
        if self._store_thread is not None:
            await self._store_thread.aclose()
            self._store_thread = None
        if self._store is not None:
            self._store.close()
            self._store = None

    async def __aenter__(self) -> "CapsuleService":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- asking the hosts -----------------------------------------------------

    async def observe(self, hosts: list[HostSettings] | None = None, *, listed: bool = False,
                      names: list[str] | None = None, one_look: bool = False) -> list[HostView]:
        """Every host's capsules, all hosts at once; a failing host yields reachable=False.

        `listed`: the cheaper view for listing (discovery.observe_host_listed): running
        containers seen before are not inspected; their restart counts come from the store.
        `names` (with listed): only the capsules of these names, found by their label.
        `one_look`: nothing else will be asked of a host not connected yet (`list`): a
        short-lived client speaking LOOK_API_VERSION asks it, without first asking the
        host for its version (a round trip per host, a tenth of `capsule list`).
        """
        from runtime.observe.discovery import observe_host, observe_host_listed

        known = self.store.restart_counts() if listed else {}

        def look(engine: "EngineClient", host: HostSettings) -> Any:
            seen = (observe_host_listed(engine, host.name, known_restarts=known, names=names) if listed
                    else observe_host(engine, host.name))
            return asyncio.wait_for(seen, OBSERVE_BUDGET)

        async def ask(host: HostSettings) -> HostView:
            short_lived = None
            try:
                if one_look and host.name not in self._engines and self._connect is connect_engine:
                    short_lived = await connect_engine(host, api_version=LOOK_API_VERSION)
                    try:
                        return HostView(host, True, "", await look(short_lived, host))
                    except EngineRequestError as exc:
                        if "client version" not in (exc.engine_message or "").lower():
                            raise
                        # An engine that will not speak that version: ask it the usual way,
                        # which agrees on one or says why none fits.
                engine = await asyncio.wait_for(self.engine(host), host.connect_timeout + 1)
                return HostView(host, True, "", await look(engine, host))
            except Exception as exc:  # EngineError, timeouts: the host cannot be asked now
                self.forget_engine(host.name)
                return HostView(host, False, short_error(exc))
            finally:
                if short_lived is not None:
                    await short_lived.aclose()

        return list(await asyncio.gather(*(ask(h) for h in hosts or self.hosts)))

    async def refresh(self, hosts: list[HostSettings] | None = None, *, listed: bool = False,
                      names: list[str] | None = None, one_look: bool = False) -> list[HostView]:
        """Ask the hosts and reconcile the store with their answers (events included).

        `names` (with listed): ask about, and reconcile, only the capsules of these names.
        `one_look`: see observe.
        """
        views = await self.observe(hosts, listed=listed, names=names, one_look=one_look)

        def reconcile(store: Store) -> list[ReconcileResult]:
            return [store.reconcile(v.host.name, v.capsules, v.reachable, host_error=v.error, names=names)
                    for v in views]

        def take(results: list[ReconcileResult]) -> None:
            for view, result in zip(views, results):
                view.records = result.records
                if result.events:  # the notifier reads the webhook's settings: only when there is news
                    self.notifier.publish(result.events)

        if not self._off_loop:
            take(reconcile(self.store))
            return views
        if self._store_thread is None:
            from runtime.state.store_thread import StoreThread

            self._store_thread = StoreThread(self.store.path)
        job = asyncio.ensure_future(self._store_thread.run(reconcile))
        try:
            take(await asyncio.shield(job))
        except asyncio.CancelledError:
            # The caller gave up waiting; the reconcile still ends, and its events still go out.
            job.add_done_callback(lambda done: None if done.cancelled() or done.exception() else take(done.result()))
            raise
        return views

    # -- list, describe -------------------------------------------------------

    async def list(self, selector: Selector | str | list[str] | None = None) -> list[CapsuleView]:
        chosen = _selector(selector)
        # Every configured host was just reconciled: its rows are at hand, no second read.
        views = await self.refresh(listed=True, one_look=True)
        records = sorted((r for v in views for r in v.records), key=lambda r: (r.name, r.host))
        return [view_of(r) for r in records if chosen.matches(r.labels)]

    async def describe(self, name: str) -> list[CapsuleDetail]:
        """One detail per host that has a capsule of that name (normally exactly one)."""
        from runtime.placement.record import recorded_placement

        await self.refresh()
        records = self._records(name)
        # All of them: the created event (which says why it was placed there) may be older
        # than the recent ones shown.
        every_event = self.store.events(name)
        recent = every_event[-DESCRIBE_EVENTS:]
        details = [detail_of(r, [e for e in recent if not e.uuid or e.uuid == r.uuid]) for r in records]
        for detail in details:
            detail.placement = recorded_placement(every_event, detail.view.uuid, detail.view.host)
        return details

    def _records(self, name: str) -> list[CapsuleRecord]:
        known = {h.name for h in self.hosts}
        records = [r for r in self.store.find(name) if r.host in known]
        if not records:
            raise CapsuleNotFound(name)
        return records

    # -- delete ---------------------------------------------------------------

    async def delete(
        self,
        names: list[str] | None = None,
        *,
        selector: Selector | str | list[str] | None = None,
        all: bool = False,
        uuids: list[str] | None = None,
    ) -> list[DeleteResult]:
        """Remove capsules by name, by label selector, by uuid, or all; one result per capsule.

        Names that match nothing give a result with CapsuleNotFound; the others are
        still deleted (as kubectl does). Capsules are removed concurrently.
        `uuids` (the terminal UI): exactly those capsules, where a name would also take
        a same-named capsule on another host.
        """
        if uuids:
            return await self._delete_uuids(uuids)
        chosen = _selector(selector)
        if not names and not chosen and not all:
            raise BadRequest("say what to delete: capsule names, -l KEY=VALUE, or --all")
        # The listed view (as `list` takes it) is enough to know what to remove; by name,
        # only those capsules are looked up (a label filter), not every capsule of every host.
        await self.refresh(listed=True, names=list(dict.fromkeys(names)) if names else None)
        known = {h.name for h in self.hosts}
        results: list[DeleteResult] = []
        targets: list[CapsuleRecord] = []
        if names:
            for name in dict.fromkeys(names):
                found = [r for r in self.store.find(name) if r.host in known]
                if not found:
                    results.append(DeleteResult(name, "", error=CapsuleNotFound(name)))
                targets.extend(found)
        else:
            targets = [r for r in self.store.capsules() if r.host in known and (all or chosen.matches(r.labels))]
        results.extend(await asyncio.gather(*(self._delete_one(r) for r in targets)))
        return results

    async def _delete_uuids(self, uuids: list[str]) -> list[DeleteResult]:
        # Only the hosts of these capsules' names are asked (as a delete by name does).
        wanted = list(dict.fromkeys(uuids))
        before = {u: self.store.get(u) for u in wanted}
        await self.refresh(listed=True, names=list(dict.fromkeys(r.name for r in before.values() if r)))
        known = {h.name for h in self.hosts}
        results: list[DeleteResult] = []
        targets: list[CapsuleRecord] = []
        for uuid in wanted:
            record = self.store.get(uuid)
            if record is None or record.host not in known:
                name = before[uuid].name if before[uuid] is not None else uuid
                results.append(DeleteResult(name, "", error=CapsuleNotFound(name)))
            else:
                targets.append(record)
        results.extend(await asyncio.gather(*(self._delete_one(r) for r in targets)))
        return results

    async def _delete_one(self, record: CapsuleRecord) -> DeleteResult:
        from runtime.build.teardown import remove_capsule

        result = DeleteResult(record.name, record.host)
        if not record.create_failed:
            try:
                engine = await self.engine(record.host)
                summary = await remove_capsule(engine, host=record.host, uuid=record.uuid)
            except CapsuleError as exc:
                result.error = exc
                return result
            except Exception as exc:  # EngineError: the host could not do it; keep the row
                result.error = DeleteFailed(record.name, record.host, short_error(exc))
                return result
            result.containers, result.volumes = summary.containers, summary.volumes
            result.kept_volumes = summary.kept_volumes
        self.store.delete(record.uuid)
        removed = f"{len(result.containers)} containers, {len(result.volumes)} volumes removed"
        kept = f"; kept persistent volumes {', '.join(result.kept_volumes)}" if result.kept_volumes else ""
        self.notifier.emit(DELETED, record.name, f"deleted by user ({removed}{kept})",
                           uuid=record.uuid, host=record.host)
        return result

    # -- create, events -------------------------------------------------------

    async def create(
        self,
        translation: "Translation",
        *,
        host: str | None = None,
        wait: bool = True,
        timeout: float = 120.0,
        on_progress: Callable[..., Any] | None = None,
        options: "CreateOptions | None" = None,
    ) -> list["CreateResult"]:
        """Create every capsule of the translation (see runtime.create_flow)."""
        from runtime.create_flow import create_all

        return await create_all(self, translation, host=host, wait=wait, timeout=timeout,
                                on_progress=on_progress, options=options)

    async def plan(
        self, translation: "Translation", *, host: str | None = None, strategy: str = "spread"
    ) -> list[tuple[str, "Placement | CapsuleError"]]:
        """Where each capsule would land (--dry-run); creates nothing. See runtime.create_flow."""
        from runtime.create_flow import plan_all

        return await plan_all(self, translation, host=host, strategy=strategy)

    def events(self, name: str | None = None, *, follow: bool = False, limit: int | None = None
               ) -> AsyncIterator[EventRecord]:
        """Recorded events (oldest first); with follow, then new ones as they happen."""
        from runtime.event_follow import stream_events

        return stream_events(self, name, follow=follow, limit=limit)


def _selector(value: Selector | str | list[str] | None) -> Selector:
    if isinstance(value, Selector):
        return value
    try:
        return parse_selector(value)
    except SelectorError as exc:
        raise BadRequest(str(exc)) from None


def short_error(exc: BaseException) -> str:
    """A host failure in a few words ("connection refused"), for status reasons."""
    if isinstance(exc, (asyncio.TimeoutError, TimeoutError)):
        return "no answer in time"
    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None:
            break
        if isinstance(seen, OSError) and seen.errno:
            return os.strerror(seen.errno).lower()  # "connection refused", not asyncio's wording
        seen = seen.__cause__ or seen.__context__
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."
