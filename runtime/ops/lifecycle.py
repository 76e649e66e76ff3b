"""Start, stop, restart, pause and unpause a whole capsule, in the order namespaces need.

- stop: members (all at once), then the native sidecars, then the sandbox, so no
  member runs without a network or its sidecars;
- start: the sandbox first, then the init containers again if the sandbox was down
  (as a pod re-runs its init containers; a native sidecar among them is restarted
  and not waited for), then the members;
- pause: members, then the sandbox; unpause: the reverse.

The pitfall these functions exist for: a member joined with `container:<sandbox>`
keeps the namespace it joined; when the sandbox restarts it gets a new one, and the
member is left with only `lo`. So `start_capsule` restarts every running member
that started before the sandbox's latest start (`stale_members`), and
`restart_members` is the building block the self-healing watcher uses.

Engine failures stay EngineErrors (they name the host); an init container that
fails on start raises OperationFailed. Works on `ObservedCapsule`s from list
entries or inspects alike: where timing matters it inspects afresh.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from runtime.concurrently import all_or_nothing
from runtime.engine.client import EngineClient
from runtime.engine.errors import Conflict, NotFound
from runtime.errors import CapsuleNotRunning, OperationFailed
from runtime.observe.observed import ObservedCapsule, ObservedContainer

DEFAULT_STOP_GRACE = 10  # seconds, as `docker stop`


async def stop_capsule(engine: EngineClient, capsule: ObservedCapsule, *, grace: int = DEFAULT_STOP_GRACE) -> None:
    await _each(capsule.members, lambda c: engine.stop(c.id, timeout=grace))
    await _each(capsule.sidecars, lambda c: engine.stop(c.id, timeout=grace))
    if capsule.sandbox is not None:
        await _each([capsule.sandbox], lambda c: engine.stop(c.id, timeout=grace))


async def start_capsule(engine: EngineClient, capsule: ObservedCapsule, *, grace: int = DEFAULT_STOP_GRACE) -> None:
    """Start the sandbox if needed, re-run init containers after a sandbox start, then the members."""
    sandbox = _require_sandbox(capsule)
    info = await engine.inspect(sandbox.id)
    state = info.get("State") or {}
    if state.get("Paused"):
        await engine.unpause(sandbox.id)
    restarted = not state.get("Running")
    if restarted:
        await engine.start(sandbox.id)
        for init in _in_spec_order(capsule):
            if init in capsule.sidecars:
                await engine.restart(init.id, timeout=grace)  # started (again) in its place, not waited for
            else:
                await _rerun_init(engine, capsule, init)
    await _bring_up_members(engine, capsule, grace=grace, rejoin_all=restarted)


async def restart_capsule(engine: EngineClient, capsule: ObservedCapsule, *, grace: int = DEFAULT_STOP_GRACE) -> None:
    await stop_capsule(engine, capsule, grace=grace)
    await start_capsule(engine, capsule, grace=grace)


async def restart_members(
    engine: EngineClient,
    capsule: ObservedCapsule,
    names: Iterable[str] | None = None,
    *,
    grace: int = DEFAULT_STOP_GRACE,
) -> list[str]:
    """Restart these members (all when None) at once; they re-join the sandbox's namespace.

    A sidecar or the port forwarder named among them is restarted too: they lose the
    network with the sandbox just as members do.
    """
    wanted = set(names) if names is not None else None
    chosen = [m for m in (capsule.joined if wanted is not None else capsule.members)
              if wanted is None or m.member in wanted]
    await _each(chosen, lambda c: engine.restart(c.id, timeout=grace))
    return [m.member for m in chosen]


async def stale_members(engine: EngineClient, capsule: ObservedCapsule) -> list[ObservedContainer]:
    """Running members (sidecars and the port forwarder too) that joined an older namespace of the
    sandbox (started before it last did)."""
    sandbox_started = _started_at(await engine.inspect(_require_sandbox(capsule).id))
    joined = capsule.joined
    infos = await _inspect_all(engine, joined)
    return [m for m, info in zip(joined, infos, strict=True) if _is_stale(info, sandbox_started)]


def _is_stale(info: dict[str, Any] | None, sandbox_started: datetime | None) -> bool:
    if info is None or not (info.get("State") or {}).get("Running") or sandbox_started is None:
        return False
    started = _started_at(info)
    return started is not None and started < sandbox_started


async def pause_capsule(engine: EngineClient, capsule: ObservedCapsule) -> None:
    """Pause what runs; CapsuleNotRunning when no member does (the engine refused every one: a stopped
    capsule), so that nothing is reported paused that was not, and its sandbox is left alone."""
    refused: list[ObservedContainer] = []
    members = capsule.members + capsule.sidecars
    await _each(members, lambda c: engine.pause(c.id), not_running_ok=True, refused=refused)
    if members and len(refused) == len(members):
        raise CapsuleNotRunning(capsule.name, capsule.host)
    if capsule.sandbox is not None:
        await _each([capsule.sandbox], lambda c: engine.pause(c.id), not_running_ok=True)


async def unpause_capsule(engine: EngineClient, capsule: ObservedCapsule) -> None:
    if capsule.sandbox is not None:
        await _each([capsule.sandbox], lambda c: engine.unpause(c.id), not_running_ok=True)
    await _each(capsule.members + capsule.sidecars, lambda c: engine.unpause(c.id), not_running_ok=True)


async def _bring_up_members(engine: EngineClient, capsule: ObservedCapsule, *, grace: int, rejoin_all: bool) -> None:
    sandbox_started = _started_at(await engine.inspect(_require_sandbox(capsule).id))
    infos = await _inspect_all(engine, capsule.members)

    async def bring_up(member: ObservedContainer, info: dict[str, Any] | None) -> None:
        if info is None:
            return  # removed behind our back; the status will say so
        state = info.get("State") or {}
        if state.get("Paused"):
            await engine.unpause(member.id)
        if state.get("Running") and (rejoin_all or _is_stale(info, sandbox_started)):
            await engine.restart(member.id, timeout=grace)
        elif not state.get("Running"):
            await engine.start(member.id)

    await all_or_nothing(bring_up(m, i) for m, i in zip(capsule.members, infos, strict=True))


async def _rerun_init(engine: EngineClient, capsule: ObservedCapsule, init: ObservedContainer) -> None:
    try:
        await engine.start(init.id)
        code = await engine.wait(init.id)
    except NotFound:
        return  # an init container removed behind our back cannot be re-run; go on
    if code != 0:
        raise OperationFailed(
            f"init container {init.member} of capsule {capsule.name} exited with code {code} on host "
            f"{capsule.host}, so its members were not started; see capsule logs {capsule.name} -c {init.member}"
        )


def _in_spec_order(capsule: ObservedCapsule) -> list[ObservedContainer]:
    body = capsule.spec.get("spec", {}) if isinstance(capsule.spec, dict) else {}
    order = [c.get("name") for c in body.get("initContainers") or [] if isinstance(c, dict)]
    rank = {name: i for i, name in enumerate(order)}
    return sorted(capsule.inits + capsule.sidecars, key=lambda c: (rank.get(c.member, len(rank)), c.member))


def _require_sandbox(capsule: ObservedCapsule) -> ObservedContainer:
    if capsule.sandbox is None:
        raise OperationFailed(
            f"capsule {capsule.name} on host {capsule.host} has no sandbox any more (removed outside capsule); "
            f"its members cannot get a network: delete the capsule and create it again"
        )
    return capsule.sandbox


async def _each(
    containers: list[ObservedContainer],
    call: Callable[[ObservedContainer], Awaitable[None]],
    *,
    not_running_ok: bool = False,
    refused: list[ObservedContainer] | None = None,
) -> None:
    """`call` on every container at once; `refused` collects those the engine said were not running."""
    async def one(container: ObservedContainer) -> None:
        try:
            await call(container)
        except NotFound:
            if refused is not None:
                refused.append(container)  # gone: it does not run either
        except Conflict as exc:
            # "is not running" / "is not paused" / "is already paused": the state is as wanted.
            message = (exc.engine_message or "").lower()
            if not ((not_running_ok and "not" in message) or "already" in message):
                raise
            if refused is not None and "not running" in message:
                refused.append(container)

    await all_or_nothing(one(c) for c in containers)


async def _inspect_all(engine: EngineClient, containers: list[ObservedContainer]) -> list[dict[str, Any] | None]:
    async def one(container: ObservedContainer) -> dict[str, Any] | None:
        try:
            return await engine.inspect(container.id)
        except NotFound:
            return None

    return await all_or_nothing(one(c) for c in containers)


def _started_at(info: dict[str, Any]) -> datetime | None:
    """The engine's StartedAt (RFC 3339 with nanoseconds), to the microsecond."""
    text = (info.get("State") or {}).get("StartedAt") or ""
    if not text or text.startswith("0001-"):
        return None
    stamp, _, fraction = text.rstrip("Z").partition(".")
    digits = "".join(ch for ch in fraction if ch.isdigit())[:6].ljust(6, "0")
    try:
        return datetime.fromisoformat(f"{stamp}.{digits}").replace(tzinfo=UTC)
    except ValueError:
        return None
