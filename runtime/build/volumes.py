"""Create a capsule's Docker volumes on its host, and fill configMap and secret volumes.

Follows the plans of `runtime.build.volume_plan`. Capsule-scoped volumes are created fresh
(their names carry the capsule's uuid); a persistentVolumeClaim's volume is reused
when it exists and created otherwise, labelled scope=persistent so that removing a
capsule never removes it.

ConfigMap and Secret contents go in THROUGH THE ENGINE, so this works the same on a
remote host: a tar is built in memory (never on disk: it may hold secret values),
and uploaded with the archive API into a short-lived helper container that is
created (not started) from the sandbox image with the volume mounted, then removed.
No local file is ever bound into a container. With the capsule's fsGroup, the same
upload gives every volume the build makes to that group (the mount point is an entry
of the tar): one helper per volume, never started, no chown run inside.

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
from translate.secrets import Secrets, SecretScope

_MOUNT_POINT = "/capsule-volume"


async def create_volumes(
    engine: EngineClient,
    ctx: BuildContext,
    secrets: Secrets,
    ledger: Ledger,
    on_progress: ProgressCallback | None = None,
) -> None:
    """Create (or, for claims, find) every Docker volume the plans call for, concurrently."""
    secrets = secrets.of(ctx.capsule.namespace)  # as Kubernetes: the capsule's namespace's Secrets
    plans = [p for p in ctx.volumes.values() if p.kind in (PLAN_VOLUME, KIND_PERSISTENT)]
    await all_or_nothing(_ensure_volume(engine, ctx, p, secrets, ledger, on_progress) for p in plans)


async def _ensure_volume(
    engine: EngineClient,
    ctx: BuildContext,
    plan: VolumePlan,
    secrets: SecretScope,
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
    elif ctx.capsule.security_context.fs_group is not None and dict(plan.driver_options).get("type") != "tmpfs":
        # A tmpfs-backed volume takes its group from its mount options (volume_plan).
        await fill_volume(engine, ctx, plan, [], ledger)
        await emit(on_progress, ProgressEvent(
            KIND_VOLUME, plan.name, f"gave {plan.source} to group {ctx.capsule.security_context.fs_group}"))


def build_archive(files: list[tuple[str, bytes, int]], group: int | None = None, root: str = "") -> bytes:
    """A tar of the files (relative paths, parent directories included), in memory only.

    With `group` (the capsule's fsGroup), every entry belongs to that group, as
    Kubernetes sets a volume's ownership: directories group-writable with the
    set-group-id bit (new files inherit the group), files group-readable, and
    group-writable where the owner may write. With `root`, the files are inside a
    directory of that name, which is an entry too (the engine applies no entry "." to
    the folder it extracts into, but does apply the entry of an existing folder).
    """
    buffer = io.BytesIO()
    now = int(time.time())

    def directory_entry(name: str) -> tarfile.TarInfo:
        info = tarfile.TarInfo(name)
        info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, now
        if group is not None:
            info.gid, info.mode = group, 0o2775
        return info

    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        if root:
            tar.addfile(directory_entry(root))
            files = [(f"{root}/{path}", data, mode) for path, data, mode in files]
        directories: set[str] = {root}
        for path, data, mode in files:
            parts = path.split("/")[:-1]
            for depth in range(1, len(parts) + 1):
                directory = "/".join(parts[:depth])
                if directory not in directories:
                    directories.add(directory)
                    tar.addfile(directory_entry(directory))
            info = tarfile.TarInfo(path)
            info.size, info.mode, info.mtime = len(data), mode & 0o7777, now
            if group is not None:
                info.gid = group
                info.mode |= 0o040 | ((info.mode & 0o200) >> 3)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


async def fill_volume(
    engine: EngineClient,
    ctx: BuildContext,
    plan: VolumePlan,
    files: list[tuple[str, bytes, int]],
    ledger: Ledger,
) -> None:
    """Upload `files` into the volume through a helper container, then remove the helper.

    With the capsule's fsGroup set, the upload also gives the volume to that group,
    even with no files.
    """
    group = ctx.capsule.security_context.fs_group
    if not files and group is None:
        return  # an optional Secret that is absent, or an empty ConfigMap: an empty volume
    # With a group, the mount point itself is in the archive, extracted from /.
    root = _MOUNT_POINT.strip("/") if group is not None else ""
    archive = build_archive(files, group, root)
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
    await engine.put_archive(helper, "/" if root else _MOUNT_POINT, archive)
    await remove_container(engine, helper)
    ledger.containers.remove(helper)
