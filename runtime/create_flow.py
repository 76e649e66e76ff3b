"""`capsule create`, step by step: check the name, claim it, build, wait, record.

For each capsule of a translation (all of them concurrently):
1. choose the host with the scheduler (placement.claim_placement) among every
   configured host, or only the `--host` one: the filters (reachable, hostSelector,
   host labels, host ports, CPU and memory) apply either way, and the chosen host
   stays locked for creates from this machine until the sandbox has started;
   nothing fits → CapsuleError with every host's reason (exit 1);
2. the name must be free: no host that answers has a container labelled with it,
   and the store claim (`Store.claim`, one SQLite transaction) must succeed; a store
   row nobody backs any more (its host answered without it) gives way;
3. the row is written as Starting with a lease, so that a concurrent `list` does
   not take the not-yet-built capsule for deleted;
4. the builder builds it (crash-safe: on failure nothing is left on the host); a
   failed build records the row as Failed with the reason and raises CreateFailed;
   losing the race for the sandbox name (the engine's 409) raises CapsuleExists;
5. with `wait`, the capsule is polled (a growing interval, capped at 1 s) until
   its status settles (Running, Finished, Failed) or the timeout passes; then, when
   a member has a readinessProbe or startupProbe, `runtime.probes.readiness.wait_ready`
   waits for them within what is left of the timeout (without probes Running is
   enough: no settle wait, so a plain create is not slower). Not ready in time is
   CreateFailed with the probe's reason; the capsule is left in place, as after
   the timeout of step 5.
`plan_all` is `--dry-run`: the same placement, shown, with nothing created.
Events: created, started, failed, status_changed (see runtime.state.events). The created
event also says why the host was chosen (runtime.placement.record).
Progress: `on_progress(capsule_name, ProgressEvent)`, plain or async.

This module must not print; progress goes to the `on_progress` callback.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
import uuid as uuids
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from runtime import application_flow
from runtime.build.builder import build_capsule
from runtime.build.model import BuildOptions, ProgressEvent, emit
from runtime.build.names import sandbox_name
from runtime.build.teardown import remove_capsule
from runtime.engine.errors import Conflict, EngineError, EngineTimeout, NotFound, short_error
from runtime.errors import (
    BadRequest,
    BuildCancelled,
    BuildFailed,
    BuildRefused,
    CapsuleError,
    CapsuleExists,
    CreateFailed,
    CreateTimedOut,
    NameTaken,
    NotReady,
    SchedulingError,
    StoreError,
    UnknownStrategy,
)
from runtime.hosts.connect import ANSWER_TIMEOUT
from runtime.hosts.settings import HostSettings, sandbox_image_for
from runtime.labels import LABEL_MANAGED_BY, LABEL_NAME, LABEL_UUID, MANAGED_BY
from runtime.observe import leftovers
from runtime.observe.discovery import observe_capsule
from runtime.observe.status import FAILED, RUNNING, SETTLED, STARTING
from runtime.placement.claim import claim_placement
from runtime.placement.host_facts import gather_facts
from runtime.placement.record import created_message, placement_reason
from runtime.placement.scheduler import STRATEGIES, Demand, place
from runtime.probes.readiness import wait_ready
from runtime.state.events import CREATED, DELETED
from runtime.state.events import FAILED as FAILED_EVENT
from runtime.state.reconcile import DELETED_OUTSIDE, update_capsule
from runtime.state.records import CapsuleRecord, record_from_spec

if TYPE_CHECKING:
    from runtime.context import RuntimeContext
    from translate.secrets import SecretStore
    from translate.spec import Capsule
    from translate.translation import Translation

KIND_WAIT = "wait"
DELETED_WHILE_CREATED = "it was deleted while being created"
# How long a create's row is protected from reconcile before its containers exist.
# Pulls can take long; a create whose process dies loses its lease at once anyway.
LEASE_SECONDS = 900.0
_POLL_FIRST, _POLL_GROWTH, _POLL_MAX = 0.1, 1.5, 1.0


@dataclass(frozen=True)
class CreateOptions:
    sandbox_image: str | None = None  # --sandbox-image; None: the host's, env, default
    network: str | None = None
    allow_privileged: bool = False
    allow_host_path: bool = False
    strategy: str = "spread"  # --strategy: spread | binpack (runtime.placement.scheduler.STRATEGIES)
    # Per capsule of an application (runtime.application_flow): its network's other names
    # for it, and the namespace's service variables.
    aliases: tuple[str, ...] = ()
    service_env: tuple[tuple[str, str], ...] = ()
    extra_labels: tuple[tuple[str, str], ...] = ()  # on everything made (tests find theirs so)
    hosts: tuple[str, ...] | None = None  # the hosts it may go to (an application across a swarm)
    port_forwards: tuple[tuple[int, int], ...] = ()


@dataclass
class CreateResult:
    name: str
    host: str
    uuid: str = ""
    status: str = FAILED
    reason: str = ""
    ip: str | None = None
    error: CapsuleError | None = None


class CreateErrors(CapsuleError):
    """Some capsules of the input failed; `results` has every capsule's outcome."""

    def __init__(self, results: list[CreateResult]) -> None:
        failed = [r for r in results if r.error is not None]
        super().__init__("; ".join(str(r.error) for r in failed))
        self.results = results
        self.exit_code = min(r.error.exit_code for r in failed if r.error is not None)

    def mask(self, hide: Callable[[str], str]) -> None:
        super().mask(hide)
        for result in self.results:
            result.reason = hide(result.reason)
            if result.error is not None:
                result.error.mask(hide)


async def create_all(
    ctx: RuntimeContext, translation: Translation, *, host: str | None, wait: bool, timeout: float,
    on_progress: Callable[..., Any] | None, options: CreateOptions | None,
) -> list[CreateResult]:
    """Create every capsule (and Service); raises the error when one failed, CreateErrors when several did.

    The Services of the input, and the namespaces' networks, are made first on the
    application's host (runtime.application_flow); once the capsules are built, every
    Service of their namespaces gets its backends, so names answer when this returns.
    """
    if not translation.capsules and not translation.services:
        raise BadRequest("the input defines no capsules; nothing to create")
    seen: dict[str, str] = {}
    origins = translation.origins or [""] * len(translation.capsules)
    for capsule, origin in zip(translation.capsules, origins, strict=False):
        if capsule.name in seen:
            raise BadRequest(f"capsule {capsule.name} is defined twice in the input ({seen[capsule.name]} "
                             f"and {origin}); rename one")
        seen[capsule.name] = origin
    if host is not None:
        ctx.host(host)  # an unknown host is bad input, before anything happens
    opts = options or CreateOptions()
    _check_strategy(opts.strategy)
    ctx.hide(translation.secrets)  # every reason, message, event and error of this create is masked
    app = await application_flow.prepare(ctx, translation, host=host, network=opts.network,
                                         strategy=opts.strategy, extra_labels=dict(opts.extra_labels))
    async with application_flow.shared_claim(ctx, app, translation, strategy=opts.strategy) as claim:
        outcomes = await asyncio.gather(
            *(create_one(ctx, c, translation.secrets, host=host, wait=wait, timeout=timeout,
                         on_progress=on_progress, claim=claim,
                         options=dataclasses.replace(opts, hosts=app.placement_for(c).get("hosts"),
                                                     **app.build_extras(c)))
              for c in translation.capsules),
            return_exceptions=True,
        )
    if app.namespaces:
        for problem in await application_flow.sync(ctx, app.namespaces, extra_labels=dict(opts.extra_labels)):
            if on_progress is not None:
                await emit(_for_capsule(on_progress, "", ctx.mask), ProgressEvent(KIND_WAIT, "", problem))
    results: list[CreateResult] = [
        CreateResult(f"service/{s.service.name}", s.host, status="Headless" if s.service.headless else
                     s.state.capitalize(), ip=s.ip) for s in app.made]
    for capsule, outcome in zip(translation.capsules, outcomes, strict=True):
        if isinstance(outcome, CapsuleError):
            where = getattr(outcome, "host", "") or host or ""
            results.append(CreateResult(capsule.name, where, reason=str(outcome), error=outcome))
        elif isinstance(outcome, BaseException):
            raise outcome
        else:
            results.append(outcome)
    failed = [r for r in results if r.error is not None]
    if len(translation.capsules) == 1 and not app.made and failed:
        raise failed[0].error  # type: ignore[misc]
    if failed:
        raise CreateErrors(results)
    return results


async def create_one(
    ctx: RuntimeContext, capsule: Capsule, secrets: SecretStore, *, host: str | None, wait: bool,
    timeout: float, on_progress: Callable[..., Any] | None, options: CreateOptions, claim: Any = None,
) -> CreateResult:
    progress = _for_capsule(on_progress, capsule.name, ctx.mask)
    # One deadline for all of it: init containers that never end, and a host cut off
    # while they run, cannot hold a create beyond --timeout (with --no-wait too).
    deadline = time.monotonic() + timeout
    # The name first: an existing capsule would otherwise be reported as its own
    # ports or requests being in the way of the scheduler.
    answered, silent = await _ensure_name_free(ctx, capsule.name)
    async with _chosen_host(ctx, capsule, host, options.strategy, silent, options.hosts, claim) as claim:
        settings = claim.host
        why = _why(claim, capsule, pinned=host is not None)
        record = record_from_spec(capsule.to_dict(), uuid=str(uuids.uuid4()), host=settings.name,
                                  status=STARTING, reason="being created")
        record.take_lease(LEASE_SECONDS)
        record.add_message(f"creating on host {settings.name}; {why}")
        _claim(ctx, record, answered)
        observed = await _build(ctx, capsule, secrets, settings, record, options,
                                _releasing(claim, progress), deadline=deadline, timeout=timeout)
    with _built_but_unrecorded(capsule.name, settings.name):
        ctx.notifier.emit(CREATED, capsule.name, created_message(settings.name, len(observed.containers), why),
                          uuid=record.uuid, host=settings.name)
        try:
            record = _update(ctx, record.uuid, observed)
        except CreateFailed:
            # `capsule delete` removed the row while the build ran: do not leave the capsule behind.
            await _remove_quietly(ctx, settings, record.uuid)
            raise
    if wait:
        try:
            record = await _wait(ctx, settings, record, timeout, deadline, progress)
            if record.status == RUNNING and _has_gating_probes(capsule):
                await _wait_ready(ctx, settings, record, observed, timeout, deadline, progress)
        except (asyncio.CancelledError, KeyboardInterrupt):
            # Built and recorded: an interrupt now stops the waiting, not the capsule (as a
            # timeout does); Ctrl-C during the build is what removes what was made.
            await emit(progress, ProgressEvent(KIND_WAIT, "", f"interrupted while waiting: capsule {capsule.name} "
                                               f"was built and is left on host {settings.name}; capsule delete "
                                               f"{capsule.name} removes it"))
            raise
    if record.status == FAILED:
        raise CreateFailed(capsule.name, settings.name, record.status_reason)
    return CreateResult(record.name, record.host, record.uuid, record.status, record.status_reason, record.ip)


@contextlib.contextmanager
def _built_but_unrecorded(name: str, host: str) -> Iterator[None]:
    """A store that cannot be written (a full disk) after the build: say the capsule runs, and where."""
    try:
        yield
    except StoreError as exc:
        raise StoreError(
            f"capsule {name} was built and runs on host {host}, but this machine's state database could "
            f"not record it ({exc}); capsule list shows it once the database can be written again"
            + ("; free space on the disk that holds it" if exc.disk_full else ""),
            path=exc.path, cause=exc.cause,
        ) from exc


def _why(claim: Any, capsule: Capsule, *, pinned: bool) -> str:
    """The scheduler's decision in words (runtime.placement.record), kept with the created event."""
    return placement_reason(claim.placement, Demand.of(capsule), claim.facts, pinned=pinned)


def _for_capsule(on_progress: Callable[..., Any] | None, name: str,
                 mask: Callable[[str], str]) -> Callable[[ProgressEvent], Any] | None:
    """The builder reports events without the capsule's name; callers get (name, event)."""
    if on_progress is None:
        return None
    return lambda event: on_progress(name, dataclasses.replace(event, text=mask(event.text)))


def _candidates(ctx: RuntimeContext, host: str | None, among: tuple[str, ...] | None = None) -> list[HostSettings]:
    """The hosts a capsule may go to: the --host one, else every configured host (of `among`)."""
    if host is not None:
        return [ctx.host(host)]
    if among is None:
        return list(ctx.hosts)
    return [ctx.host(name) for name in among]  # in that order: the scheduler gives ties to the first


def _check_strategy(strategy: str) -> None:
    if strategy not in STRATEGIES:
        raise UnknownStrategy(strategy, STRATEGIES)


@contextlib.asynccontextmanager
async def _chosen_host(ctx: RuntimeContext, capsule: Capsule, host: str | None, strategy: str,
                       silent: dict[str, BaseException], among: tuple[str, ...] | None = None,
                       shared: Any = None) -> AsyncIterator[Any]:
    """The scheduler's claim on a host (placement.Claim): `.host`, `.release_after_sandbox`.

    Also with --host or a single host: the capsule's hostSelector, host labels, ports
    and requests are checked against that host rather than left for the engine to
    half-honour, and the host lock orders creates racing from this machine. No host
    that fits is a SchedulingError, a lock held too long a HostLockTimeout (both exit 1).
    """
    async def engine_for(settings: HostSettings) -> Any:
        # A host that did not answer the name check is not asked again in this create:
        # it is reported with what kept it from answering, at once, not after another timeout.
        why = silent.get(settings.name)
        if isinstance(why, EngineError):
            raise why
        if why is not None:
            raise EngineTimeout(f"host {settings.name!r} did not answer within {ANSWER_TIMEOUT:g} s",
                                host=settings.name, url=settings.url)
        return await ctx.engine(settings)  # the context's clients: the name check connected them

    if shared is not None:  # the application's claim (runtime.application_flow.SharedClaim)
        yield shared
        return
    async with claim_placement(capsule, _candidates(ctx, host, among), strategy=strategy,
                               reserve=ctx.reserve, engine_for=engine_for) as claim:
        yield claim


def _releasing(claim: Any, progress: Callable[[ProgressEvent], Any] | None) -> Callable[[ProgressEvent], Any]:
    """Progress that also lets the next create onto the host go ahead once the sandbox runs."""
    def on_progress(event: ProgressEvent) -> Any:
        claim.release_after_sandbox(event)
        return progress(event) if progress is not None else None

    return on_progress


async def plan_all(ctx: RuntimeContext, translation: Translation, *, host: str | None,
                   strategy: str) -> list[tuple[str, Any]]:
    """`--dry-run`: each capsule's Placement, or the CapsuleError saying why none fits.

    The hosts are asked once, together; each capsule is placed on those facts as if
    it were the only one (capsules of one input do not count against each other).
    Nothing is created, locked or written.
    """
    if not translation.capsules:
        raise BadRequest("the input defines no capsules; nothing to place")
    _check_strategy(strategy)
    facts = await gather_facts(_candidates(ctx, host))
    plans: list[tuple[str, Any]] = []
    for capsule in translation.capsules:
        try:
            plans.append((capsule.name, place(capsule, facts, strategy=strategy, reserve=ctx.reserve)))
        except SchedulingError as exc:
            plans.append((capsule.name, exc))
    return plans


async def _ensure_name_free(ctx: RuntimeContext, name: str) -> tuple[set[str], dict[str, BaseException]]:
    """Raise CapsuleExists when a host that answers has the name.

    Returns the hosts that answered, and why each of the others did not.

    What a dead create of the name left on a host (runtime.observe.leftovers) is not in the
    way: it is removed first, so a killed create never blocks the next one.
    """
    async def look(settings: HostSettings) -> list[dict]:
        async with ctx.asking(settings) as engine:
            entries = await asyncio.wait_for(engine.list_containers(
                all=True, filters={"label": [f"{LABEL_NAME}={name}", f"{LABEL_MANAGED_BY}={MANAGED_BY}"]}),
                ANSWER_TIMEOUT)
            gone = leftovers.dead(leftovers.group_by_uuid(entries, []), known=ctx.uuid_known, now=time.time())
            for item in gone:
                await remove_capsule(engine, host=settings.name, uuid=item.uuid)
        removed = {item.uuid for item in gone}
        return [e for e in entries if (e.get("Labels") or {}).get(LABEL_UUID) not in removed]

    async def ask(settings: HostSettings) -> tuple[HostSettings, list[dict] | BaseException]:
        try:
            return settings, await look(settings)
        except Exception as exc:  # unreachable, or no answer in time: the store's rows speak for it
            return settings, exc

    answers = await asyncio.gather(*(ask(h) for h in ctx.hosts))
    for settings, entries in answers:
        if isinstance(entries, list) and entries:
            raise CapsuleExists(name, settings.name)
    answered = {settings.name for settings, entries in answers if isinstance(entries, list)}
    return answered, {settings.name: why for settings, why in answers if isinstance(why, BaseException)}


def _claim(ctx: RuntimeContext, record: CapsuleRecord, answered: set[str]) -> None:
    for _ in range(3):
        try:
            ctx.store.claim(record)
            return
        except NameTaken as taken:
            existing = taken.existing
            if existing.lease_active():
                raise CapsuleExists(record.name, existing.host, "being created") from None
            if existing.host not in answered:
                raise CapsuleExists(record.name, existing.host, "its host cannot be reached now") from None
            # The row's host answered without the capsule: removed behind our back.
            ctx.store.delete(existing.uuid)
            ctx.notifier.emit(DELETED, existing.name, DELETED_OUTSIDE, uuid=existing.uuid, host=existing.host)
    raise CapsuleExists(record.name, record.host)


async def _build(ctx: RuntimeContext, capsule: Capsule, secrets: SecretStore, settings: HostSettings,
                 record: CapsuleRecord, options: CreateOptions, on_progress: Callable[..., Any] | None, *,
                 deadline: float, timeout: float):
    build_options = BuildOptions(
        sandbox_image=sandbox_image_for(settings, options.sandbox_image), network=options.network,
        aliases=options.aliases, service_env=options.service_env, extra_labels=dict(options.extra_labels),
        port_forwards=options.port_forwards,
        allow_privileged=options.allow_privileged, allow_host_path=options.allow_host_path,
        deadline=deadline, timeout=timeout,
    )
    try:
        engine = await ctx.engine(settings)
        return await build_capsule(engine, capsule, secrets, host=settings.name, uuid=record.uuid, revision=1,
                                   options=build_options, on_progress=on_progress)
    except BuildRefused as exc:
        # Bad input, refused before anything was made: no Failed row to explain, the error does.
        ctx.store.delete(record.uuid)
        raise BadRequest(exc.reason) from None
    except BuildFailed as exc:
        if not isinstance(exc, BuildCancelled) and await _lost_race(ctx, settings, capsule.name, record.uuid,
                                                                     patient=_name_conflict(exc)):
            ctx.store.delete(record.uuid)
            raise CapsuleExists(capsule.name, settings.name) from None
        if ctx.store.get(record.uuid) is None:
            # `capsule delete` took the row (and what existed) while the build ran: the later
            # request wins; what the build made after that goes too, and no Failed row comes back.
            await _remove_quietly(ctx, settings, record.uuid)
            if isinstance(exc, asyncio.CancelledError):
                raise
            raise CreateFailed(capsule.name, settings.name, DELETED_WHILE_CREATED) from None
        _fail(ctx, record, exc.reason)
        if isinstance(exc, asyncio.CancelledError):
            raise
        raise CreateFailed(capsule.name, settings.name, exc.reason) from None
    except (asyncio.CancelledError, KeyboardInterrupt):
        _fail(ctx, record, f"creating capsule {capsule.name} on host {settings.name} was interrupted")
        raise
    except Exception as exc:  # the host could not be reached at all
        reason = f"host {settings.name} unreachable: {short_error(exc)}"
        _fail(ctx, record, reason)
        raise CreateFailed(capsule.name, settings.name, reason) from None


def _name_conflict(exc: BuildFailed) -> bool:
    """The engine refused a container name (409): the builder keeps the Conflict as the cause."""
    return isinstance(exc.__cause__, Conflict)


async def _lost_race(ctx: RuntimeContext, settings: HostSettings, name: str, uuid: str, *,
                     patient: bool) -> bool:
    """True when another create of this name owns the sandbox on the host now.

    The engine reserves a name before the container can be inspected, so right
    after a 409 the winner's sandbox may not be visible yet: when the failure
    was a name conflict (`patient`), look again for up to two seconds.
    """
    for _ in range(10 if patient else 1):
        try:
            data = await (await ctx.engine(settings)).inspect(sandbox_name(name))
        except NotFound:
            await asyncio.sleep(0.2)
            continue
        except EngineError:
            return False
        labels = (data.get("Config") or {}).get("Labels") or {}
        return labels.get(LABEL_MANAGED_BY) == MANAGED_BY and labels.get(LABEL_UUID) not in (None, uuid)
    return False


async def _remove_quietly(ctx: RuntimeContext, settings: HostSettings, uuid: str) -> None:
    with contextlib.suppress(Exception):
        await remove_capsule(await ctx.engine(settings), host=settings.name, uuid=uuid)


def _fail(ctx: RuntimeContext, record: CapsuleRecord, reason: str) -> None:
    """Record a create that failed and left nothing behind: visible in list, with its reason."""
    reason = ctx.mask(reason)
    record.status, record.status_reason = FAILED, reason
    record.create_failed = True
    record.drop_lease()
    record.add_message(reason, status=FAILED)
    # A store that cannot be written must not hide why the create failed: the row, left with
    # its creator's lease, is shown as an interrupted create once it can be read again.
    with contextlib.suppress(StoreError):
        ctx.store.save(record)
        ctx.notifier.emit(FAILED_EVENT, record.name, reason, uuid=record.uuid, host=record.host)


def _update(ctx: RuntimeContext, uuid: str, observed) -> CapsuleRecord:
    record, events = update_capsule(ctx.store, uuid, observed, release_lease=True, mask=ctx.mask)
    ctx.notifier.publish(events)
    if record is None:
        name = observed.name if observed is not None else uuid
        host = observed.host if observed is not None else ""
        raise CreateFailed(name, host, DELETED_WHILE_CREATED)
    return record


async def _wait(ctx: RuntimeContext, settings: HostSettings, record: CapsuleRecord, timeout: float,
                deadline: float, on_progress: Callable[..., Any] | None) -> CapsuleRecord:
    interval = _POLL_FIRST
    last = (record.status, record.status_reason)
    while record.status not in SETTLED:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise CreateTimedOut(record.name, settings.name, timeout, record.status_reason)
        await asyncio.sleep(min(interval, remaining))
        interval = min(interval * _POLL_GROWTH, _POLL_MAX)
        try:
            engine = await ctx.engine(settings)
            observed = await observe_capsule(engine, settings.name, uuid=record.uuid)
        except Exception as exc:  # the host may come back before the timeout; keep trying

            ctx.forget_engine(settings.name)
            record.status_reason = f"host {settings.name} unreachable: {short_error(exc)}"
            continue
        record = _update(ctx, record.uuid, observed)
        if (record.status, record.status_reason) != last:
            last = (record.status, record.status_reason)
            text = record.status + (f": {record.status_reason}" if record.status_reason else "")
            await emit(on_progress, ProgressEvent(KIND_WAIT, "", text))
    return record


def _has_gating_probes(capsule: Capsule) -> bool:
    """A readiness or startup probe on any member or native sidecar: then Running is not yet ready."""
    probed = (*capsule.containers, *(c for c in capsule.init_containers if c.sidecar))
    return any(c.readiness_probe is not None or c.startup_probe is not None for c in probed)


async def _wait_ready(ctx: RuntimeContext, settings: HostSettings, record: CapsuleRecord, observed,
                      timeout: float, deadline: float, on_progress: Callable[..., Any] | None) -> None:
    """Wait for the members' readiness/startup probes until `deadline`; CreateFailed when not ready.

    settle=0: the probes are the readiness signal here; a capsule with only a
    startupProbe is ready once it passed (create does not add a settle wait).
    """
    await emit(on_progress, ProgressEvent(KIND_WAIT, "", "Running; waiting for the readiness probes"))
    try:
        engine = await ctx.engine(settings)
        await wait_ready(engine, observed, max(deadline - time.monotonic(), 0.0), settle=0)
    except NotReady as exc:
        if ctx.store.get(record.uuid) is None:
            # `capsule delete` took it while create waited: the later request wins.
            await _remove_quietly(ctx, settings, record.uuid)
            raise CreateFailed(record.name, settings.name, DELETED_WHILE_CREATED) from None
        reason = ctx.mask(exc.reason)
        if reason.startswith(f"capsule {record.name} was not ready within "):
            # wait_ready names what was left of the timeout; the user gave --timeout.
            reason = f"not ready within {timeout:g} s: " + reason.split(": ", 1)[-1]
        _note(ctx, record, reason)
        raise CreateFailed(record.name, settings.name, reason + "; it was left in place: capsule describe "
                           + record.name + " shows why, capsule delete " + record.name + " removes it") from None
    except Exception as exc:  # the engine went away while probing: as the status wait, a failure to report
        raise CreateFailed(record.name, settings.name, f"host {settings.name} unreachable while waiting for "
                           f"readiness: {short_error(exc)}; the capsule was left in place") from None
    await emit(on_progress, ProgressEvent(KIND_WAIT, "", "ready"))


def _note(ctx: RuntimeContext, record: CapsuleRecord, text: str) -> None:
    """Keep why create gave up in the capsule's history, for `capsule describe`."""
    with contextlib.suppress(Exception):  # a note must not hide the failure it explains
        current = ctx.store.get(record.uuid)
        if current is not None:
            current.add_message(ctx.mask(text))
            ctx.store.save(current)
