"""Build a capsule on one Docker host, crash-safe, and remove it again.

A build goes: check every create body (refusals before anything exists) → images (and
the users they run as, for runAsNonRoot) → volumes → sandbox created and started →
init containers, in order, each run to completion (a native sidecar among them is
started and left running, restart policy always) → members created and started in
parallel. Every container and volume is recorded in a Ledger as soon as the engine
names it; on ANY failure, including cancellation and Ctrl-C, the build removes all of
it (the removal is shielded from further cancellation) and raises BuildFailed whose
`reason` is the first cause in one line ("port 8080 is already allocated on host local").

Removing a capsule again (members and init containers, then the native sidecars, the
sandbox, then the capsule-scoped volumes, never persistent ones) is
runtime/build/teardown.py's.
This module is engine-level: it keeps no store and sends no events of its own.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
import time
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from typing import Any

from runtime.build.container_config import (
    FORWARDER,
    SANDBOX_PLACEHOLDER_ID,
    BuildContext,
    forwarder_body,
    member_body,
    sandbox_body,
)
from runtime.build.images import ensure_images, wanted_images
from runtime.build.model import (
    KIND_CLEANUP,
    KIND_INIT,
    KIND_MEMBER,
    KIND_READY,
    KIND_SANDBOX,
    BuildOptions,
    ProgressCallback,
    ProgressEvent,
    emit,
)
from runtime.build.names import container_name, sandbox_name
from runtime.build.pod_facts import PodFacts, read_pod_facts
from runtime.build.sidecar_startup import await_sidecar_started

# Re-exported: removing a capsule is part of the builder's API, but lives in teardown.
from runtime.build.teardown import Ledger, undo_build
from runtime.build.users import check_non_root, with_image_users
from runtime.build.volume_plan import plan_volumes
from runtime.build.volumes import create_volumes
from runtime.concurrently import all_or_nothing
from runtime.engine.client import EngineClient, parse_api_version
from runtime.engine.errors import Conflict, EngineError, EngineTimeout, ImageNotFound, NetworkNotFound
from runtime.errors import BuildCancelled, BuildFailed, BuildRefused
from runtime.labels import ROLE_INIT, ROLE_MEMBER, ROLE_SIDECAR
from runtime.observe.discovery import observe_capsule
from runtime.observe.observed import ObservedCapsule
from translate.references import has_references
from translate.secrets import SecretMask, Secrets
from translate.spec import Capsule, Container

# How long a failed build's clean-up may take. Each engine call has its own timeouts, but a host
# cut off mid-build can cost a read timeout (30 s) per call on a kept-alive connection: without a
# bound for the whole, a create could run past its --timeout by minutes. What is left is found
# by its labels (`capsule delete`, `capsule gc`), and the failure says so.
UNDO_WITHIN = 15.0

_PORT_TAKEN = re.compile(r"(?::(\d+) failed: port is already allocated|:(\d+): bind: address already in use)")


def prepare(
    engine: EngineClient, capsule: Capsule, secrets: Secrets, *, host: str, uuid: str, revision: int,
    options: BuildOptions,
) -> BuildContext:
    """The build's context, with every create body checked once: refusals come before any change."""
    if has_references(capsule):
        # create resolves them before it builds (translate/references.py); a spec that gets here
        # with one came by another way, and an empty value would be silently wrong.
        raise BuildRefused(f"capsule {capsule.name} refers to a ConfigMap that was not resolved; create it "
                           "with capsule create -f, giving the ConfigMap with it or creating it before",
                           capsule=capsule.name)
    plans = plan_volumes(capsule, secrets, uuid=uuid, options=options)
    ctx = BuildContext(capsule, uuid, revision, host, options, plans, parse_api_version(engine.api_version))
    sandbox_body(ctx)
    for container in capsule.init_containers:
        member_body(ctx, container, sandbox_id=SANDBOX_PLACEHOLDER_ID, secrets=secrets, role=init_role(container))
    for container in capsule.containers:
        member_body(ctx, container, sandbox_id=SANDBOX_PLACEHOLDER_ID, secrets=secrets)
    return ctx


async def build_capsule(
    engine: EngineClient, capsule: Capsule, secrets: Secrets, *, host: str, uuid: str, revision: int,
    options: BuildOptions, on_progress: ProgressCallback | None = None,
) -> ObservedCapsule:
    """Create and start the capsule on the host; all of it, or (after a clean-up) none of it.

    What it reports (progress, a failure's reason) never holds a value of `secrets`:
    a reason can quote an init container's last output, which can print one.
    """
    mask = SecretMask()
    mask.hide(secrets)  # every namespace's values
    on_progress = _masked_progress(on_progress, mask)
    try:
        ctx = prepare(engine, capsule, secrets, host=host, uuid=uuid, revision=revision, options=options)
    except BuildFailed as failure:
        failure.capsule, failure.host = capsule.name, host
        failure.mask(mask)
        raise
    ledger = Ledger()
    try:
        with engine_step(ctx, "getting images"):
            images = wanted_images(capsule, options.sandbox_image)
            if options.port_forwards:
                images.setdefault(options.forwarder_image, "IfNotPresent")
            await ensure_images(
                engine, images, host=host,
                timeout=options.pull_timeout, on_progress=on_progress,
            )
            await check_non_root(engine, ctx, capsule.all_containers)
            ctx = await with_image_users(engine, ctx, capsule.all_containers)
        with engine_step(ctx, "creating volumes"):
            await create_volumes(engine, ctx, secrets, ledger, on_progress)
        sandbox_id = await _start_sandbox(engine, ctx, ledger, on_progress)
        with engine_step(ctx, "reading the sandbox's address"):
            facts = await read_pod_facts(engine, capsule, sandbox_id, host=host, uuid=uuid,
                                         network=options.network)
        for container in capsule.init_containers:
            if container.sidecar:
                sidecar_id = await _start_member(engine, ctx, container, sandbox_id, secrets, ledger, on_progress,
                                                 facts)
                await await_sidecar_started(engine, ctx, container, sidecar_id)
            else:
                await run_init(engine, ctx, container, sandbox_id, secrets, ledger, on_progress, facts)
        await all_or_nothing(
            _start_member(engine, ctx, c, sandbox_id, secrets, ledger, on_progress, facts)
            for c in capsule.containers
        )
        if options.port_forwards:
            await _start_forwarder(engine, ctx, sandbox_id, ledger)
        with engine_step(ctx, "reading back the capsule"):
            built = await observe_capsule(engine, host, uuid=uuid)
        if built is None:
            raise BuildFailed(f"capsule {capsule.name} vanished from host {host} right after it was built")
    except GeneratorExit:
        raise  # the event loop is closing this coroutine; nothing can be awaited any more
    except BaseException as exc:
        failure = as_build_failed(exc, ctx)
        failure.mask(mask)
        if await shielded(_undo(engine, ctx, ledger, failure, on_progress)) and not isinstance(
            failure, asyncio.CancelledError
        ):
            # Cancelled while cleaning up after another failure: keep the reason, but
            # let asyncio see the cancellation.
            failure = BuildCancelled(failure.reason, capsule=capsule.name, host=host)
        if failure is exc:
            raise
        raise failure from exc
    await emit(on_progress, ProgressEvent(KIND_READY, "", f"capsule {capsule.name} is up on host {host}"))
    return built


async def _start_sandbox(
    engine: EngineClient, ctx: BuildContext, ledger: Ledger, on_progress: ProgressCallback | None
) -> str:
    name = sandbox_name(ctx.capsule.name)
    with engine_step(ctx, "creating the sandbox", image=ctx.options.sandbox_image):
        sandbox_id = await create_tracked(engine, sandbox_body(ctx), name, ledger)
    with engine_step(ctx, "starting the sandbox"):
        await engine.start(sandbox_id)
    await emit(on_progress, ProgressEvent(KIND_SANDBOX, "", f"started sandbox {name} ({sandbox_id[:12]})"))
    return sandbox_id


async def _start_forwarder(engine: EngineClient, ctx: BuildContext, sandbox_id: str, ledger: Ledger) -> None:
    with engine_step(ctx, "starting the port forwarder", image=ctx.options.forwarder_image):
        forwarder = await create_tracked(engine, forwarder_body(ctx, sandbox_id=sandbox_id),
                                         container_name(ctx.capsule.name, FORWARDER), ledger)
        await engine.start(forwarder)


def init_role(container: Container) -> str:
    """An init container's role label: a native sidecar keeps running, unlike an init container."""
    return ROLE_SIDECAR if container.sidecar else ROLE_INIT


def _masked_progress(on_progress: ProgressCallback | None, mask: SecretMask) -> ProgressCallback | None:
    if on_progress is None or not mask:
        return on_progress
    return lambda event: on_progress(dataclasses.replace(event, text=mask(event.text)))


async def run_init(
    engine: EngineClient, ctx: BuildContext, container: Container, sandbox_id: str, secrets: Secrets,
    ledger: Ledger, on_progress: ProgressCallback | None = None, facts: PodFacts | None = None,
) -> None:
    """Run one init container to completion; retried with bounded backoff unless the policy is Never."""
    body = member_body(ctx, container, sandbox_id=sandbox_id, secrets=secrets, role=ROLE_INIT, facts=facts)
    with engine_step(ctx, f"creating init container {container.name}", image=container.image):
        init_id = await create_tracked(engine, body, container_name(ctx.capsule.name, container.name), ledger)
    options = ctx.options
    attempts = 1 if ctx.capsule.restart_policy == "Never" else max(1, options.init_attempts)
    delay = options.init_backoff
    for attempt in range(1, attempts + 1):
        with engine_step(ctx, f"running init container {container.name}"):
            await engine.start(init_id)
            code = await _wait_init(engine, ctx, container, init_id)
        if code == 0:
            await emit(on_progress, ProgressEvent(KIND_INIT, container.name, "completed"))
            return
        if attempt < attempts:
            await emit(on_progress, ProgressEvent(
                KIND_INIT, container.name, f"exited with code {code}; retrying in {delay:g} s"))
            await asyncio.sleep(min(delay, max(_time_left(ctx) or delay, 0)))
            delay = min(delay * 2, options.init_backoff_cap)
    tries = f" on each of {attempts} attempts" if attempts > 1 else ""
    last = await _last_output(engine, init_id)
    raise BuildFailed(
        f"init container {container.name} of capsule {ctx.capsule.name} exited with code {code}{tries} "
        f"on host {ctx.host}" + (f" (last output: {last})" if last else "")
    )


async def _wait_init(engine: EngineClient, ctx: BuildContext, container: Container, init_id: str) -> int:
    """The init container's exit code, waited for until the caller's deadline at most."""
    left = _time_left(ctx)
    try:
        if left is not None and left <= 0:
            raise EngineTimeout("no time left")
        return await engine.wait(init_id, timeout=left)
    except EngineTimeout:
        if left is None:
            raise
    last = await _last_output(engine, init_id)
    within = f"within {ctx.options.timeout:g} s " if ctx.options.timeout is not None else ""
    raise BuildFailed(f"init container {container.name} of capsule {ctx.capsule.name} did not finish {within}"
                      f"on host {ctx.host}" + (f" (last output: {last})" if last else "")
                      + "; give it longer with --timeout", capsule=ctx.capsule.name, host=ctx.host)


def _time_left(ctx: BuildContext) -> float | None:
    deadline = ctx.options.deadline
    return None if deadline is None else deadline - time.monotonic()


async def _start_member(
    engine: EngineClient, ctx: BuildContext, container: Container, sandbox_id: str, secrets: Secrets,
    ledger: Ledger, on_progress: ProgressCallback | None, facts: PodFacts | None = None,
) -> str:
    """Create and start a member, or a native sidecar (started in its place among the init containers); its id."""
    what = "sidecar" if container.sidecar else "member"
    role = ROLE_SIDECAR if container.sidecar else ROLE_MEMBER
    body = member_body(ctx, container, sandbox_id=sandbox_id, secrets=secrets, role=role, facts=facts)
    with engine_step(ctx, f"creating {what} {container.name}", image=container.image):
        member_id = await create_tracked(engine, body, container_name(ctx.capsule.name, container.name), ledger)
    with engine_step(ctx, f"starting {what} {container.name}"):
        await engine.start(member_id)
    done = "sidecar started" if container.sidecar else "started"
    await emit(on_progress, ProgressEvent(KIND_MEMBER, container.name, done))
    return member_id


async def create_tracked(engine: EngineClient, body: dict, name: str, ledger: Ledger) -> str:
    container_id = await ledger.create(engine.create_container(body, name))
    ledger.containers.append(container_id)
    return container_id


# The last output only adds to a failure's reason: after the deadline, on a host that may be
# gone, it must not cost a read timeout (30 s) of its own.
LAST_OUTPUT_WITHIN = 3.0


async def _last_output(engine: EngineClient, container: str) -> str:
    async def read() -> list[str]:
        return [line.text async for line in engine.logs(container, tail=5)]

    try:
        lines = await asyncio.wait_for(read(), LAST_OUTPUT_WITHIN)
    except (EngineError, TimeoutError):
        return ""
    text = next((line.strip() for line in reversed(lines) if line.strip()), "")
    return text if len(text) <= 160 else text[:157] + "..."


@contextmanager
def engine_step(ctx: BuildContext, what: str, *, image: str | None = None) -> Iterator[None]:
    """Turn an engine failure inside the block into BuildFailed with a one-line reason."""
    try:
        yield
    except EngineError as exc:
        raise BuildFailed(engine_reason(exc, what, ctx, image=image), capsule=ctx.capsule.name, host=ctx.host) from exc


def engine_reason(exc: EngineError, what: str, ctx: BuildContext, *, image: str | None = None) -> str:
    host = ctx.host
    detail = " ".join((exc.engine_message or str(exc)).split())
    port = _PORT_TAKEN.search(detail)
    if port:
        return f"port {port.group(1) or port.group(2)} is already allocated on host {host}"
    if isinstance(exc, ImageNotFound) and image:
        return f"image {image} not found on host {host}"
    if isinstance(exc, NetworkNotFound) and ctx.options.network:
        return (f"network {ctx.options.network} not found on host {host}; create it there, "
                f"or choose another with --network")
    if isinstance(exc, Conflict) and what == "creating the sandbox":
        return (f"a container named {ctx.capsule.name} already exists on host {host}; delete that capsule "
                f"first (capsule delete {ctx.capsule.name}) or choose another name")
    if "could not select device driver" in detail:  # a GPU asked of an engine without NVIDIA's toolkit
        return (f"{what} of capsule {ctx.capsule.name} on host {host} failed: {detail}; nvidia.com/gpu needs the "
                f"NVIDIA Container Toolkit on the host: install it there, or take the nvidia.com/gpu.count "
                f"label off host {host} (capsule hosts add)")
    return f"{what} of capsule {ctx.capsule.name} on host {host} failed: {detail}"


def as_build_failed(exc: BaseException, ctx: BuildContext) -> BuildFailed:
    """The BuildFailed to raise for whatever stopped the build (the first cause)."""
    if isinstance(exc, BuildFailed):
        failure = exc
    elif isinstance(exc, (asyncio.CancelledError, KeyboardInterrupt)):
        failure = BuildCancelled(f"creating capsule {ctx.capsule.name} on host {ctx.host} was interrupted")
    elif isinstance(exc, EngineError):
        failure = BuildFailed(engine_reason(exc, "building", ctx))
    else:
        failure = BuildFailed(
            f"creating capsule {ctx.capsule.name} on host {ctx.host} failed: {type(exc).__name__}: {exc}"
        )
    failure.capsule, failure.host = ctx.capsule.name, ctx.host
    return failure


async def _undo(
    engine: EngineClient, ctx: BuildContext, ledger: Ledger, failure: BuildFailed, on_progress: ProgressCallback | None
) -> None:
    await emit(on_progress, ProgressEvent(KIND_CLEANUP, "", f"removing what was made: {failure.reason}"))
    try:
        await asyncio.wait_for(undo_build(engine, ledger, uuid=ctx.uuid), UNDO_WITHIN)
    except Exception as exc:  # noqa: BLE001 - the build's own failure must still be raised
        # Say so in the reason: the leftovers are findable by label and removable later.
        why = (f"host {ctx.host} did not finish it within {UNDO_WITHIN:.0f} s"
               if isinstance(exc, TimeoutError) else ' '.join(str(exc).split()))
        outcome = f"removing what was made failed too ({why}); capsule delete {ctx.capsule.name} removes the rest"
    else:
        outcome = "what it had made was removed" if isinstance(failure, asyncio.CancelledError) else ""
    if outcome:
        failure.reason = failure.message = f"{failure.reason}; {outcome}"
        failure.args = (failure.reason,)


async def shielded(coroutine: Coroutine[Any, Any, None]) -> bool:
    """Run the clean-up to its end even if the caller is cancelled meanwhile; True if it was."""
    task = asyncio.ensure_future(coroutine)
    cancelled = False
    while not task.done():
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            cancelled = True
    task.result()
    return cancelled
