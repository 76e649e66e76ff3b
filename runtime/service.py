"""CapsuleService: the one door the command line and the terminal UI go through.

    async with CapsuleService() as service:
        results = await service.create(translation, wait=True)
        rows = await service.list(selector)
        async for line in (await service.logs("web", follow=True)).lines: ...

Behind it, `runtime.context.RuntimeContext` holds the hosts and their engine clients,
the store and the notifier; the flows (create_flow, update, rollback, apply,
event_follow, the watcher) and the rooms (ops, placement, hosts ...) do the work.
The door adds what every caller needs: engine client errors become `HostFailed`
(so nothing above it imports the engine's errors), hosts are named by the user's
words (`--host NAME`), and every rule about hosts (which may be removed, what a
check reports) is kept here once, for the command line and the UI alike.

Nothing here prints: progress goes to callbacks, failures are runtime.errors'.
Must not import textual. The flows and the operations are imported by the methods
that run them: `capsule list` must not pay for loading the builder, the scheduler,
the probes and the spec model (bench/bench_list.py measures it).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from runtime import application_flow, services_flow
from runtime.build.teardown import labeled_volumes, remove_capsule
from runtime.context import HostView, RuntimeContext
from runtime.engine.errors import Conflict, EngineError, short_error
from runtime.errors import BadRequest, CapsuleError, CapsuleNotFound, DeleteFailed, HostFailed, InventoryError
from runtime.hosts import inventory, swarm
from runtime.hosts.connect import EnginePool, ssh_keep_setting
from runtime.hosts.docker_sources import OfferedHost
from runtime.hosts.reserve import Reserve
from runtime.hosts.settings import HostSettings, sandbox_image_for
from runtime.labels import LABEL_MANAGED_BY, MANAGED_BY
from runtime.observe import leftovers
from runtime.observe.discovery import labeled_containers, observe_capsule
from runtime.observe.leftovers import Leftover
from runtime.placement.record import recorded_placement
from runtime.selectors import Selector, parse_selector
from runtime.services.network_holders import holder_of
from runtime.state import config_objects
from runtime.state.deleting import lease_for_delete, release_delete_lease
from runtime.state.events import DELETED, Notifier
from runtime.state.records import CapsuleRecord, EventRecord, Revision, spec_metadata
from runtime.state.revisions import ensure_recorded, mark_deleted
from runtime.state.store import Store
from runtime.views import (
    CapsuleDetail,
    CapsuleUsage,
    CapsuleView,
    ServiceDeleted,
    ServiceView,
    detail_of,
    view_of,
)

if TYPE_CHECKING:
    from runtime.apply import ApplyResult
    from runtime.create_flow import CreateOptions, CreateResult
    from runtime.engine.client import EngineClient
    from runtime.observe.lookup import Located
    from runtime.ops.exec import ProcessTable
    from runtime.ops.logs import MemberLogLine
    from runtime.placement.host_facts import HostFacts
    from runtime.placement.scheduler import Placement
    from runtime.update import UpdateResult
    from runtime.usage.sampler import UsageSampler
    from runtime.watch.watcher import WatchAction
    from translate.references import ConfigObject
    from translate.secrets import SecretStore
    from translate.translation import Translation

DESCRIBE_EVENTS = 20
LIFECYCLE_ACTIONS = ("start", "stop", "restart", "pause", "unpause")
log = logging.getLogger("capsule")


@contextlib.contextmanager
def host_failures() -> Iterator[None]:
    """The engine client's errors leave the service as HostFailed, naming the host."""
    try:
        yield
    except EngineError as exc:
        raise HostFailed(str(exc), host=exc.host) from exc


@dataclass
class DeleteResult:
    name: str
    host: str
    containers: list[str] = field(default_factory=list)
    volumes: list[str] = field(default_factory=list)
    kept_volumes: list[str] = field(default_factory=list)
    error: CapsuleError | None = None


@dataclass
class SweptHost:
    """What `gc` found (and, unless a dry run, removed) on one host: the dead creates' objects."""

    host: str
    leftovers: list[Leftover] = field(default_factory=list)
    networks: list[str] = field(default_factory=list)  # namespace networks nothing uses
    kept: list[str] = field(default_factory=list)  # such networks the engine would not remove, and why
    error: str = ""


@dataclass
class CapsuleLogs:
    """A capsule's log lines (`lines`, iterate once) and the members they come from."""

    members: list[str]
    lines: AsyncIterator[MemberLogLine]


@dataclass
class HostAdded:
    path: Path
    notes: list[str]
    facts: HostFacts | None = None  # None when not checked


class CapsuleService:
    def __init__(
        self,
        hosts: list[HostSettings] | None = None,
        *,
        store: Store | None = None,
        notifier: Notifier | None = None,
        engine_factory: Callable[[HostSettings], Any] | None = None,
        reserve: Reserve | None = None,
        keep_ssh: bool = False,
    ) -> None:
        """`keep_ssh`: a command's service, whose ssh:// connections outlive it for the commands
        after it (runtime/engine/ssh/keep.py, $CAPSULE_SSH_KEEP); the UI keeps its own connections."""
        # Both read the inventory and raise InventoryFileError when its file is broken.
        configured = list(hosts) if hosts is not None else inventory.load_hosts()
        if reserve is None:
            reserve = inventory.load_reserve() if hosts is None else Reserve()
        pool = EnginePool(configured, engine_factory, ssh_keep=ssh_keep_setting() if keep_ssh else None)
        self.ctx = RuntimeContext(pool, store=store, notifier=notifier, reserve=reserve)
        self._usage_sampler: UsageSampler | None = None  # made on first use: the readings CPU figures need

    @property
    def hosts(self) -> list[HostSettings]:
        return self.ctx.hosts

    @property
    def reserve(self) -> Reserve:
        return self.ctx.reserve

    def reconcile_off_loop(self) -> None:
        """Reconcile in a thread of its own from now on (the terminal UI's loop must stay free)."""
        self.ctx.reconcile_off_loop()

    async def aclose(self) -> None:
        await self.ctx.aclose()

    async def __aenter__(self) -> CapsuleService:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def host(self, name: str) -> HostSettings:
        return self.ctx.host(name)

    @contextlib.contextmanager
    def _errors_shown(self) -> Iterator[None]:
        """What leaves the door: the engine's errors as HostFailed, secret values masked in every message."""
        try:
            with host_failures():
                yield
        except CapsuleError as exc:
            if self.ctx.mask:
                exc.mask(self.ctx.mask)  # in place: the same error goes on, its message masked
            raise

    # -- what runs where ----------------------------------------------------------------

    async def refresh(self, hosts: list[HostSettings] | None = None, *, listed: bool = False,
                      one_look: bool = False) -> list[HostView]:
        """Ask the hosts (all at once) and bring the store in line; each host's view and rows."""
        return await self.ctx.refresh(hosts, listed=listed, one_look=one_look)

    async def list(self, selector: Selector | str | list[str] | None = None) -> list[CapsuleView]:
        chosen = _selector(selector)
        # Every configured host was just reconciled: its rows are at hand, no second read.
        views = await self.ctx.refresh(listed=True, one_look=True)
        records = sorted((r for v in views for r in v.records), key=lambda r: (r.name, r.host))
        return [view_of(r) for r in records if chosen.matches(r.labels)]

    async def describe(self, name: str) -> list[CapsuleDetail]:
        """One detail per host that has a capsule of that name (normally exactly one)."""
        await self.ctx.refresh()
        records = self._records(name)
        # All of them: the created event (which says why it was placed there) may be older
        # than the recent ones shown.
        every_event = self.ctx.store.events(name)
        recent = every_event[-DESCRIBE_EVENTS:]
        details = [detail_of(r, [e for e in recent if not e.uuid or e.uuid == r.uuid]) for r in records]
        for detail in details:
            detail.placement = recorded_placement(every_event, detail.view.uuid, detail.view.host)
        return details

    def spec(self, uuid: str) -> dict[str, Any]:
        """The capsule's normalized document as the store keeps it (secret references, never values)."""
        record = self.ctx.store.get(uuid)
        if record is None:
            raise CapsuleNotFound(uuid)
        return record.spec

    def placement(self, name: str, uuid: str, host: str) -> str:
        """Why the capsule is on its host, as recorded at create (runtime.placement.record)."""
        return recorded_placement(self.ctx.store.events(name), uuid, host)

    def _records(self, name: str) -> list[CapsuleRecord]:
        known = {h.name for h in self.hosts}
        records = [r for r in self.ctx.store.find(name) if r.host in known]
        if not records:
            raise CapsuleNotFound(name)
        return records

    async def history(self, name: str) -> list[Revision]:
        """The capsule's revisions, oldest first; the running one is recorded first if it is not yet."""
        await self.ctx.refresh()
        store = self.ctx.store
        for record in (r for r in store.find(name) if not r.create_failed):
            ensure_recorded(store, name=record.name, host=record.host, uuid=record.uuid,
                            revision=record.revision, spec=record.spec, created_at=record.created_at)
        rows = store.revisions(name)
        if not rows:
            raise CapsuleNotFound(name)
        return rows

    # -- delete ---------------------------------------------------------------------------

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
        await self.ctx.refresh(listed=True, names=list(dict.fromkeys(names)) if names else None)
        known = {h.name for h in self.hosts}
        results: list[DeleteResult] = []
        targets: list[CapsuleRecord] = []
        if names:
            for name in dict.fromkeys(names):
                found = [r for r in self.ctx.store.find(name) if r.host in known]
                if not found:
                    results.extend(await self._delete_leftovers(name))
                targets.extend(found)
        else:
            targets = [r for r in self.ctx.store.capsules() if r.host in known and (all or chosen.matches(r.labels))]
        results.extend(await asyncio.gather(*(self._delete_one(r) for r in targets)))
        await self._settle_namespaces(targets, results)
        return results

    async def delete_made_by(self, translation: Translation) -> tuple[list[DeleteResult], list[ServiceDeleted]]:
        """`capsule delete -f FILE`: exactly what the file made, and nothing else.

        Its capsules by name; every replica of its workloads in their namespace (a scale
        made more, with other names); its Services. A name of the file that nothing
        answers to is CapsuleNotFound / ServiceNotFound in the results, as kubectl says.
        """
        await self.ctx.refresh(listed=True)
        known = {h.name for h in self.hosts}
        names = {c.name for c in translation.capsules}
        workloads = {(c.namespace, c.workload) for c in translation.capsules if c.workload}
        targets = [r for r in self.ctx.store.capsules() if r.host in known and (
            r.name in names or (spec_metadata(r.spec, "namespace"), spec_metadata(r.spec, "workload")) in workloads)]
        # A workload's replicas may carry other names than the file's now (scaled, rolled
        # out): a workload is missing only when none of its replicas is found.
        found_workloads = {(spec_metadata(r.spec, "namespace"), spec_metadata(r.spec, "workload")) for r in targets}
        missing = sorted({c.name for c in translation.capsules if not c.workload} - {r.name for r in targets})
        missing += sorted({w for ns, w in workloads if (ns, w) not in found_workloads})
        results = [DeleteResult(n, "", error=CapsuleNotFound(n)) for n in missing]
        services = [(s.namespace, s.name) for s in translation.services]

        async def remove_services() -> tuple[list[ServiceDeleted], set[tuple[str, str]]]:
            return await services_flow.remove_services(self.ctx, services) if services else ([], set())

        # The file's Services go with its capsules, at once; their namespaces are settled
        # once afterwards (the Services that stay get their backends, an unused network goes),
        # not once for the capsules and again for the Services.
        deleted, (removed, touched) = await asyncio.gather(
            asyncio.gather(*(self._delete_one(r) for r in targets)), remove_services())
        results.extend(deleted)
        spaces = self._deleted_spaces(targets, results) | touched
        # A namespace of the file that nothing was found of may still have its network (a
        # create interrupted after making it): settled too, on the hosts that hold it.
        spaces |= {(ns, self.hosts[0].name) for ns in application_flow.namespaces_of(translation)
                   if ns not in {n for n, _ in spaces}}
        if spaces:
            await application_flow.settle(self.ctx, spaces)
        return results, removed

    async def scale(self, workload: str, replicas: int, *, namespace: str = "default",
                    secrets: SecretStore | None = None, timeout: float = 120.0,
                    on_progress: Callable[..., Any] | None = None) -> Any:
        """Run `replicas` capsules of the workload (runtime.workload_flow.scale): a ScaleResult."""
        from runtime.workload_flow import scale

        with self._errors_shown():
            return await scale(self.ctx, workload, replicas, namespace=namespace, secrets=secrets,
                               timeout=timeout, on_progress=on_progress)

    async def swarm(self, names: Sequence[str] = (), *, advertise: dict[str, str] | None = None,
                    leave: bool = False, force: bool = False) -> list[str]:
        """Form one swarm of these hosts (default: all), or take them out of it; one line per host.

        Leaving while an application spans the hosts (a namespace's overlay network of
        capsule's) would cut its capsules off from each other: refused unless `force`.
        """
        chosen = [self.host(n) for n in names] if names else list(self.hosts)
        with host_failures():
            pairs = [(h, await self.ctx.engine(h)) for h in chosen]
            if not leave:
                return await swarm.form(pairs, advertise=advertise)
            if not force:
                for settings, engine in pairs:
                    spans = [n.get("Name") for n in await engine.list_networks(filters={"label": [
                        f"{LABEL_MANAGED_BY}={MANAGED_BY}"], "driver": ["overlay"]})]
                    if spans:
                        raise CapsuleError(f"host {settings.name} carries the networks of applications that span "
                                           f"hosts ({', '.join(sorted(map(str, spans)))}); delete those "
                                           f"applications first, or leave with --force")
            return await swarm.leave(pairs)

    async def delete_workload(self, reference: str, *, namespace: str = "default") -> list[DeleteResult]:
        """Every replica of a workload (`deployment/web`, or a name only one workload has)."""
        from runtime.workload_flow import replicas_of, resolve_workload

        await self.ctx.refresh(listed=True)
        with self._errors_shown():
            workload = resolve_workload(self.ctx, reference, namespace)
        targets = replicas_of(self.ctx, namespace, workload)
        results = list(await asyncio.gather(*(self._delete_one(r) for r in targets)))
        await self._settle_namespaces(targets, results)
        return results

    async def _settle_namespaces(self, targets: list[CapsuleRecord], results: list[DeleteResult]) -> None:
        """Deleted capsules of an application leave its Services; an unused namespace network goes."""
        spaces = self._deleted_spaces(targets, results)
        if spaces:
            await application_flow.settle(self.ctx, spaces)

    @staticmethod
    def _deleted_spaces(targets: list[CapsuleRecord], results: list[DeleteResult]) -> set[tuple[str, str]]:
        """(namespace, host) of every capsule of an application that was deleted."""
        deleted = {(r.name, r.host) for r in results if r.error is None}
        return {(ns, r.host) for r in targets if (r.name, r.host) in deleted
                and (ns := spec_metadata(r.spec, "namespace"))}

    async def services(self, namespace: str | None = None) -> tuple[list[ServiceView], list[str]]:
        """Every Service on every host (of one namespace), and the hosts that could not be asked."""
        return await services_flow.list_services(self.ctx, namespace)

    async def delete_services(self, wanted: Sequence[tuple[str, str]]) -> list[ServiceDeleted]:
        """Remove Services by (namespace, name) from every host that has them."""
        return await services_flow.delete_services(self.ctx, wanted)

    async def _delete_leftovers(self, name: str) -> list[DeleteResult]:
        """No capsule of that name: remove what dead creates of it left on the hosts, if anything.

        Those objects (volumes, a volume-filling helper) are no capsule, so `list` does not
        show them; `delete NAME` still removes them, since the user named them. Nothing
        anywhere is CapsuleNotFound.
        """
        async def sweep(host: HostSettings) -> DeleteResult | None:
            try:
                async with self.ctx.asking(host) as engine:
                    summary = await remove_capsule(engine, host=host.name, name=name)
            except Exception:  # a host that cannot be asked has nothing to report here
                return None
            if not summary.containers and not summary.volumes:
                return None
            return DeleteResult(name, host.name, summary.containers, summary.volumes, summary.kept_volumes)

        found = [r for r in await asyncio.gather(*(sweep(h) for h in self.hosts)) if r is not None]
        return found or [DeleteResult(name, "", error=CapsuleNotFound(name))]

    async def gc(self, *, grace: float = leftovers.DEFAULT_GRACE, dry_run: bool = False) -> list[SweptHost]:
        """Remove, from every host at once, what belongs to no capsule (runtime.observe.leftovers).

        Volumes and containers of creates that died (SIGKILL, a host cut off during the
        clean-up): those this machine's store knows failed, and those nobody knows that
        have no sandbox and are older than `grace` seconds. Persistent volumes stay.
        """
        async def sweep(host: HostSettings) -> SweptHost:
            swept = SweptHost(host.name)
            try:
                async with self.ctx.asking(host) as engine:
                    containers, volumes = await asyncio.gather(labeled_containers(engine), labeled_volumes(engine))
                    swept.leftovers = leftovers.dead(leftovers.group_by_uuid(containers, volumes),
                                                     known=self.ctx.uuid_known, now=time.time(), grace=grace)
                    networks = await engine.list_networks(filters={"label": [f"{LABEL_MANAGED_BY}={MANAGED_BY}"]})
                    swept.networks = leftovers.unused_networks(networks, containers, now=time.time(), grace=grace)
                    if not dry_run:
                        for item in swept.leftovers:
                            await remove_capsule(engine, host=host.name, uuid=item.uuid)
                        swept.networks = [n for n in swept.networks if await self._removed_network(engine, n, swept)]
            except Exception as exc:  # EngineError: this host could not be swept now
                swept.error = short_error(exc)
            return swept

        return list(await asyncio.gather(*(sweep(h) for h in self.hosts)))

    @staticmethod
    async def _removed_network(engine: EngineClient, network: str, swept: SweptHost) -> bool:
        """Remove one namespace network gc found unused here; False when it stays (in use again, gone,
        or an overlay the swarm holds for a container of another host: said in `kept` when that is stuck)."""
        try:
            await engine.remove_network(network)
            return True
        except Conflict as exc:
            holder = await holder_of(engine, exc.engine_message or str(exc))
            if holder is not None and holder.stuck:
                swept.kept.append(f"network {network}: {holder.describe()}")
            return False
        except EngineError:
            return False

    async def _delete_uuids(self, uuids: list[str]) -> list[DeleteResult]:
        # Only the hosts of these capsules' names are asked (as a delete by name does).
        store = self.ctx.store
        wanted = list(dict.fromkeys(uuids))
        before = {u: store.get(u) for u in wanted}
        await self.ctx.refresh(listed=True, names=list(dict.fromkeys(r.name for r in before.values() if r)))
        known = {h.name for h in self.hosts}
        results: list[DeleteResult] = []
        targets: list[CapsuleRecord] = []
        for uuid in wanted:
            record = store.get(uuid)
            if record is None or record.host not in known:
                previous = before[uuid]
                name = previous.name if previous is not None else uuid
                results.append(DeleteResult(name, "", error=CapsuleNotFound(name)))
            else:
                targets.append(record)
        results.extend(await asyncio.gather(*(self._delete_one(r) for r in targets)))
        await self._settle_namespaces(targets, results)
        return results

    async def _delete_one(self, record: CapsuleRecord) -> DeleteResult:
        result = DeleteResult(record.name, record.host)
        # Always the host, also for a failed create: its clean-up may not have finished
        # (a host cut off mid-create), and "deleted" must be true on the host. By name: what
        # any earlier, dead create of that name left there goes too (persistent volumes stay).
        leased = lease_for_delete(self.ctx.store, record.uuid)
        try:
            engine = await self.ctx.engine(record.host)
            summary = await remove_capsule(engine, host=record.host, name=record.name)
        except CapsuleError as exc:
            result.error = exc
            release_delete_lease(self.ctx.store, record.uuid, leased)
            return result
        except Exception as exc:  # EngineError: the host could not do it; keep the row
            self.ctx.forget_engine(record.host)
            result.error = DeleteFailed(record.name, record.host, short_error(exc))
            release_delete_lease(self.ctx.store, record.uuid, leased)
            return result
        result.containers, result.volumes = summary.containers, summary.volumes
        result.kept_volumes = summary.kept_volumes
        self.ctx.store.delete(record.uuid)
        mark_deleted(self.ctx.store, record.name, record.uuid)
        removed = f"{len(result.containers)} containers, {len(result.volumes)} volumes removed"
        kept = f"; kept persistent volumes {', '.join(result.kept_volumes)}" if result.kept_volumes else ""
        self.ctx.notifier.emit(DELETED, record.name, f"deleted by user ({removed}{kept})",
                               uuid=record.uuid, host=record.host)
        return result

    # -- create, update, events ------------------------------------------------------------

    async def create(
        self,
        translation: Translation,
        *,
        host: str | None = None,
        wait: bool = True,
        timeout: float = 120.0,
        on_progress: Callable[..., Any] | None = None,
        options: CreateOptions | None = None,
    ) -> list[CreateResult]:
        """Create every capsule of the translation (see runtime.create_flow)."""
        from runtime.create_flow import create_all

        self.resolve_references(translation)
        with self._errors_shown():
            return await create_all(self.ctx, translation, host=host, wait=wait, timeout=timeout,
                                    on_progress=on_progress, options=options)

    async def plan(
        self, translation: Translation, *, host: str | None = None, strategy: str = "spread"
    ) -> list[tuple[str, Placement | CapsuleError]]:
        """Where each capsule would land (--dry-run); creates nothing. See runtime.create_flow."""
        from runtime.create_flow import plan_all

        with host_failures():
            return await plan_all(self.ctx, translation, host=host, strategy=strategy)

    async def names_taken(self, names: Sequence[str]) -> dict[str, Any]:
        """Which of these capsule names a create would find taken, and where (runtime.observe.name_check)."""
        from runtime.observe.name_check import names_taken

        ctx = self.ctx
        return await names_taken(names, ctx.hosts, find=ctx.store.find, known=ctx.uuid_known, asking=ctx.asking)

    async def update(self, translation: Translation, name: str, **switch: Any) -> UpdateResult:
        """Switch the running capsule `name` over to its spec in the translation (runtime.update).

        `switch`: timeout, settle, grace, allow_privileged, allow_host_path, on_progress; uuid and
        host pick exactly one capsule of the name (the terminal UI's row).
        """
        from runtime.update import update_capsule

        self.resolve_references(translation)
        chosen = [c for c in translation.capsules if c.name == name]
        if not chosen:
            found = ", ".join(c.name for c in translation.capsules) or "none"
            raise BadRequest(f"the input does not define capsule {name} (it defines: {found}); pass the file "
                             f"of {name}, or use capsule apply -f for several capsules")
        with self._errors_shown():
            try:
                return await update_capsule(self.ctx, chosen[0], translation.secrets, **switch)
            finally:
                await self._resync([name])

    async def rollback(self, name: str, *, to_revision: int | None = None, secrets: SecretStore | None = None,
                       **switch: Any) -> UpdateResult:
        """Switch back to an earlier revision (runtime.rollback)."""
        from runtime.rollback import rollback_capsule

        with self._errors_shown():
            try:
                return await rollback_capsule(self.ctx, name, to_revision=to_revision, secrets=secrets, **switch)
            finally:
                await self._resync([name])

    async def apply(self, translation: Translation, *, host: str | None = None, timeout: float = 120.0,
                    settle: float = 3.0, on_progress: Callable[..., Any] | None = None) -> list[ApplyResult]:
        """Create what is absent, update what differs, leave the rest (runtime.apply)."""
        from runtime.apply import apply_all

        self.resolve_references(translation)
        with self._errors_shown():
            try:
                return await apply_all(self.ctx, translation, host=host, timeout=timeout, settle=settle,
                                       on_progress=on_progress)
            finally:
                await self._resync([c.name for c in translation.capsules])

    # -- ConfigMaps and Secrets outside the input (runtime/state/config_objects.py) ----------

    def resolve_references(self, translation: Translation) -> None:
        """Fill the references to ConfigMaps and Secrets that the input lacks from the stored
        ones; UnresolvedReferences (exit 2) naming every one that resolves nowhere, before anything is made."""
        config_objects.resolve_translation(self.ctx.store, translation)

    def resolve_and_keep(self, translation: Translation) -> list[ConfigObject]:
        """What create, update and apply (command line and terminal UI alike) do before anything is
        made: resolve the references (UnresolvedReferences naming each miss), then store the input's
        ConfigMaps and Secrets, as kubectl creates them. The objects stored."""
        self.resolve_references(translation)
        if translation.config_objects:
            self.keep_config_objects(translation)
        return list(translation.config_objects)

    def reference_problems(self, translation: Translation) -> list[str]:
        """The references `resolve_references` would refuse, one line each; the translation is not changed."""
        return config_objects.problems(self.ctx.store, translation)

    def keep_config_objects(self, translation: Translation) -> None:
        """Store the input's ConfigMaps and Secrets for later inputs, as kubectl creates them."""
        config_objects.save(self.ctx.store, translation.config_objects)

    def config_objects(self, kind: str, namespace: str | None = None) -> list[config_objects.StoredObject]:
        return config_objects.listing(self.ctx.store, kind, namespace)

    def delete_config_object(self, kind: str, namespace: str, name: str) -> bool:
        return config_objects.remove(self.ctx.store, kind, namespace, name)

    async def _resync(self, names: list[str]) -> None:
        """A capsule of an application switched to a new revision (a new address): its Services follow."""
        spaces = {(ns, r.host) for name in names for r in self.ctx.store.find(name)
                  if (ns := spec_metadata(r.spec, "namespace"))}
        if spaces:
            await application_flow.sync(self.ctx, sorted({ns for ns, _ in spaces}))

    async def events(self, name: str | None = None, *, follow: bool = False, limit: int | None = None,
                     refresh: bool = False) -> AsyncIterator[EventRecord]:
        """Recorded events (oldest first); with follow, then new ones as they happen.

        `refresh`: first bring the store in line with the hosts, so that what happened
        behind the tool's back is in the log.
        """
        from runtime.event_follow import stream_events

        with host_failures():
            if refresh:
                await self.ctx.refresh()
            async for event in stream_events(self.ctx, name, follow=follow, limit=limit):
                yield event

    async def watch(self, on_action: Callable[[WatchAction], None] | None = None, *,
                    names: Sequence[str] | None = None, **settings: Any) -> None:
        """Heal capsules and run their probes until cancelled (runtime.watch.watcher).

        Raises WatcherBusy at once when another watcher holds this CAPSULE_HOME.
        `settings`: heal_grace, probe_grace (seconds).
        """
        from runtime.watch.watcher import Watcher

        await Watcher(self.ctx, on_action=on_action, names=names, **settings).run()

    # -- a running capsule -----------------------------------------------------------------

    async def _locate(self, name: str, host: str | None = None) -> Located:
        """The host running `name`: the one the store says first, so that a command about one
        capsule asks only its host (a hung host elsewhere costs nothing); every host otherwise.
        With `host`, that host only (a same-named capsule elsewhere is never touched)."""
        from runtime.observe.lookup import locate_capsule

        async def engine_for(host: HostSettings) -> Any:
            try:
                return await self.ctx.engine(host)
            except BaseException:
                self.ctx.forget_engine(host.name)
                raise

        if host is not None:
            return await locate_capsule(name, [self.host(host)], engine_for)
        recorded = {r.host for r in self.ctx.store.find(name)}
        where = [h for h in self.hosts if h.name in recorded]
        if where:
            try:
                return await locate_capsule(name, where, engine_for)
            except CapsuleNotFound:
                pass  # its host answered without it (moved, or deleted behind our back): ask the others
        others = [h for h in self.hosts if h.name not in recorded]
        return await locate_capsule(name, others or self.hosts, engine_for)

    async def lifecycle(self, action: str, name: str, *, grace: int = 10, uuid: str | None = None,
                        host: str | None = None) -> None:
        """start | stop | restart | pause | unpause a whole capsule, in the order namespaces need.

        By name (the host the store records first), or exactly the capsule `uuid` on `host`
        (the terminal UI: a same-named capsule on another host is never touched).
        The store is then brought in line with the host, so `capsule events` shows the
        change at once; if that fails the change still stands (a warning is logged).
        """
        from runtime.observe.lookup import Located
        from runtime.ops import lifecycle

        if action not in LIFECYCLE_ACTIONS:
            raise BadRequest(f"unknown action {action!r}; one of: {', '.join(LIFECYCLE_ACTIONS)}")
        with host_failures():
            if uuid is not None and host is not None:
                engine = await self.ctx.engine(host)
                observed = await observe_capsule(engine, host, uuid=uuid)
                if observed is None:
                    raise CapsuleNotFound(name)
                found = Located(self.host(host), engine, observed)
            else:
                found = await self._locate(name)
            engine, capsule = found.engine, found.capsule
            if action == "start":
                await lifecycle.start_capsule(engine, capsule, grace=grace)
            elif action == "stop":
                await lifecycle.stop_capsule(engine, capsule, grace=grace)
            elif action == "restart":
                await lifecycle.restart_capsule(engine, capsule, grace=grace)
            elif action == "pause":
                await lifecycle.pause_capsule(engine, capsule)
            else:
                await lifecycle.unpause_capsule(engine, capsule)
        await self._record_change(found.host, action)

    async def _record_change(self, host: HostSettings, command: str) -> None:
        try:
            await self.ctx.refresh([host])
        except Exception as exc:  # the change itself is done; the record catches up on the next read
            log.warning("capsule %s: warning: the change is done but could not be recorded: %s", command, exc)

    async def logs(self, name: str | None = None, *, uuid: str | None = None, host: str | None = None,
                   member: str | None = None, follow: bool = False, tail: int | None = None,
                   timestamps: bool = False) -> CapsuleLogs:
        """The merged logs of a capsule's members (or one member's): by name, or by uuid on a host.

        Raises MemberNotFound for an unknown member before anything is read.
        """
        from runtime.ops.logs import capsule_logs
        from runtime.ops.members import pick_members

        with host_failures():
            if uuid is not None and host is not None:
                engine = await self.ctx.engine(host)
                capsule = await observe_capsule(engine, host, uuid=uuid)
                if capsule is None:
                    raise CapsuleNotFound(name or uuid)
            elif name is not None:
                found = await self._locate(name)
                engine, capsule = found.engine, found.capsule
            else:
                raise BadRequest("say which capsule: a name, or a uuid and its host")
            members = [c.member for c in pick_members(capsule, member)]

        async def lines() -> AsyncIterator[MemberLogLine]:
            with host_failures():
                async for line in capsule_logs(engine, capsule, member=member, follow=follow, tail=tail,
                                               timestamps=timestamps):
                    yield line

        return CapsuleLogs(members, lines())

    async def exec(self, name: str, command: Sequence[str], *, member: str | None = None,
                   stdin: bytes | None = None, on_output: Callable[[Any], None], env: Sequence[str] = (),
                   workdir: str | None = None, user: str | None = None, host: str | None = None) -> int:
        """Run `command` in a member (the first when None), streaming its output; its exit code.
        `host`: the capsule of that name on that host (see _locate)."""
        from runtime.ops.exec import exec_in_member

        with host_failures():
            found = await self._locate(name, host)
            return await exec_in_member(found.engine, found.capsule, command, member=member, stdin=stdin,
                                        on_output=on_output, env=env, workdir=workdir, user=user)

    @contextlib.asynccontextmanager
    async def exec_terminal(self, name: str, command: Sequence[str], *, member: str | None = None,
                            env: Sequence[str] = (), workdir: str | None = None, user: str | None = None,
                            size: tuple[int, int] | None = None, host: str | None = None) -> AsyncIterator[Any]:
        """`command` on a terminal in a member (the first when None): an ExecSession to drive."""
        from runtime.ops.exec import terminal_in_member

        with host_failures():
            found = await self._locate(name, host)
            async with terminal_in_member(found.engine, found.capsule, command, member=member, env=env,
                                          workdir=workdir, user=user, size=size) as session:
                yield session

    async def top(self, name: str) -> ProcessTable:
        """The processes of every running member, MEMBER first; stopped members in `skipped`."""
        from runtime.ops.exec import capsule_top

        with host_failures():
            found = await self._locate(name)
            return await capsule_top(found.engine, found.capsule)

    # -- live resource use ------------------------------------------------------------

    async def usage(self, capsules: Sequence[CapsuleRecord | str], *, interval: float = 0.0) -> dict[str, CapsuleUsage]:
        """CPU and memory of these capsules (records from a refresh, or uuids), by uuid: one-shot
        stats of their running containers (runtime/usage/). A CPU figure needs two readings: the
        service keeps the last one of every container, and `interval` > 0 reads twice that many
        seconds apart (a one-off command). Hosts that do not answer give no figures; never raises."""
        from runtime.usage.capsules import measure

        records = [self.ctx.store.get(c) if isinstance(c, str) else c for c in capsules]
        return await measure(self._sampler(), self._usage_engine, [r for r in records if r is not None],
                             interval=interval)

    async def capsule_usage(self, name: str, *, interval: float = 0.0) -> CapsuleUsage:
        """`usage` of the capsule called `name`, as its host describes it now (`capsule top NAME`)."""
        from runtime.usage.capsules import measure

        with host_failures():
            found = await self._locate(name)
        figures = await measure(self._sampler(), self._usage_engine, [found.capsule], interval=interval)
        return figures[found.capsule.uuid]

    def _sampler(self) -> UsageSampler:
        from runtime.usage.sampler import UsageSampler

        if self._usage_sampler is None:
            self._usage_sampler = UsageSampler()
        return self._usage_sampler

    async def _usage_engine(self, host: str) -> Any:
        return await asyncio.wait_for(self.ctx.engine(host), self.ctx.host(host).connect_timeout + 1)

    async def copy(self, source: str, destination: str, *, stdin: IO[bytes] | None = None,
                   stdout: IO[bytes] | None = None) -> int:
        """`capsule cp`: one side NAME:MEMBER:PATH, the other a local path ('-': a tar on stdin/stdout).

        Returns the bytes copied. Arguments that cannot work are BadRequest, before any host is asked.
        """
        from runtime.ops.copy import copy_from_member, copy_to_member, parse_copy_arg

        remote_source, remote_destination = parse_copy_arg(source), parse_copy_arg(destination)
        if (remote_source is None) == (remote_destination is None):
            which = "both are" if remote_source is not None else "neither is"
            raise BadRequest(f"one side must be NAME:MEMBER:PATH and the other a local path, but {which}; "
                             f"e.g. capsule cp web:app:/etc/hosts ./hosts")
        remote = remote_source or remote_destination
        assert remote is not None
        with host_failures():
            found = await self._locate(remote.capsule)
            if remote_source is not None:
                return await copy_from_member(found.engine, found.capsule, remote_source, destination, stdout=stdout)
            return await copy_to_member(found.engine, found.capsule, source, remote, stdin=stdin)

    async def add_member(self, name: str, image: str, *, member: str | None = None, env: Sequence[str] = (),
                         command: Sequence[str] = (), pull: str | None = None,
                         on_progress: Callable[[Any], Any] | None = None) -> str:
        """Add a container to a running capsule (`capsule run`); the new member's name.

        The name and env are checked (BadRequest) before any host is asked.
        """
        from runtime.observe.observed import ObservedCapsule
        from runtime.ops.run import member_spec, run_in_capsule

        member_spec(ObservedCapsule("", name, "", 0, {}, []), image, name=member, env=env)
        with host_failures():
            found = await self._locate(name)
            container = member_spec(found.capsule, image, name=member, env=env, command=command, pull=pull)
            added = await run_in_capsule(found.engine, found.capsule, container,
                                         sandbox_image=sandbox_image_for(found.host), on_progress=on_progress)
        await self._record_change(found.host, "run")
        return added.member or container.name

    # -- the hosts ---------------------------------------------------------------------------

    def offered_hosts(self) -> list[OfferedHost]:
        """Every host on offer: the inventory's, DOCKER_HOST's and the docker contexts', refused ones too."""
        return inventory.list_hosts()

    async def host_facts(self, hosts: Sequence[HostSettings] | None = None, *,
                         timeout: float | None = None) -> list[HostFacts]:
        """Each host's reachability, engine, capacity and allocation, all asked at once."""
        from runtime.placement.host_facts import gather_facts

        return await gather_facts(list(hosts if hosts is not None else self.hosts), connect_timeout=timeout)

    async def add_host(self, host: HostSettings, *, check: bool = True) -> HostAdded:
        """Add a host to the inventory (its URL policy and name checked), then, with `check`, ask it.

        The service then uses the new inventory: the next refresh asks the new host too.
        A host that cannot be reached is still added (its facts say why).
        """
        written, notes = await asyncio.to_thread(inventory.add_host, host)
        self.ctx.pool.replace_hosts(inventory.load_hosts())
        facts = (await self.host_facts([host]))[0] if check else None
        return HostAdded(written.path, notes, facts)

    async def remove_host(self, name: str) -> Path:
        """Remove a host from the inventory file; its containers are not touched.

        A host offered by DOCKER_HOST or a docker context is not in the file: that
        setting must change instead (InventoryError says so).
        """
        def remove() -> Path:
            offered = {o.settings.name: o for o in inventory.list_hosts()}
            if name in offered and offered[name].source != "inventory":
                raise InventoryError(f"host {name!r} comes from {offered[name].source}, not from the "
                                     f"inventory; change that setting instead")
            return inventory.remove_host(name).path

        path = await asyncio.to_thread(remove)
        self.ctx.pool.replace_hosts(inventory.load_hosts())
        return path


def _selector(value: Selector | str | list[str] | None) -> Selector:
    return value if isinstance(value, Selector) else parse_selector(value)
