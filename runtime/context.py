"""What the service and the flows share: the hosts and their engines, the store, the events.

    ctx = RuntimeContext(EnginePool(load_hosts()), reserve=load_reserve())
    views = await ctx.refresh()          # ask every host at once, reconcile the store
    engine = await ctx.engine("web1")    # the host's client, shared for the context's life
    ctx.notifier.emit(...)               # record an event (and send it to the webhook)

The flows (create_flow, update, apply, rollback, event_follow, the watcher) take a
context, not the service: the service is the door for the command line and the UI,
the context is the plumbing behind it. A context opens what it needs on first use
(the store, the webhook's settings, a host's connection) and `aclose()` closes it.

Hosts are always asked concurrently, each within a bound, so a dead host costs one
connect timeout and shows as unreachable. Nothing here prints; errors are the
engine client's (for the flows to handle) or runtime.errors'.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Collection
from dataclasses import dataclass, field
from typing import Any

from runtime.engine.client import EngineClient
from runtime.engine.errors import EngineRequestError, short_error
from runtime.hosts.connect import ANSWER_TIMEOUT, EnginePool
from runtime.hosts.reserve import Reserve
from runtime.hosts.settings import HostSettings
from runtime.observe.discovery import observe_host, observe_host_listed
from runtime.observe.leftovers import Known
from runtime.observe.observed import ObservedCapsule
from runtime.state.events import Notifier
from runtime.state.reconcile import ReconcileResult, reconcile_host
from runtime.state.records import CapsuleRecord
from runtime.state.store import Store
from runtime.state.store_thread import StoreThread
from translate.secrets import SecretMask, SecretStore

# A host gets this long beyond its connect timeout to list and inspect its capsules.
OBSERVE_BUDGET = 10.0
# What `list` speaks to a host it only looks at once (every engine capsule accepts knows it).
LOOK_API_VERSION = (1, 41)


@dataclass
class HostView:
    """What one host said when asked: its capsules, or why it could not be asked."""

    host: HostSettings
    reachable: bool
    error: str = ""
    capsules: list[ObservedCapsule] = field(default_factory=list)
    # After `refresh`: the host's store rows as reconciled with this answer.
    records: list[CapsuleRecord] = field(default_factory=list)


class RuntimeContext:
    def __init__(self, pool: EnginePool, *, store: Store | None = None, notifier: Notifier | None = None,
                 reserve: Reserve | None = None) -> None:
        self.pool = pool
        self.reserve = reserve or Reserve()
        self._store = store
        self._notifier = notifier
        self._off_loop = False  # see reconcile_off_loop
        self._store_thread: StoreThread | None = None
        # The secret values this process knows (from the Secrets of its input): masked in
        # every text it stores, prints, or sends (see `hide`).
        self.mask = SecretMask()

    # -- what it holds ---------------------------------------------------------

    @property
    def hosts(self) -> list[HostSettings]:
        return self.pool.hosts

    def host(self, name: str) -> HostSettings:
        """The configured host of that name; UnknownHost (exit 2) otherwise."""
        return self.pool.host(name)

    async def engine(self, host: HostSettings | str) -> EngineClient:
        return await self.pool.engine(host)

    def forget_engine(self, host: str) -> None:
        self.pool.forget(host)

    @contextlib.asynccontextmanager
    async def asking(self, host: HostSettings) -> AsyncIterator[EngineClient]:
        """The host's engine client, connected within the host's connect timeout (and a second).

        When anything asked of the host in the block fails, its client is dropped (the
        next use connects afresh: a hung or restarted engine is not asked on a dead
        connection) and the error goes on to the caller.
        """
        try:
            yield await asyncio.wait_for(self.engine(host), host.connect_timeout + 1)
        except Exception:
            self.forget_engine(host.name)
            raise

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = Store.open()
        return self._store

    @property
    def notifier(self) -> Notifier:
        if self._notifier is None:
            self._notifier = Notifier.from_config(self.store)
        return self._notifier

    def hide(self, secrets: SecretStore | None) -> None:
        """Mask these secrets' values in every reason, message, event and error from now on."""
        self.mask.hide(secrets)
        self.notifier.hide(secrets)

    def uuid_known(self, uuid: str) -> Known:
        """What this machine's store knows of a capsule uuid (see runtime.observe.leftovers)."""
        record = self.store.get(uuid)
        if record is None:
            return None
        if record.create_failed:
            return "failed"
        if record.lease_until is not None and not record.lease_active():
            return "interrupted"
        return "live"

    def reconcile_off_loop(self) -> None:
        """From now on, reconcile in a thread of its own (runtime.state.store_thread).

        For the terminal UI, whose event loop must keep answering keys while 1,000
        capsules are reconciled; a command that only waits for its answer gains nothing.
        """
        self._off_loop = True

    async def aclose(self) -> None:
        if self._notifier is not None:
            await self._notifier.aclose()
        await self.pool.aclose()
        if self._store_thread is not None:
            await self._store_thread.aclose()
            self._store_thread = None
        if self._store is not None:
            self._store.close()
            self._store = None

    # -- asking the hosts -----------------------------------------------------

    async def observe(self, hosts: list[HostSettings] | None = None, *, listed: bool = False,
                      names: Collection[str] | None = None, one_look: bool = False) -> list[HostView]:
        """Every host's capsules, all hosts at once; a failing host yields reachable=False.

        `listed`: the cheaper view for listing (discovery.observe_host_listed): running
        containers seen before are not inspected; their restart counts come from the store.
        `names` (with listed): only the capsules of these names, found by their label.
        `one_look`: nothing else will be asked of a host not connected yet (`list`): a
        short-lived client speaking LOOK_API_VERSION asks it, without first asking the
        host for its version (a round trip per host, a tenth of `capsule list`).
        """
        known = self.store.restart_counts() if listed else {}
        wanted = list(names) if names is not None else None

        def look(engine: EngineClient, host: HostSettings) -> Any:
            seen = (observe_host_listed(engine, host.name, known_restarts=known, names=wanted) if listed
                    else observe_host(engine, host.name))
            return asyncio.wait_for(seen, OBSERVE_BUDGET)

        async def ask(host: HostSettings) -> HostView:
            short_lived = None
            try:
                if one_look and not self.pool.is_connected(host.name) and self.pool.uses_real_connections:
                    short_lived = await self.pool.connect_once(host, api_version=LOOK_API_VERSION)
                    try:
                        return HostView(host, True, "", await look(short_lived, host))
                    except EngineRequestError as exc:
                        if "client version" not in (exc.engine_message or "").lower():
                            raise
                        # An engine that will not speak that version: ask it the usual way,
                        # which agrees on one or says why none fits.
                fresh = not self.pool.is_connected(host.name)
                engine = await asyncio.wait_for(self.engine(host), host.connect_timeout + 1)
                if not fresh:
                    # A client made earlier (the UI's, a long command's): the host may have hung
                    # since; a ping says so in ANSWER_TIMEOUT instead of the whole budget.
                    await asyncio.wait_for(engine.ping(), ANSWER_TIMEOUT)
                return HostView(host, True, "", await look(engine, host))
            except Exception as exc:  # EngineError, timeouts: the host cannot be asked now
                self.forget_engine(host.name)
                return HostView(host, False, short_error(exc))
            finally:
                if short_lived is not None:
                    await short_lived.aclose()

        return list(await asyncio.gather(*(ask(h) for h in hosts or self.hosts)))

    async def refresh(self, hosts: list[HostSettings] | None = None, *, listed: bool = False,
                      names: Collection[str] | None = None, one_look: bool = False) -> list[HostView]:
        """Ask the hosts and reconcile the store with their answers (events included).

        `names` (with listed): ask about, and reconcile, only the capsules of these names.
        `one_look`: see observe.
        """
        views = await self.observe(hosts, listed=listed, names=names, one_look=one_look)

        def reconcile(store: Store) -> list[ReconcileResult]:
            return [reconcile_host(store, v.host.name, v.capsules, v.reachable, host_error=v.error, names=names,
                                   mask=self.mask)
                    for v in views]

        def take(results: list[ReconcileResult]) -> None:
            for view, result in zip(views, results, strict=True):
                view.records = result.records
                if result.events:  # the notifier reads the webhook's settings: only when there is news
                    self.notifier.publish(result.events)

        if not self._off_loop:
            take(reconcile(self.store))
            return views
        if self._store_thread is None:
            self._store_thread = StoreThread(self.store.path)
        job = asyncio.ensure_future(self._store_thread.run(reconcile))
        try:
            take(await asyncio.shield(job))
        except asyncio.CancelledError:
            # The caller gave up waiting; the reconcile still ends, and its events still go out.
            job.add_done_callback(lambda done: None if done.cancelled() or done.exception() else take(done.result()))
            raise
        return views
