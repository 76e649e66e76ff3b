"""`capsule update`: replace a running capsule by a new revision, or leave it as it was.

Docker names are unique per host and the sandbox holds the capsule's host ports,
so the new revision cannot start beside the old one. The switch-over therefore:

1. checks the new spec (refusals: privileged, hostPath, missing Secrets) and pulls
   its images FIRST, and checks their users for runAsNonRoot — the old capsule is
   untouched until all of it succeeds;
2. stops the old capsule (members, then the sandbox: its host ports become free)
   and renames its containers out of the way (`<name>_r<rev>-<uuid8>`; '_' never
   occurs in a DNS-1123 name, so no capsule can claim these names);
3. builds the new revision under the capsule's own names with a new uuid and
   revision + 1 (the builder is crash-safe: a failed build leaves nothing);
4. waits until it is ready (`runtime.probes.readiness.wait_ready`: readiness probes, or
   every member running without a restart for `settle` seconds) within `timeout`;
5. success: removes the old containers and the old capsule-scoped volumes
   (persistent volumes stay); failure (including Ctrl-C): removes the new one,
   renames the old containers back and starts them (sandbox, init containers,
   then members, so the members join the sandbox's new namespace), and raises
   UpdateFailed with the reason. The old capsule then serves again, from the same
   containers and volumes; its IP may differ, as after any sandbox restart.

The capsule is unavailable from step 2 until the new revision (or the restored old
one) listens. The store keeps a row per revision (`runtime.state.revisions`).
This module must not print; progress goes to `on_progress(capsule, ProgressEvent)`.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
import uuid as uuids
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from runtime.build.builder import build_capsule, prepare
from runtime.build.images import ensure_images, wanted_images
from runtime.build.model import BuildOptions, ProgressEvent, emit
from runtime.build.teardown import remove_capsule
from runtime.build.users import check_non_root
from runtime.concurrently import all_or_nothing
from runtime.engine.errors import EngineError, NotFound
from runtime.errors import (
    BadRequest,
    BuildFailed,
    BuildRefused,
    CapsuleError,
    CapsuleNotFound,
    NotReady,
    UpdateFailed,
)
from runtime.hosts.settings import sandbox_image_for
from runtime.observe.discovery import observe_capsule
from runtime.observe.observed import ObservedCapsule, ObservedContainer
from runtime.observe.status import STARTING
from runtime.ops.lifecycle import start_capsule
from runtime.probes.readiness import wait_ready
from runtime.services.backends import namespace_of
from runtime.services.containers import observe_services
from runtime.services.env_links import service_env as service_env_of
from runtime.state import revisions
from runtime.state.events import FAILED as FAILED_EVENT
from runtime.state.events import STATUS_CHANGED
from runtime.state.reconcile import update_capsule as take_observation
from runtime.state.records import Revision, record_from_spec

if TYPE_CHECKING:
    from runtime.context import RuntimeContext
    from runtime.engine.client import EngineClient
    from runtime.state.records import CapsuleRecord
    from runtime.state.store import Store
    from translate.secrets import SecretStore
    from translate.spec import Capsule

KIND_UPDATE = "update"
DEFAULT_GRACE = 1  # seconds an old member gets to stop, as `capsule delete` gives
DEFAULT_SETTLE = 3.0
LEASE_SECONDS = 900.0
DELETED_WHILE_UPDATED = "it was deleted while being updated; what the update had made was removed too"


@dataclass
class UpdateResult:
    name: str
    host: str
    uuid: str
    revision: int
    previous_revision: int
    old_ip: str | None
    ip: str | None
    status: str = "Running"
    unchanged: bool = False
    seconds: float = 0.0


async def update_capsule(
    ctx: RuntimeContext, capsule: Capsule, secrets: SecretStore, *, timeout: float = 120.0,
    settle: float = DEFAULT_SETTLE, grace: int = DEFAULT_GRACE, allow_privileged: bool = False,
    allow_host_path: bool = False, source: str = "update",
    on_progress: Callable[..., Any] | None = None, refresh: bool = True, uuid: str | None = None,
    host: str | None = None,
) -> UpdateResult:
    """Switch the running capsule `capsule.name` over to this spec (see the module docstring);
    with `uuid` / `host`, exactly that one of its name."""
    began = time.monotonic()
    name = capsule.name
    ctx.hide(secrets)  # every reason, message, event and error of this update is masked
    progress = ((lambda event: on_progress(name, dataclasses.replace(event, text=ctx.mask(event.text))))
                if on_progress else None)
    record = _claim(ctx.store, await _current_record(ctx, name, refresh=refresh, uuid=uuid, host=host))
    try:
        return await _switch_over(ctx, record, capsule, secrets, timeout=timeout, settle=settle, grace=grace,
                                  allow_privileged=allow_privileged, allow_host_path=allow_host_path,
                                  source=source, progress=progress, began=began)
    finally:
        _release(ctx.store, record.uuid)


async def _switch_over(
    ctx: RuntimeContext, record: CapsuleRecord, capsule: Capsule, secrets: SecretStore, *,
    timeout: float, settle: float, grace: int, allow_privileged: bool, allow_host_path: bool, source: str,
    progress: Callable[..., Any] | None, began: float,
) -> UpdateResult:

    name = capsule.name
    host = record.host
    engine = await ctx.engine(host)
    old = await observe_capsule(engine, host, uuid=record.uuid)
    if old is None or old.sandbox is None:
        raise CapsuleNotFound(name)
    if old.sandbox.name != name:
        raise CapsuleError(f"capsule {name} on host {host} looks half switched over (its sandbox is named "
                           f"{old.sandbox.name}); capsule describe {name} shows it, capsule delete {name} removes it")
    options = await _options_like(engine, old, ctx, host, allow_privileged, allow_host_path)
    store = ctx.store
    revisions.ensure_recorded(store, name=name, host=host, uuid=old.uuid, revision=old.revision,
                              spec=old.spec or record.spec, created_at=record.created_at)
    new_uuid = str(uuids.uuid4())
    number = max(old.revision, store.latest_revision(name)) + 1
    # 1. Everything that can be refused, and the images, before the old capsule is touched.
    try:
        build = prepare(engine, capsule, secrets, host=host, uuid=new_uuid, revision=number, options=options)
    except BuildRefused as exc:
        raise BadRequest(exc.reason) from None
    except BuildFailed as exc:
        raise UpdateFailed(name, host, exc.reason, revision=old.revision, untouched=True) from None
    await emit(progress, ProgressEvent(KIND_UPDATE, "", f"revision {old.revision} -> {number}: getting images"))
    try:
        await ensure_images(engine, wanted_images(capsule, options.sandbox_image), host=host,
                            timeout=options.pull_timeout, on_progress=progress)
        await check_non_root(engine, build, capsule.all_containers)  # the images' users, for runAsNonRoot
    except BuildRefused as exc:
        raise BadRequest(exc.reason) from None
    except BuildFailed as exc:
        raise UpdateFailed(name, host, exc.reason, revision=old.revision, untouched=True) from None

    revisions.record_revision(store, Revision(name, number, host, new_uuid, capsule.to_dict(), time.time(),
                                              revisions.UPDATING, source=source))
    new_record = _new_record(capsule, new_uuid, host, number)
    store.save(new_record)

    try:
        # 2. Old out of the way: its host ports and names become free.
        await emit(progress, ProgressEvent(KIND_UPDATE, "", f"stopping revision {old.revision}"))
        await _stop_and_rename(engine, old, grace)
        await emit(progress, ProgressEvent(KIND_UPDATE, "", f"revision {old.revision} stopped and set aside"))
        # 3. + 4. The new revision, under the capsule's own names, until ready.
        built = await build_capsule(engine, capsule, secrets, host=host, uuid=new_uuid, revision=number,
                                    options=options, on_progress=progress)
        await emit(progress, ProgressEvent(KIND_UPDATE, "", f"waiting until revision {number} is ready"))
        report = await wait_ready(engine, built, timeout, settle=settle)
    except BaseException as exc:
        if store.get(record.uuid) is None:
            deleted = await _give_way_to_delete(engine, store, host, name, new_uuid, number)
            if isinstance(exc, (asyncio.CancelledError, KeyboardInterrupt)):
                raise
            raise deleted from None
        reason = _reason(exc)
        restored, restore_error = await _shielded(_restore(engine, host, old, new_uuid, progress))
        if not restored:
            reason += f"; restoring revision {old.revision} failed too: {restore_error}"
        reason = ctx.mask(reason)
        store.finish_revision(name, number, revisions.FAILED, reason)
        store.delete(new_uuid)
        ctx.notifier.emit(FAILED_EVENT, name, f"update to revision {number} failed: {reason}; "
                              + (f"revision {old.revision} restored" if restored else "restoring failed"),
                              uuid=old.uuid, host=host)
        if isinstance(exc, (asyncio.CancelledError, KeyboardInterrupt)):
            raise
        if not isinstance(exc, (BuildFailed, NotReady, CapsuleError)) and not _engine_error(exc):
            raise
        raise UpdateFailed(name, host, reason, restored=restored, revision=old.revision) from None

    if store.get(record.uuid) is None:  # deleted while the new revision came up
        raise await _give_way_to_delete(engine, store, host, name, new_uuid, number)

    # 5. Success: the old revision goes (persistent volumes stay).
    await emit(progress, ProgressEvent(KIND_UPDATE, "", f"revision {number} is ready; removing revision "
                                                         f"{old.revision}"))

    with contextlib.suppress(Exception):  # leftovers keep their labels: capsule delete finds them
        await remove_capsule(engine, host=host, uuid=old.uuid)
    store.delete(old.uuid)
    store.finish_revision(name, old.revision, revisions.REPLACED, f"replaced by revision {number}")
    store.finish_revision(name, number, revisions.SERVING)
    fresh, events = take_observation(store, new_uuid, report.capsule, release_lease=True, mask=ctx.mask)
    ctx.notifier.publish(events)
    ctx.notifier.emit(STATUS_CHANGED, name, f"updated from revision {old.revision} to {number} "
                          f"({source}); IP {old.ip or '-'} -> {report.capsule.ip or '-'}", uuid=new_uuid, host=host)
    return UpdateResult(name, host, new_uuid, number, old.revision, old.ip, report.capsule.ip,
                        status=fresh.status if fresh else "Running", seconds=time.monotonic() - began)


async def _current_record(ctx: RuntimeContext, name: str, *, refresh: bool, uuid: str | None = None,
                          host: str | None = None) -> CapsuleRecord:
    """The store's row of the capsule to switch over: by name (refused when it runs on several hosts),
    or exactly `uuid` / the one on `host` (the terminal UI's row: a same-named capsule elsewhere stays)."""
    if refresh:
        await ctx.refresh()
    known = {h.name for h in ctx.hosts}
    records = [r for r in ctx.store.find(name) if r.host in known and not r.create_failed
               and (uuid is None or r.uuid == uuid) and (host is None or r.host == host)]
    if not records:
        raise CapsuleNotFound(name)
    busy = next((r for r in records if r.lease_active()), None)
    if busy is not None:
        raise CapsuleError(f"capsule {name} is being created or updated by another command ({busy.owner}); "
                           f"wait for it to finish, then try again")
    if len(records) > 1:
        where = ", ".join(r.host for r in records)
        raise BadRequest(f"capsule {name} runs on several hosts ({where}); delete all but one first")
    return records[0]


async def _options_like(engine: EngineClient, old: ObservedCapsule, ctx: RuntimeContext, host: str,
                        allow_privileged: bool, allow_host_path: bool) -> BuildOptions:
    """The new revision gets the old one's sandbox image and network (as it was created)."""
    assert old.sandbox is not None
    info = await engine.inspect(old.sandbox.id)
    image = (info.get("Config") or {}).get("Image") or sandbox_image_for(ctx.host(host))
    mode = (info.get("HostConfig") or {}).get("NetworkMode") or "bridge"
    network = None if mode in ("bridge", "default") else mode
    aliases: tuple[str, ...] = ()
    service_env: tuple[tuple[str, str], ...] = ()
    if network is not None:
        # On an application's network the new revision answers to the same names, and
        # gets the service variables of its namespace's Services as they are now.
        endpoint = ((info.get("NetworkSettings") or {}).get("Networks") or {}).get(network) or {}
        short_id = str(info.get("Id") or "")[:12]
        aliases = tuple(a for a in endpoint.get("Aliases") or [] if a not in (short_id, old.name))
        namespace = namespace_of(old)
        if namespace and (old.spec.get("spec") or {}).get("enableServiceLinks") is not False:
            services = await observe_services(engine, host, namespace)
            service_env = tuple(service_env_of([s.service for s in services],
                                               {s.service.name: s.ip for s in services if s.ip}))
    return BuildOptions(sandbox_image=image, network=network, allow_privileged=allow_privileged,
                        allow_host_path=allow_host_path, aliases=aliases, service_env=service_env)


def _claim(store: Any, record: CapsuleRecord) -> CapsuleRecord:
    """Take the capsule's row for this update, in one transaction: one switch-over at a time.

    The lease also keeps a concurrent `capsule list` from taking the stopped old
    revision for deleted; it ends with this process if the process dies.
    """
    with store.transaction():
        current = store.get(record.uuid)
        if current is None:
            raise CapsuleNotFound(record.name)
        if current.lease_active():
            raise CapsuleError(f"capsule {record.name} is being created or updated by another command "
                               f"({current.owner}); wait for it to finish, then try again")
        current.take_lease(LEASE_SECONDS)
        store.save(current)  # inside the claiming transaction
    return current


def _release(store: Any, uuid: str) -> None:
    with store.transaction():
        current = store.get(uuid)
        if current is not None:  # gone after a successful switch-over
            current.drop_lease()
            store.save(current)


def _new_record(capsule: Capsule, uuid: str, host: str, number: int) -> CapsuleRecord:
    record = record_from_spec(capsule.to_dict(), uuid=uuid, host=host, status=STARTING,
                              reason=f"being switched over to revision {number}", revision=number)
    record.take_lease(LEASE_SECONDS)
    record.add_message(f"updating to revision {number} on host {host}")
    return record


# An old container in one of these states was serving: it is stopped, and started again on a restore.
RUNNING_STATES = ("running", "restarting", "paused")


def out_of_the_way(container: ObservedContainer, old: ObservedCapsule) -> str:
    """The name an old container waits under; '_' is not DNS-1123, so no capsule can want it."""
    return f"{container.name}_r{old.revision}-{old.uuid[:8]}"


async def _stop_and_rename(engine: EngineClient, old: ObservedCapsule, grace: int) -> None:
    """Members, then the sandbox (so no member runs without its network); then rename all."""
    assert old.sandbox is not None
    others = [c for c in old.containers if c is not old.sandbox]
    running = {c.id for c in old.containers if c.state in RUNNING_STATES}
    await all_or_nothing(_stop(engine, c, grace) for c in others if c.id in running)
    await _stop(engine, old.sandbox, grace)
    for container in [old.sandbox, *others]:
        await engine.rename(container.id, out_of_the_way(container, old))


async def _stop(engine: EngineClient, container: ObservedContainer, grace: int) -> None:
    with contextlib.suppress(NotFound):
        await engine.stop(container.id, timeout=grace)


async def _restore(engine: EngineClient, host: str, old: ObservedCapsule, new_uuid: str,
                   progress: Callable[..., Any] | None) -> None:
    """Remove the new revision, give the old containers their names back and start them.

    Which containers to rename back is asked of the engine, not remembered: a signal can
    land while a rename is on its way, done by the engine but never answered to us.
    """
    await emit(progress, ProgressEvent(KIND_UPDATE, "", f"restoring revision {old.revision}"))
    await remove_capsule(engine, host=host, uuid=new_uuid)
    for container in old.containers:
        try:
            current = (await engine.inspect(container.id)).get("Name", "").lstrip("/")
        except NotFound:
            continue  # removed meanwhile (an init container the engine auto-removed, say)
        if current != container.name:
            await engine.rename(container.id, container.name)
    if old.sandbox is not None and any(c.state in RUNNING_STATES for c in old.containers):
        # start_capsule starts the sandbox, re-runs init containers, then starts the
        # members: they join the sandbox's new namespace (the IP may change).
        await start_capsule(engine, old)


async def _give_way_to_delete(engine: EngineClient, store: Store, host: str, name: str, new_uuid: str,
                              number: int) -> CapsuleError:
    """`capsule delete` took the capsule during the switch-over: the later request wins.

    What the update made goes too (the new revision must not outlive the delete) and
    nothing is restored. Returns the error to raise.
    """
    await _shielded(remove_capsule(engine, host=host, name=name))
    store.delete(new_uuid)
    store.finish_revision(name, number, revisions.FAILED, DELETED_WHILE_UPDATED)
    return CapsuleError(f"capsule {name} on host {host}: {DELETED_WHILE_UPDATED}")


async def _shielded(work: Any) -> tuple[bool, str]:
    """Run the restore to its end even if the caller is cancelled: (succeeded, why not)."""
    task = asyncio.ensure_future(work)
    while not task.done():
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            continue
        except Exception:  # noqa: BLE001 - reported below, beside the update's own reason
            break
    if task.cancelled():
        return False, "the restore was cancelled"
    error = task.exception()
    return error is None, "" if error is None else _reason(error)


def _engine_error(exc: BaseException) -> bool:
    return isinstance(exc, EngineError)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, (asyncio.CancelledError, KeyboardInterrupt)):
        return "the update was interrupted"
    text = getattr(exc, "reason", None) or str(exc) or type(exc).__name__
    return " ".join(str(text).split())
