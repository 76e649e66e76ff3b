"""The terminal UI's one door to the runtime: a thin adapter over `CapsuleService`.

The screens need a little more than `CapsuleService.list()` gives in one call: the
list shows each host's state (reachable, or unreachable and why) beside the rows,
and the detail screen shows the normalized spec. `Backend` asks the hosts once per
refresh (`CapsuleService.refresh`) and builds both from the same answer, so a
refresh never asks a host twice.

Tests hand the app another object with the same methods (see `CapsuleBackend`)
when they need fixed data. Nothing here imports textual; nothing here prints.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Collection
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from runtime.views import CapsuleDetail, CapsuleUsage, CapsuleView, view_of

if TYPE_CHECKING:
    from runtime.create_flow import CreateResult
    from runtime.hosts.settings import HostSettings
    from runtime.service import CapsuleService, DeleteResult
    from runtime.update import UpdateResult
    from runtime.views import EventRecord, HostFacts, MemberLogLine, ServiceDeleted, ServiceView
    from translate.translation import Translation

LOADING, REACHABLE, UNREACHABLE = "loading", "reachable", "unreachable"


@dataclass(frozen=True)
class HostState:
    name: str
    state: str  # LOADING | REACHABLE | UNREACHABLE
    error: str = ""


@dataclass
class Snapshot:
    """One refresh: every capsule the store knows on the configured hosts, and each host's state."""

    hosts: list[HostState] = field(default_factory=list)
    capsules: list[CapsuleView] = field(default_factory=list)


class CapsuleBackend(Protocol):
    """What the screens call. All of it runs in workers, never on the UI's own path."""

    def host_names(self) -> list[str]: ...
    async def snapshot(self) -> Snapshot: ...
    async def describe(self, name: str, uuid: str) -> CapsuleDetail: ...
    async def spec(self, uuid: str) -> dict[str, Any]: ...
    async def delete(self, names: list[str]) -> list[DeleteResult]: ...
    def logs(self, uuid: str, host: str, *, tail: int, member: str | None = None) -> AsyncIterator[MemberLogLine]: ...
    def events(self, *, limit: int, name: str | None = None) -> AsyncIterator[EventRecord]: ...
    async def host_facts(self) -> list[HostFacts]: ...
    async def create(self, translation: Translation,
                     on_progress: Callable[[str, Any], Any] | None = None) -> list[CreateResult]: ...
    async def plan(self, translation: Translation) -> list[tuple[str, Any]]: ...
    async def names_taken(self, names: list[str]) -> dict[str, Any]: ...
    async def failed_create_host(self, name: str) -> str | None: ...
    async def delete_by_uuid(self, uuids: list[str]) -> list[DeleteResult]: ...
    async def placement(self, name: str, uuid: str, host: str) -> str: ...
    async def add_host(self, host: HostSettings) -> list[str]: ...
    async def remove_host(self, name: str) -> None: ...
    async def services(self, namespace: str | None = None) -> tuple[list[ServiceView], list[str]]: ...
    async def delete_services(self, wanted: list[tuple[str, str]]) -> list[ServiceDeleted]: ...
    async def aclose(self) -> None: ...
    # Acting on a capsule (capsule_tui/actions/): as `capsule stop|start|...`, `update`, `rollback`.
    async def lifecycle(self, action: str, name: str, uuid: str, host: str) -> None: ...
    async def update(self, translation: Translation, name: str,
                     on_progress: Callable[[str, Any], Any] | None = None, *, uuid: str | None = None,
                     host: str | None = None) -> UpdateResult: ...
    async def rollback(self, name: str, on_progress: Callable[[str, Any], Any] | None = None, *,
                       uuid: str | None = None, host: str | None = None) -> UpdateResult: ...


class Backend:
    """`CapsuleBackend` over a real `CapsuleService` (its hosts, its store)."""

    def __init__(self, service: CapsuleService) -> None:
        self.service = service
        self._records: dict[str, Any] = {}  # uuid -> the store's record of the last snapshot
        # The UI's event loop draws and answers keys: SQLite work goes to a thread.
        service.reconcile_off_loop()

    @classmethod
    def open(cls) -> Backend:
        from runtime.service import CapsuleService

        return cls(CapsuleService())

    def host_names(self) -> list[str]:
        return [h.name for h in self.service.hosts]

    async def snapshot(self) -> Snapshot:
        # The listed view, as `capsule list` takes it: one list call per host, inspects only
        # where its entry is not enough (see runtime.observe.discovery.observe_host_listed). Every 2 s
        # it inspects a restarted member within its first minute; the watcher records restarts too.
        views = await self.service.refresh(listed=True)
        hosts = [HostState(v.host.name, REACHABLE if v.reachable else UNREACHABLE, v.error) for v in views]
        # Each host's rows as just reconciled (the store keeps capsules of unreachable
        # hosts, as Unknown: they stay listed), in the store's order; no second read.
        records = sorted((r for v in views for r in v.records), key=lambda r: (r.name, r.host))
        self._records = {r.uuid: r for r in records}  # what `usage` samples: their containers, their caps
        return Snapshot(hosts, [view_of(r) for r in records])

    async def usage(self, uuids: Collection[str]) -> dict[str, CapsuleUsage]:
        """Live CPU and memory of these capsules (the rows on screen), by uuid.

        Optional in `CapsuleBackend`: without it the usage columns show `-`. The containers
        are those of the last snapshot (no store read on the UI's loop); a CPU figure comes
        from the previous call's reading of the same container (runtime/usage/sampler.py).
        """
        records = [self._records[uuid] for uuid in uuids if uuid in self._records]
        return await self.service.usage(records) if records else {}

    async def describe(self, name: str, uuid: str) -> CapsuleDetail:
        from runtime.errors import CapsuleNotFound

        for detail in await self.service.describe(name):
            if detail.view.uuid == uuid:
                return detail
        raise CapsuleNotFound(name)

    async def spec(self, uuid: str) -> dict[str, Any]:
        """The normalized capsule document (secret references only, never values)."""
        return self.service.spec(uuid)

    async def delete(self, names: list[str]) -> list[DeleteResult]:
        return await self.service.delete(names)

    async def logs(self, uuid: str, host: str, *, tail: int,
                   member: str | None = None) -> AsyncIterator[MemberLogLine]:
        """Every member's log (or one container's, init containers too), merged and followed:
        the last `tail` lines each, then new ones."""
        # With the engine's stamps: the screen orders the members' backlogs by time.
        logs = await self.service.logs(uuid=uuid, host=host, member=member, follow=True, tail=tail,
                                       timestamps=True)
        async for line in logs.lines:
            yield line

    async def create(self, translation: Translation,
                     on_progress: Callable[[str, Any], Any] | None = None) -> list[CreateResult]:
        """As `capsule create -f`: the references resolved and the input's ConfigMaps and Secrets
        stored first (UnresolvedReferences, nothing done, when one resolves nowhere)."""
        self.service.resolve_and_keep(translation)
        if not translation.capsules and not translation.services:
            return []  # only ConfigMaps and Secrets: stored, nothing to run
        return await self.service.create(translation, wait=True, on_progress=on_progress)

    async def reference_problems(self, translation: Translation) -> list[str]:
        """The references to ConfigMaps and Secrets that would resolve nowhere (the preview says them).

        Optional in `CapsuleBackend`: an object without it says none.
        """
        return self.service.reference_problems(translation)

    def events(self, *, limit: int, name: str | None = None) -> AsyncIterator[EventRecord]:
        """The last `limit` events of every capsule (of capsule `name`), then new ones as the hosts report them."""
        return self.service.events(name, follow=True, limit=limit)

    async def host_facts(self) -> list[HostFacts]:
        """Every configured host's reachability, engine, capacity and allocation, asked at once."""
        return await self.service.host_facts()

    async def plan(self, translation: Translation) -> list[tuple[str, Any]]:
        """Where each capsule would land and why (a Placement, or the CapsuleError saying why not)."""
        return await self.service.plan(translation)

    async def names_taken(self, names: list[str]) -> dict[str, Any]:
        """Which of these names a create would find taken, each with its host (runtime.observe.name_check)."""
        return await self.service.names_taken(names)

    async def failed_create_host(self, name: str) -> str | None:
        """The host of the Failed row a failed create of `name` left in the list, if it left one."""
        # One indexed read, on the loop as `spec` is (the store's connection belongs to this thread).
        records = self.service.ctx.store.find(name)
        return next((r.host for r in records if r.create_failed), None)

    async def watch(self, on_action: Callable[[Any], None], *, names: Collection[str] | None = None) -> None:
        """Run the watcher (runtime.watch.watcher) over this service until cancelled.

        Optional in `CapsuleBackend`: an object without `watch` runs no watcher.
        `names` limits it to those capsules (None: every capsule, as `capsule watch`).
        Raises WatcherBusy at once when a `capsule watch` holds this CAPSULE_HOME.
        """
        await self.service.watch(on_action, names=list(names) if names is not None else None)

    async def aclose(self) -> None:
        await self.service.aclose()

    async def delete_by_uuid(self, uuids: list[str]) -> list[DeleteResult]:
        """Exactly these capsules: a name would also take a same-named capsule on another host."""
        return await self.service.delete(uuids=uuids)

    async def placement(self, name: str, uuid: str, host: str) -> str:
        """Why the capsule is on its host, as recorded at create (runtime.placement.record)."""
        return self.service.placement(name, uuid, host)

    async def add_host(self, host: HostSettings) -> list[str]:
        """Add to the inventory through the same checks as `capsule hosts add`; returns its notes.

        Raises InventoryError or HostSettingError (the message says what to fix). The
        service then uses the new inventory, so the next refresh asks the new host too.
        """
        return (await self.service.add_host(host, check=False)).notes

    async def remove_host(self, name: str) -> None:
        """Remove from the inventory as `capsule hosts remove` does: its containers are not touched.

        Raises InventoryError when the host is not in the inventory file (e.g. it comes
        from DOCKER_HOST or a docker context: that setting must change instead).
        """
        await self.service.remove_host(name)

    async def services(self, namespace: str | None = None) -> tuple[list[ServiceView], list[str]]:
        """Every Service on every host (of one namespace), asked at once, as `capsule services`
        lists them; and, in words, the hosts that could not be asked (the others still answer)."""
        return await self.service.services(namespace)

    async def delete_services(self, wanted: list[tuple[str, str]]) -> list[ServiceDeleted]:
        """Remove these (namespace, name) Services from every host that has them, as
        `capsule delete service/NAME -n NAMESPACE` does; the capsules they select stay."""
        return await self.service.delete_services(wanted)

    # -- acting on a capsule (capsule_tui/actions/) ---------------------------------------

    async def lifecycle(self, action: str, name: str, uuid: str, host: str) -> None:
        """start | stop | restart | pause | unpause, as `capsule ACTION NAME` (runtime/ops/lifecycle.py);
        by uuid on its host: exactly the row chosen, never a same-named capsule elsewhere."""
        await self.service.lifecycle(action, name, uuid=uuid, host=host)

    async def update(self, translation: Translation, name: str,
                     on_progress: Callable[[str, Any], Any] | None = None, *, uuid: str | None = None,
                     host: str | None = None) -> UpdateResult:
        """Switch `name` over to its spec in the translation, as `capsule update NAME -f FILE`
        (the old revision is restored when the new one fails); the input's ConfigMaps and Secrets
        stored first, as that command stores them. With uuid and host exactly the row chosen,
        never a same-named capsule elsewhere."""
        if any(c.name == name for c in translation.capsules):  # else update refuses, nothing stored
            self.service.resolve_and_keep(translation)
        return await self.service.update(translation, name, on_progress=on_progress, uuid=uuid, host=host)

    async def rollback(self, name: str, on_progress: Callable[[str, Any], Any] | None = None, *,
                       uuid: str | None = None, host: str | None = None) -> UpdateResult:
        """Back to the previous revision that served, as `capsule rollback NAME`; uuid and host as update's."""
        return await self.service.rollback(name, on_progress=on_progress, uuid=uuid, host=host)
