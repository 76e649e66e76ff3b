"""`capsule events [NAME] [-f]`: the event log, and, when following, what the engines report.

Without follow: the recorded events, oldest first. With follow: then every new
event as it is recorded (by this process or any other using the same store, polled
a few times a second), while a watcher per host reads the engine's event stream and
turns the capsule containers' `die` and `start` into `member_exited` and
`member_restarted` events; a removed sandbox (`destroy`) makes that host reconcile,
so a capsule deleted behind the tool's back shows up as `deleted` at once.

The containers table is the shared memory between this follower and reconcile:
each notes a container's state and restart count there. An event is recorded under
the name of its change (runtime.state.changes), so that the follower, reconcile and
the watcher record each exit or restart once, also when one of them wrote a stale
view over the other's. A capsule whose create, update or delete is under way (its
row is leased) is left to that process.
This module must not print.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from runtime.hosts.settings import HostSettings
from runtime.labels import (
    LABEL_MANAGED_BY,
    LABEL_MEMBER,
    LABEL_NAME,
    LABEL_ROLE,
    LABEL_UUID,
    MANAGED_BY,
)
from runtime.state import changes
from runtime.state.events import MEMBER_EXITED, MEMBER_RESTARTED
from runtime.state.records import EventRecord

if TYPE_CHECKING:
    from runtime.context import RuntimeContext

POLL_SECONDS = 0.25
_RETRY_FIRST, _RETRY_MAX = 1.0, 30.0


async def stream_events(
    ctx: RuntimeContext, name: str | None, *, follow: bool, limit: int | None = None
) -> AsyncIterator[EventRecord]:
    store = ctx.store
    history = store.events(name, limit=limit)
    for event in history:
        yield event
    if not follow:
        return
    # Events of other capsules may be newer, but only this name's are shown.
    last = history[-1].id if history else (0 if name else store.last_event_id())
    watchers = [asyncio.ensure_future(watch_host(ctx, host)) for host in ctx.hosts]
    try:
        while True:
            for event in store.events(name, after_id=last):
                last = event.id
                yield event
            await asyncio.sleep(POLL_SECONDS)
    finally:
        for watcher in watchers:
            watcher.cancel()
        await asyncio.gather(*watchers, return_exceptions=True)


async def watch_host(ctx: RuntimeContext, host: HostSettings) -> None:
    """Follow one host's engine events until cancelled, reconnecting with backoff."""
    since = time.time()
    retry = _RETRY_FIRST
    filters = {
        "type": ["container"],
        "event": ["die", "start", "destroy"],
        "label": [f"{LABEL_MANAGED_BY}={MANAGED_BY}"],
    }
    while True:
        try:
            engine = await ctx.engine(host)
            async for raw in engine.events(since=since, filters=filters):
                since = max(since, float(raw.get("time") or since))
                await record_engine_event(ctx, host.name, engine, raw)
                retry = _RETRY_FIRST
        except asyncio.CancelledError:
            raise
        except Exception:  # the host went away; the log still shows what others record
            ctx.forget_engine(host.name)
        await asyncio.sleep(retry)
        retry = min(retry * 2, _RETRY_MAX)


async def record_engine_event(ctx: RuntimeContext, host: str, engine: Any, raw: dict[str, Any]) -> None:
    """Turn one engine container event into capsule events where it means something."""
    actor = raw.get("Actor") or {}
    attributes = actor.get("Attributes") or {}
    container_id = actor.get("ID") or raw.get("id") or ""
    action = raw.get("Action") or raw.get("status") or ""
    role = attributes.get(LABEL_ROLE, "")
    capsule, uuid = attributes.get(LABEL_NAME, ""), attributes.get(LABEL_UUID, "")
    member = attributes.get(LABEL_MEMBER, "")
    store, notifier = ctx.store, ctx.notifier

    if action == "destroy":
        if role == "sandbox":
            with contextlib.suppress(Exception):
                await ctx.refresh([ctx.host(host)])
        return
    if role != "member" or not container_id:
        return
    owner = store.get(uuid) if uuid else None
    if owner is not None and owner.lease_active():
        # A create, update or delete is under way: its process records what happens, in
        # order (`created` before a member's exit; nothing for the containers a delete stops).
        return
    if action == "die":
        code = _int(attributes.get("exitCode"))
        before = store.note_container(container_id, state="exited", exit_code=code)
        if before is not None and before.state == "exited":
            return  # reconcile noted it already
        state = await _state(engine, container_id)
        # The exit is named by the run that ended (runtime.state.changes): whoever saw it first recorded it.
        restarts = before.restarts if before is not None else 0
        change = changes.member_exit(container_id, state.get("FinishedAt"), restarts)
        text = f"member {member} exited" + ("" if code is None else f" with code {code}")
        notifier.emit(MEMBER_EXITED, capsule, text, uuid=uuid, host=host, change=change)
    elif action == "start":
        known = store.container(container_id)
        if known is None:
            return  # a container being built: the create records created/started
        try:
            data = await engine.inspect(container_id)
        except Exception:
            data = {"RestartCount": known.restarts}
        restarts = int(data.get("RestartCount") or 0)
        before = store.note_container(container_id, state="running", restarts=restarts)
        if before is None:
            return
        if restarts > before.restarts:
            notifier.emit(MEMBER_RESTARTED, capsule, f"member {member} restarted ({restarts} restarts)",
                          uuid=uuid, host=host, change=changes.member_restart(container_id, restarts))
        elif before.state not in ("running", "restarting"):
            # "restarting": reconcile saw the engine's restart (its count already up) and recorded it.
            started = (data.get("State") or {}).get("StartedAt")
            notifier.emit(MEMBER_RESTARTED, capsule, f"member {member} started again", uuid=uuid, host=host,
                          change=changes.member_start(container_id, started))


async def _state(engine: Any, container_id: str) -> dict[str, Any]:
    """The container's State, {} when it is gone already (a removed container is seen by nobody else)."""
    try:
        return (await engine.inspect(container_id)).get("State") or {}
    except Exception:
        return {}


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
