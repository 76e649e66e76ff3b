"""Create a capsule's Docker volumes on its host, and fill configMap and secret volumes.

Follows the plans of `runtime.build.volume_plan`. Capsule-scoped volumes are created fresh
(their names carry the capsule's uuid); a persistentVolumeClaim's volume is reused
when it exists and created otherwise, labelled scope=persistent so that removing a
capsule never removes it.

ConfigMap and Secret contents go in THROUGH THE ENGINE, so this works the same on a
remote host: a tar is built in memory (never on disk: it may hold secret values),
and uploaded with the archive API into a short-lived helper container that is
created (not started) from the sandbox image with the volume mounted, then removed.
No local file is ever bound into a container.

Everything made is recorded in the build's Ledger first, so a failure at any point
can be undone. This module must not create members or the sandbox.
"""

from __future__ import annotations

import io
import tarfile
import time

from runtime.build.container_config import BuildContext, volume_labels
from runtime.build.model import KIND_VOLUME, ProgressCallback, ProgressEvent, emit
from runtime.build.names import helper_name
from runtime.build.teardown import Ledger, remove_container
from runtime.build.volume_plan import KIND_PERSISTENT, VolumePlan, volume_files
from runtime.build.volume_plan import KIND_VOLUME as PLAN_VOLUME
from runtime.concurrently import all_or_nothing
from runtime.engine.client import EngineClient
from runtime.engine.errors import VolumeNotFound
from runtime.labels import (
    LABEL_ROLE,
    LABEL_UUID,
    ROLE_HELPER,
    SCOPE_CAPSULE,
    SCOPE_PERSISTENT,
)
from translate.secrets import SecretStore

_MOUNT_POINT = "/capsule-volume"


async def create_volumes(
    engine: EngineClient,
    ctx: BuildContext,
    secrets: SecretStore,
    ledger: Ledger,
    on_progress: ProgressCallback | None = None,
) -> None:
    """Create (or, for claims, find) every Docker volume the plans call for, concurrently."""
    plans = [p for p in ctx.volumes.values() if p.kind in (PLAN_VOLUME, KIND_PERSISTENT)]
    await all_or_nothing(_ensure_volume(engine, ctx, p, secrets, ledger, on_progress) for p in plans)


async def _ensure_volume(
    engine: EngineClient,
    ctx: BuildContext,
    plan: VolumePlan,
    secrets: SecretStore,
    ledger: Ledger,
    on_progress: ProgressCallback | None,
) -> None:
    if plan.kind == KIND_PERSISTENT:
        try:
            await engine.inspect_volume(plan.source)
            await emit(on_progress, ProgressEvent(KIND_VOLUME, plan.name, f"reusing volume {plan.source}"))
            return
        except VolumeNotFound:
            pass
        scope = SCOPE_PERSISTENT
    else:
        scope = SCOPE_CAPSULE
    made = await ledger.create(
        engine.create_volume(plan.source, plan.driver, dict(plan.driver_options), volume_labels(ctx, plan, scope))
    )
    # The engine hands back an existing volume of that name; only ours go in the ledger
    # (a claim created by a concurrent build between our inspect and create stays theirs).
    if ((made or {}).get("Labels") or {}).get(LABEL_UUID) == ctx.uuid:
        ledger.volumes.append(plan.source)
    await emit(on_progress, ProgressEvent(KIND_VOLUME, plan.name, f"created volume {plan.source}"))
    if plan.contents is not None:
        await fill_volume(engine, ctx, plan, volume_files(plan, secrets), ledger)
        await emit(on_progress, ProgressEvent(KIND_VOLUME, plan.name, f"wrote {plan.name} files into {plan.source}"))


def build_archive(files: list[tuple[str, bytes, int]]) -> bytes:
    """A tar of the files (relative paths, parent directories included), in memory only."""
    buffer = io.BytesIO()
    now = int(time.time())
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        directories: set[str] = set()
        for path, data, mode in files:
            parts = path.split("/")[:-1]
            for depth in range(1, len(parts) + 1):
                directory = "/".join(parts[:depth])
                if directory not in directories:
                    directories.add(directory)
                    info = tarfile.TarInfo(directory)
                    info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, now
                    tar.addfile(info)
            info = tarfile.TarInfo(path)
            info.size, info.mode, info.mtime = len(data), mode & 0o7777, now
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


async def fill_volume(
    engine: EngineClient,
    ctx: BuildContext,
    plan: VolumePlan,
    files: list[tuple[str, bytes, int]],
    ledger: Ledger,
) -> None:
    """Upload `files` into the volume through a helper container, then remove the helper."""
    if not files:
        return  # an optional Secret that is absent, or an empty ConfigMap: an empty volume
    archive = build_archive(files)
    labels = volume_labels(ctx, plan, SCOPE_CAPSULE)
    labels[LABEL_ROLE] = ROLE_HELPER
    body = {
        "Image": ctx.options.sandbox_image,
        "Labels": labels,
        "NetworkDisabled": True,
        "HostConfig": {
            "NetworkMode": "none",
            "Mounts": [{"Type": "volume", "Source": plan.source, "Target": _MOUNT_POINT}],
        },
    }
    helper = await ledger.create(engine.create_container(body, helper_name(ctx.capsule.name, plan.name, ctx.uuid)))
    ledger.containers.append(helper)
    await engine.put_archive(helper, _MOUNT_POINT, archive)
    await remove_container(engine, helper)
    ledger.containers.remove(helper)
