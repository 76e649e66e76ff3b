"""Removing what capsules made: undoing a failed build, and deleting a capsule.

A build keeps a `Ledger` of every container and volume it made. When it fails, or
is cancelled, `undo_build` removes those and then sweeps the host for anything else
carrying the build's uuid label: a create the engine carried out after the client
gave up on it (Ctrl-C in the middle of a call) leaves a container that no ledger
knows about, and only the label finds it.

`remove_containers` and `remove_volumes` tolerate objects that are already gone,
so deleting a half-built capsule, or one removed behind our back, just works.
This module decides nothing about which capsule to remove: callers pass ids and names.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable
from dataclasses import dataclass, field
from typing import TypeVar

from runtime.build.model import RemovalSummary
from runtime.concurrently import all_or_nothing
from runtime.engine.client import EngineClient
from runtime.engine.errors import (
    Conflict,
    EngineRequestError,
    EngineServerError,
    NotFound,
)
from runtime.labels import (
    LABEL_MANAGED_BY,
    LABEL_NAME,
    LABEL_ROLE,
    LABEL_SCOPE,
    LABEL_UUID,
    MANAGED_BY,
    ROLE_SANDBOX,
    ROLE_SIDECAR,
    SCOPE_PERSISTENT,
)
from runtime.observe.discovery import labeled_containers

T = TypeVar("T")

# After a cancelled create the engine may still be finishing it; look once more.
_LATE_CREATE_GRACE = 0.3
_REMOVAL_WAIT = 30.0  # seconds to wait for a removal someone else started
_IN_USE_RETRIES = (0.1, 0.2, 0.4, 0.8)
DEFAULT_REMOVE_GRACE = 1.0  # seconds a member gets to stop before it is killed


@dataclass
class Ledger:
    """What one build has made so far, in the order it made it."""

    containers: list[str] = field(default_factory=list)  # ids
    volumes: list[str] = field(default_factory=list)  # names (only those this build created)
    unanswered: int = 0  # create calls cut off before the engine answered (it may still act)

    async def create(self, call: Awaitable[T]) -> T:
        """Await a create call, counting it as unanswered if it was cut off."""
        try:
            return await call
        except (EngineRequestError, EngineServerError):
            raise  # the engine answered: it made nothing
        except BaseException:
            self.unanswered += 1
            raise


async def remove_container(engine: EngineClient, container: str, *, grace: float = 0.0) -> bool:
    """Stop (SIGTERM, SIGKILL after `grace` s) and remove; False when it was already gone."""
    try:
        if grace > 0:
            await engine.stop(container, timeout=max(1, round(grace)))
        await engine.remove(container, force=True)
    except NotFound:
        return False
    except Conflict as exc:
        if "already in progress" not in (exc.engine_message or "").lower():
            raise
        # Another removal (a concurrent delete, or our own call cut off by a
        # cancellation) is under way: wait for it, so its volumes are free after us.
        try:
            await engine.wait(container, condition="removed", timeout=_REMOVAL_WAIT)
        except NotFound:
            pass
    return True


async def remove_containers(engine: EngineClient, containers: Iterable[str], *, grace: float = 0.0) -> list[str]:
    """Remove these containers in parallel; returns those that existed."""
    wanted = list(dict.fromkeys(containers))
    removed = await all_or_nothing(remove_container(engine, c, grace=grace) for c in wanted)
    return [c for c, done in zip(wanted, removed, strict=True) if done]


async def remove_volume(engine: EngineClient, name: str) -> bool:
    """Remove a volume; False when it was already gone.

    A volume stays "in use" for a moment after its last container went (its removal
    may still be finishing), so a Conflict is retried briefly before it is reported.
    """
    for pause in (*_IN_USE_RETRIES, None):
        try:
            await engine.remove_volume(name, force=True)
        except NotFound:
            return False
        except Conflict:
            if pause is None:
                raise
            await asyncio.sleep(pause)
        else:
            return True
    return True  # pragma: no cover - the loop always returns or raises


async def remove_volumes(engine: EngineClient, names: Iterable[str]) -> list[str]:
    wanted = list(dict.fromkeys(names))
    removed = await all_or_nothing(remove_volume(engine, v) for v in wanted)
    return [v for v, done in zip(wanted, removed, strict=True) if done]


async def labeled_volumes(engine: EngineClient, *labels: str) -> list[dict]:
    return await engine.list_volumes(filters={"label": [LABEL_MANAGED_BY + "=" + MANAGED_BY, *labels]})


async def undo_build(engine: EngineClient, ledger: Ledger, *, uuid: str) -> None:
    """Remove everything one build made: its ledger, then whatever carries its uuid.

    The uuid is unique to the build, so the sweep cannot touch another capsule's
    objects, nor a persistent volume an earlier capsule made and this one reused.
    """
    late_create_possible = ledger.unanswered > 0
    await remove_containers(engine, reversed(ledger.containers))
    await _sweep(engine, uuid)
    if late_create_possible:
        await asyncio.sleep(_LATE_CREATE_GRACE)
        await _sweep(engine, uuid)
    await remove_volumes(engine, ledger.volumes)
    volumes = await labeled_volumes(engine, f"{LABEL_UUID}={uuid}")
    await remove_volumes(engine, [v["Name"] for v in volumes])


async def _sweep(engine: EngineClient, uuid: str) -> None:
    leftovers = await labeled_containers(engine, f"{LABEL_UUID}={uuid}")
    await remove_containers(engine, [c["Id"] for c in leftovers])


async def remove_capsule(
    engine: EngineClient, *, host: str, name: str | None = None, uuid: str | None = None,
    grace: float = DEFAULT_REMOVE_GRACE,
) -> RemovalSummary:
    """Remove a capsule's containers and capsule-scoped volumes; persistent volumes stay.

    Here rather than in the builder so that `capsule delete` does not import what
    building needs (container bodies, the spec, volume plans).
    """
    if not name and not uuid:
        raise ValueError("remove_capsule needs the capsule's name or uuid")
    labels = ([f"{LABEL_NAME}={name}"] if name else []) + ([f"{LABEL_UUID}={uuid}"] if uuid else [])
    summary = RemovalSummary(host=host, name=name or "", uuid=uuid or "")
    entries = await labeled_containers(engine, *labels)
    names = {e["Id"]: (e.get("Names") or [e["Id"]])[0].lstrip("/") for e in entries}
    role = {e["Id"]: (e.get("Labels") or {}).get(LABEL_ROLE, "") for e in entries}
    # Members (with init containers and helpers) first, all at once; then the native
    # sidecars, which serve the members to their end; the sandbox last, so nothing is
    # left running without its network.
    others = [cid for cid in names if role[cid] not in (ROLE_SANDBOX, ROLE_SIDECAR)]
    sidecars = [cid for cid in names if role[cid] == ROLE_SIDECAR]
    sandboxes = [cid for cid in names if role[cid] == ROLE_SANDBOX]
    # Which volumes to remove does not depend on the containers: ask while they go.
    volumes_asked = asyncio.ensure_future(labeled_volumes(engine, *labels))
    try:
        removed = await remove_containers(engine, others, grace=grace)
        removed += await remove_containers(engine, sidecars, grace=grace)
        removed += await remove_containers(engine, sandboxes)
    except BaseException:
        volumes_asked.cancel()
        await asyncio.gather(volumes_asked, return_exceptions=True)
        raise
    summary.containers = [names[cid] for cid in removed]
    volumes = await volumes_asked
    persistent = [v["Name"] for v in volumes if (v.get("Labels") or {}).get(LABEL_SCOPE) == SCOPE_PERSISTENT]
    scoped = [v["Name"] for v in volumes if v["Name"] not in persistent]
    summary.volumes = await remove_volumes(engine, scoped)
    summary.kept_volumes = persistent
    return summary
