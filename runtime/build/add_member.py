"""Add one container to a capsule that already runs (`capsule run --capsule NAME IMAGE`).

The new container joins the sandbox's namespaces like any member, gets role
`member` and the capsule's labels, and its `capsule.spec` label is the capsule's
label unchanged (the spec stays what was created; the added member is known by its
role and member labels, so `capsule delete` and the status see it).

Like a build, all or nothing: if the container cannot be created or started, it
is removed again and BuildFailed says why in one line. Volume mounts need the
capsule's spec (`spec=`), which the caller can read back from the spec label.
"""

from __future__ import annotations

import asyncio
import dataclasses

from runtime.build.builder import create_tracked, engine_step, shielded
from runtime.build.container_config import BuildContext, member_body
from runtime.build.images import ensure_image
from runtime.build.model import KIND_MEMBER, BuildOptions, ProgressCallback, ProgressEvent, emit
from runtime.build.names import container_name
from runtime.build.pod_facts import read_pod_facts
from runtime.build.teardown import Ledger, remove_containers
from runtime.build.users import check_non_root, with_image_users
from runtime.build.volume_plan import plan_volumes
from runtime.engine.client import EngineClient, parse_api_version
from runtime.errors import BuildFailed, OperationFailed
from runtime.labels import LABEL_SPEC
from runtime.observe.observed import ObservedCapsule, ObservedContainer
from translate.secrets import Secrets, SecretStore
from translate.spec import Capsule, Container, PodSecurityContext


async def add_container(
    engine: EngineClient,
    capsule: ObservedCapsule,
    container: Container,
    *,
    options: BuildOptions,
    secrets: Secrets | None = None,
    spec: Capsule | None = None,
    on_progress: ProgressCallback | None = None,
) -> ObservedContainer:
    """Create and start `container` in the running capsule; returns it as the engine sees it."""
    sandbox = capsule.sandbox
    if sandbox is None:
        raise OperationFailed(
            f"capsule {capsule.name} on host {capsule.host} has no sandbox; delete and create it again"
        )
    state = (await engine.inspect(sandbox.id)).get("State") or {}
    if not state.get("Running") or state.get("Paused"):
        raise OperationFailed(
            f"the sandbox of capsule {capsule.name} on host {capsule.host} is not running; "
            f"start the capsule first (capsule start {capsule.name})"
        )
    if any(c.member == container.name for c in capsule.containers):
        raise OperationFailed(
            f"capsule {capsule.name} already has a container named {container.name}; choose another name"
        )
    secrets = secrets if secrets is not None else SecretStore()
    ctx = _context(engine, capsule, container, sandbox, options, secrets, spec)
    facts = await read_pod_facts(engine, dataclasses.replace(ctx.capsule, containers=(container,),
                                                             init_containers=()),
                                 sandbox.id, host=capsule.host, uuid=capsule.uuid, network=options.network)
    member_body(ctx, container, sandbox_id=sandbox.id, secrets=secrets, facts=facts)  # refusals before the pull
    await ensure_image(engine, container.image, container.image_pull_policy, host=capsule.host, on_progress=on_progress)
    await check_non_root(engine, ctx, [container])
    ctx = await with_image_users(engine, ctx, [container])
    body = member_body(ctx, container, sandbox_id=sandbox.id, secrets=secrets, facts=facts)
    # The new container carries the capsule's uuid, so a failure is undone by the
    # ledger only: a sweep by uuid would take the whole capsule with it.
    ledger = Ledger()
    try:
        with engine_step(ctx, f"creating member {container.name}", image=container.image):
            member_id = await create_tracked(engine, body, container_name(capsule.name, container.name), ledger)
        with engine_step(ctx, f"starting member {container.name}"):
            await engine.start(member_id)
            info = await engine.inspect(member_id)
    except BaseException as exc:
        await shielded(_forget(engine, ledger, container_name(capsule.name, container.name)))
        if isinstance(exc, BuildFailed):
            raise
        raise BuildFailed(f"adding {container.name} to capsule {capsule.name} failed: {exc}") from exc
    await emit(on_progress, ProgressEvent(KIND_MEMBER, container.name, "started"))
    return ObservedContainer.from_inspect(info)


def _context(
    engine: EngineClient,
    capsule: ObservedCapsule,
    container: Container,
    sandbox: ObservedContainer,
    options: BuildOptions,
    secrets: Secrets,
    spec: Capsule | None,
) -> BuildContext:
    body = capsule.spec.get("spec", {}) if isinstance(capsule.spec, dict) else {}
    metadata = capsule.spec.get("metadata", {}) if isinstance(capsule.spec, dict) else {}
    if spec is None:
        security = body.get("securityContext") or {}
        spec = Capsule(
            name=capsule.name,
            containers=(container,),
            namespace=metadata.get("namespace"),
            labels=tuple((metadata.get("labels") or {}).items()),
            restart_policy=body.get("restartPolicy") or "Always",
            share_process_namespace=bool(body.get("shareProcessNamespace")),
            # The groups every member gets (GroupAdd); the sysctls are the sandbox's, set already.
            security_context=PodSecurityContext(
                supplemental_groups=tuple(security.get("supplementalGroups") or ()),
                fs_group=security.get("fsGroup"),
            ),
        )
    if container.volume_mounts and not spec.volumes:
        raise OperationFailed(
            f"{container.name} mounts volumes, but the capsule {capsule.name} has none to offer; "
            f"leave out the mounts"
        )
    volumes = plan_volumes(spec, secrets, uuid=capsule.uuid, options=options) if spec.volumes else {}
    return BuildContext(
        capsule=spec,
        uuid=capsule.uuid,
        revision=capsule.revision,
        host=capsule.host,
        options=options,
        volumes=volumes,
        api_version=parse_api_version(engine.api_version),
        spec_label=sandbox.labels.get(LABEL_SPEC, ""),
    )


async def _forget(engine: EngineClient, ledger: Ledger, name: str) -> None:
    if ledger.unanswered:
        # A create cut off mid-call may still land; the name is ours (checked free above).
        await asyncio.sleep(0.3)
        ledger.containers.append(name)
    await remove_containers(engine, ledger.containers)
