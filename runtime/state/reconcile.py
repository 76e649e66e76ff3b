"""Bring the store's rows for one host in line with what that host reports.

The hosts are the truth, the store a cache. After a host answered:
- a capsule the store has but the host no longer reports was removed behind the
  tool's back: its row goes, with a "deleted" event ("deleted outside capsule");
- a capsule the host reports but the store lacks (created from another machine)
  gets a row, with a "created" event saying where it was found;
- every other row takes the host's view: status (derived with `runtime.observe.status`),
  IP, revision, containers; a status change, a member that exited or restarted,
  each becomes an event.
When the host could not be reached, its capsules are kept, with status Unknown.

Two rows are never taken for deleted although the host lacks them: a failed
create (the row keeps the reason) and a create still under way (its lease has not
run out; its containers may not exist yet). A failed create stays Failed whatever
the host shows of it (what a failed clean-up left is not a capsule coming up);
`capsule delete` removes the rest. A create or update whose process is gone (its
lease is held by no live process any more) never finishes: its row becomes such a
failed create, with a `failed` event, instead of Starting forever. A row a live create,
update or delete holds (its lease) is left as that process wrote it: the process records
what happens, in causal order (runtime/state/deleting.py says why for delete). Member
exits and restarts are recorded under the name of the change (runtime/state/changes.py),
so that this and the engine-event follower record each once.
This module writes to the store only; it must not talk to engines.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import TYPE_CHECKING

from runtime.labels import ROLE_INIT, ROLE_MEMBER
from runtime.observe.observed import ObservedCapsule, ObservedContainer
from runtime.observe.status import FAILED, FINISHED, RUNNING, STARTING, UNKNOWN, summarize, termination_reason
from runtime.state import changes
from runtime.state.records import CapsuleRecord, ContainerRecord, EventRecord, record_from_spec

if TYPE_CHECKING:
    from runtime.state.store import Store

DELETED_OUTSIDE = "deleted outside capsule"


def interrupted_reason(record: CapsuleRecord) -> str:
    """Why a row whose creator (or deleter) died is Failed, and what to do about it."""
    who = f" ({record.owner})" if record.owner else ""
    return (f"the create, update or delete working on it was interrupted: its process{who} is gone; "
            f"capsule delete {record.name} removes what is left")


def _interrupted(record: CapsuleRecord, now: float) -> bool:
    """A lease nobody holds any more: the create or update that took it died before it finished."""
    return record.lease_until is not None and not record.create_failed and not record.lease_active(now)


def _fail_interrupted(record: CapsuleRecord, now: float, event: Callable[[str, CapsuleRecord, str], None]) -> None:
    reason = interrupted_reason(record)
    event("failed", record, f"{record.status} -> {FAILED}: {reason}")
    record.status, record.status_reason = FAILED, reason
    record.create_failed = True
    record.drop_lease()
    record.add_message(reason, status=FAILED, at=now)


@dataclass
class ReconcileResult:
    host: str
    reachable: bool
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    events: list[EventRecord] = field(default_factory=list)
    # The host's rows as they are now (those of `names` only, when it was given), in
    # the store's order: what a list shows, without reading the store again.
    records: list[CapsuleRecord] = field(default_factory=list)


def reconcile_host(
    store: Store, host: str, observed: list[ObservedCapsule], reachable: bool, *, host_error: str = "",
    names: Collection[str] | None = None, mask: Callable[[str], str] = str,
) -> ReconcileResult:
    """`names`: the host was asked only about capsules of these names; other rows stay as they are.

    `mask`: hides the secret values this process knows in every reason it writes
    (a reason can quote an engine message, which can quote a command line).
    """
    result = ReconcileResult(host, reachable)
    now = time.time()
    with store.transaction():
        rows = {r.uuid: r for r in store.capsules(host) if names is None or r.name in names}

        def event(kind: str, record: CapsuleRecord, message: str, change: str = "") -> None:
            recorded = store.add_event(kind, record.name, message, uuid=record.uuid, host=host, at=now, change=change)
            if recorded is not None:
                result.events.append(recorded)

        if not reachable:
            reason = f"host {host} unreachable" + (f": {host_error}" if host_error else "")
            for record in rows.values():
                if record.create_failed or (record.status == UNKNOWN and record.status_reason == reason):
                    continue
                if record.status != UNKNOWN:
                    event("status_changed", record, f"{record.status} -> {UNKNOWN}: {reason}")
                    result.changed.append(record.name)
                    record.add_message(reason, status=UNKNOWN, at=now)
                record.status, record.status_reason = UNKNOWN, reason
                store.save(record, with_containers=False)
            result.records = list(rows.values())
            return result

        present = {capsule.uuid for capsule in observed}
        kept = dict(rows)
        for record in rows.values():
            if record.uuid in present or record.create_failed:
                continue
            if record.lease_active(now):
                continue
            if _interrupted(record, now):
                _fail_interrupted(record, now, event)
                result.changed.append(record.name)
                store.save(record, with_containers=False)
                continue
            store.delete(record.uuid)
            event("deleted", record, DELETED_OUTSIDE)
            result.removed.append(record.name)
            del kept[record.uuid]

        for capsule in observed:
            record = rows.get(capsule.uuid)
            before = None
            if record is not None and record.lease_active(now):
                # A create, update or delete is under way: its process records what happens
                # (`created` first, then what the members did; a delete's half-removed
                # containers are no news). Taking them here recorded a member's exit before
                # `created`, and `Running -> Starting: members not created yet` before a delete.
                continue
            if record is None:
                record = _new_record(capsule, host)
                event("created", record, f"found on host {host} (created outside this machine's store)")
                result.added.append(record.name)
                kept[record.uuid] = record
            else:
                before = _snapshot(record)
            _apply(record, capsule, host, now, event, result, fresh=capsule.uuid not in rows, mask=mask)
            # Most rows are as the host left them: rewriting them all made `capsule list`
            # over hundreds of capsules spend its time in SQLite.
            if before is None or _snapshot(record) != before:
                store.save(record, with_containers=True)
        result.records = sorted(kept.values(), key=lambda r: (r.name, r.host))
    return result


def _snapshot(record: CapsuleRecord) -> tuple[object, ...]:
    """Every field's value, to compare with after _apply (which replaces fields and appends
    messages only, so a shallow copy of the messages is enough).

    Containers are ordered by id: the store returns them by role, the host in its own order.
    (A tuple, not dataclasses.replace: a copy per row was a fifth of reconciling.)
    """
    values = [getattr(record, name) for name in _RECORD_FIELDS]
    values[_MESSAGES] = list(record.messages)
    values[_CONTAINERS] = sorted(_container_values(c) for c in record.containers)
    return tuple(values)


def _container_values(c: ContainerRecord) -> tuple[object, ...]:
    return (c.id, c.capsule_uuid, c.name, c.role, c.member, c.image, c.state, c.restarts, c.exit_code,
            c.last_termination)


_RECORD_FIELDS = tuple(f.name for f in fields(CapsuleRecord))
_MESSAGES, _CONTAINERS = _RECORD_FIELDS.index("messages"), _RECORD_FIELDS.index("containers")


def update_capsule(
    store: Store, uuid: str, observed: ObservedCapsule | None, *, release_lease: bool = False,
    mask: Callable[[str], str] = str,
) -> tuple[CapsuleRecord | None, list[EventRecord]]:
    """Take one capsule's fresh observation into its row (None: its containers are gone).

    Returns the updated record (None when the row itself was deleted meanwhile) and
    the events recorded. Used while creating, where observing the whole host is waste.
    """
    result = ReconcileResult("", True)
    now = time.time()
    with store.transaction():
        record = store.get(uuid)
        if record is None:
            return None, []
        result.host = record.host

        def event(kind: str, rec: CapsuleRecord, message: str, change: str = "") -> None:
            recorded = store.add_event(kind, rec.name, message, uuid=rec.uuid, host=rec.host, at=now, change=change)
            if recorded is not None:
                result.events.append(recorded)

        first_look = release_lease and not record.containers
        if release_lease:
            record.drop_lease()
        if observed is None:
            reason = f"its containers were removed from host {record.host}"
            if record.status != FAILED:
                event(status_event_kind(record.status, FAILED), record, reason)
            record.status, record.status_reason, record.containers = FAILED, reason, []
            record.add_message(reason, status=FAILED, at=now)
        else:
            _apply(record, observed, record.host, now, event, result, mask=mask, first_look=first_look)
        store.save(record, with_containers=True)
    return record, result.events


def status_event_kind(old: str, new: str) -> str:
    """'started' when a capsule comes up, 'failed' when it fails, else 'status_changed'."""
    if new == FAILED:
        return "failed"
    if new == RUNNING and old == STARTING:
        return "started"
    return "status_changed"


def _new_record(capsule: ObservedCapsule, host: str) -> CapsuleRecord:
    spec = capsule.spec or {"metadata": {"name": capsule.name}}
    record = record_from_spec(spec, uuid=capsule.uuid, host=host, status=STARTING, revision=capsule.revision)
    record.name = capsule.name or record.name
    sandbox = capsule.sandbox
    started = parse_engine_time(sandbox.started_at) if sandbox else None
    if started is not None:
        record.created_at = started
    record.messages = []
    return record


def _apply(record: CapsuleRecord, capsule: ObservedCapsule, host: str, now: float, event, result, *,
           fresh: bool = False, mask: Callable[[str], str] = str, first_look: bool = False) -> None:
    """Take the host's view of one capsule into its record, noting what changed.

    `first_look`: the creator's first view of what it built (nobody took the containers
    before, under its lease): a member that already exited is news, after `created`.
    """
    summary = summarize(capsule, capsule.spec or record.spec, host=host)
    status, reason = summary.status, mask(summary.reason)
    if _interrupted(record, now):
        if status in (RUNNING, FINISHED):
            record.drop_lease()  # its process died after the build was done: the capsule stands
        else:
            _fail_interrupted(record, now, event)
            result.changed.append(record.name)
    if record.create_failed:
        # What a failed or interrupted create left is not a capsule coming up: it stays
        # Failed, with its reason, until `capsule delete` removes it.
        status, reason = FAILED, record.status_reason
    if status == FAILED and record.lease_active(now):
        # Mid-create, a half-built capsule looks failed; its creator decides.
        status, reason = STARTING, "being created"

    previous = {c.id: c for c in record.containers}
    for container in capsule.containers:
        if container.role not in (ROLE_MEMBER, ROLE_INIT):
            continue
        before = previous.get(container.id)
        if before is None and first_look:
            before = ContainerRecord(container.id, record.uuid, container.name, container.role, container.member,
                                     container.image, "created", container.restart_count)
        if before is None:
            continue
        if container.restart_count > before.restarts:
            event("member_restarted", record,
                  f"member {container.member} restarted ({container.restart_count} restarts)",
                  changes.member_restart(container.id, container.restart_count))
        elif container.state == "exited" and before.state != "exited" and container.role == ROLE_MEMBER:
            code = "" if container.exit_code is None else f" with code {container.exit_code}"
            event("member_exited", record, f"member {container.member} exited{code}",
                  changes.member_exit(container.id, container.finished_at, container.restart_count))

    if (status, reason) != (record.status, record.status_reason):
        if status != record.status and not fresh:
            kind = status_event_kind(record.status, status)
            event(kind, record, f"{record.status} -> {status}" + (f": {reason}" if reason else ""))
            result.changed.append(record.name)
        record.add_message(reason or status, status=status, at=now)
        record.status, record.status_reason = status, reason
    if status == RUNNING and record.started_at is None:
        record.started_at = now
    if capsule.spec and capsule.spec != record.spec:
        # The facts below are the spec's alone (record_from_spec sets them with it).
        fresh = record_from_spec(capsule.spec, uuid=record.uuid, host=host, status=status)
        record.spec, record.labels, record.ports, record.volumes = fresh.spec, fresh.labels, fresh.ports, fresh.volumes
        record.cpu, record.memory, record.restart_policy = fresh.cpu, fresh.memory, fresh.restart_policy
    record.host = host
    record.ip = capsule.ip or record.ip
    record.revision = capsule.revision
    record.ready, record.total, record.restarts = summary.ready, summary.total, summary.restarts
    record.containers = _in_store_order([
        ContainerRecord(c.id, record.uuid, c.name, c.role, c.member, c.image, c.state, c.restart_count, c.exit_code,
                        _last_termination(c, previous.get(c.id)))
        for c in capsule.containers
    ])


def _last_termination(container: ObservedContainer, before: ContainerRecord | None) -> str:
    """What this observation says of the last run's end, else what was recorded before (a
    running member's engine state no longer says it was OOM-killed)."""
    return termination_reason(container) or (before.last_termination if before is not None else "")


def _in_store_order(containers: list[ContainerRecord]) -> list[ContainerRecord]:
    """As the store reads them back (role descending, then member): a reconciled record
    is then the very row a reader of the store gets."""
    by_member = sorted(containers, key=lambda c: c.member)
    return sorted(by_member, key=lambda c: c.role, reverse=True)


_FRACTION = re.compile(r"(\.\d{6})\d+")


def parse_engine_time(text: str | None) -> float | None:
    """Epoch seconds from the engine's RFC 3339 time (nanoseconds trimmed to micro)."""
    if not text:
        return None
    try:
        return datetime.fromisoformat(_FRACTION.sub(r"\1", text).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None

