"""Which Docker object backs each volume of a capsule, decided before anything is made.

Every spec volume becomes one `VolumePlan`:
- named volumes, emptyDir (disk), configMap and secret volumes: a capsule-scoped
  Docker volume (`names.volume_name`), removed with the capsule; configMap and secret
  contents are uploaded into it after creation and it is mounted read-only;
- emptyDir with medium Memory: a tmpfs mount in the one container that uses it; when
  several containers share it (the usual sidecar pattern), a local volume backed by
  tmpfs instead, because a per-container tmpfs would silently not be shared;
- hostPath: a bind mount, refused unless the options allow host paths;
  so is a named volume whose local-driver options reach the host's files or devices
  (a bind, a disk, a kernel filesystem: `translate.host_access.host_access`),
  which is a host path under another name;
- persistentVolumeClaim: a Docker volume named after the claim that outlives capsules.

Refusals (host paths not allowed, size on the local driver, a missing Secret) happen
here, before the build touches the host, so a bad spec leaves nothing behind.
Pure functions: no I/O. Secret values are read only in `volume_files`, for upload.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

from runtime.build.model import BuildOptions
from runtime.build.names import volume_name
from runtime.errors import BuildRefused
from translate.host_access import describe_options, host_access
from translate.secrets import Secrets, SecretScope
from translate.spec import (
    Capsule,
    ConfigMapVolume,
    EmptyDirVolume,
    HostPathVolume,
    NamedVolume,
    PersistentVolume,
    SecretVolume,
)

KIND_VOLUME = "volume"  # a capsule-scoped Docker volume the build creates
KIND_PERSISTENT = "persistent"  # a claim's volume: created if absent, never removed
KIND_TMPFS = "tmpfs"  # a tmpfs mount, no Docker volume
KIND_BIND = "bind"  # a host path


@dataclass(frozen=True)
class VolumePlan:
    name: str  # the volume's name in the spec
    kind: str
    source: str = ""  # Docker volume name (volume, persistent) or host path (bind)
    driver: str = "local"
    driver_options: tuple[tuple[str, str], ...] = ()
    tmpfs_size: int | None = None
    read_only: bool = False  # every mount of it is read-only, whatever the mount says
    contents: ConfigMapVolume | SecretVolume | None = None  # uploaded after creation


def plan_volumes(
    capsule: Capsule, secrets: Secrets, *, uuid: str, options: BuildOptions
) -> dict[str, VolumePlan]:
    """The plan for every volume of the capsule, keyed by spec volume name."""
    secrets = secrets.of(capsule.namespace)  # as Kubernetes: the capsule's namespace's Secrets
    plans: dict[str, VolumePlan] = {}
    for volume in capsule.volumes:
        where = f"capsule {capsule.name}, volume {volume.name}"
        source = volume.source
        docker_name = volume_name(capsule.name, volume.name, uuid)
        if isinstance(source, NamedVolume):
            _check_driver_options(source, where, capsule.name, options)
            driver_options = dict(source.driver_options)
            if source.size is not None:
                if source.driver == "local":
                    raise BuildRefused(
                        f"{where}: size is set, but the local volume driver takes no size; remove "
                        f"size, or choose a driver that supports one (it is passed as option 'size')",
                        capsule=capsule.name,
                    )
                driver_options.setdefault("size", str(source.size))
            plan = VolumePlan(
                volume.name, KIND_VOLUME, docker_name, source.driver, tuple(driver_options.items())
            )
        elif isinstance(source, EmptyDirVolume):
            plan = _plan_empty_dir(capsule, volume.name, source, docker_name)
        elif isinstance(source, HostPathVolume):
            if not options.allow_host_path:
                raise BuildRefused(
                    f"{where}: hostPath {source.path} is refused because it exposes the host's files; "
                    f"pass --allow-host-path to allow it, or use a named volume",
                    capsule=capsule.name,
                )
            if not source.path.startswith("/"):
                raise BuildRefused(
                    f"{where}: hostPath {source.path!r} is not an absolute path; write it from /",
                    capsule=capsule.name,
                )
            plan = VolumePlan(volume.name, KIND_BIND, posixpath.normpath(source.path))
        elif isinstance(source, ConfigMapVolume):
            for path, _ in source.files:
                check_relative_path(path, f"{where}: configMap file")
            plan = VolumePlan(volume.name, KIND_VOLUME, docker_name, read_only=True, contents=source)
        elif isinstance(source, SecretVolume):
            _check_secret_volume(source, secrets, where, capsule.name)
            plan = VolumePlan(volume.name, KIND_VOLUME, docker_name, read_only=True, contents=source)
        elif isinstance(source, PersistentVolume):
            plan = VolumePlan(volume.name, KIND_PERSISTENT, source.claim_name, read_only=source.read_only)
        else:  # pragma: no cover - the spec's union is closed
            raise BuildRefused(f"{where}: unsupported volume type", capsule=capsule.name)
        plans[volume.name] = plan
    return plans


def _check_driver_options(source: NamedVolume, where: str, capsule: str, options: BuildOptions) -> None:
    """Driver options that reach the host are a hostPath by another name: the same flag allows them."""
    reached = host_access(source)
    if reached and not options.allow_host_path:
        raise BuildRefused(
            f"{where}: the {source.driver} driver options {describe_options(source.driver_options)} {reached}, "
            f"which is refused because it exposes the host's files or devices; pass --allow-host-path to allow "
            f"it, or leave out driverOptions for a volume the engine manages",
            capsule=capsule,
        )


def _plan_empty_dir(capsule: Capsule, name: str, source: EmptyDirVolume, docker_name: str) -> VolumePlan:
    if source.medium != "Memory":
        # The local driver cannot cap a directory's size; sizeLimit stays advisory.
        return VolumePlan(name, KIND_VOLUME, docker_name)
    mounts = [m for c in capsule.all_containers for m in c.volume_mounts if m.name == name]
    if len(mounts) <= 1 and not any(m.sub_path for m in mounts):
        return VolumePlan(name, KIND_TMPFS, tmpfs_size=source.size_limit)
    options = {"type": "tmpfs", "device": "tmpfs"}
    mount_options = [f"size={source.size_limit}"] if source.size_limit else []
    if capsule.security_context.fs_group is not None:
        # Each use mounts a fresh tmpfs: its group comes from the mount, not from a chown.
        mount_options.append(f"gid={capsule.security_context.fs_group}")
    if mount_options:
        options["o"] = ",".join(mount_options)
    return VolumePlan(name, KIND_VOLUME, docker_name, "local", tuple(options.items()))


def _check_secret_volume(source: SecretVolume, secrets: SecretScope, where: str, capsule: str) -> None:
    if not secrets.has(source.secret):
        if source.optional:
            return
        raise BuildRefused(
            f"{where}: secret '{secrets.namespace}/{source.secret}' is not given; include its Secret document "
            f"in the input or mark the volume optional",
            capsule=capsule,
        )
    available = set(secrets.keys(source.secret))
    for key, path in source.items:
        check_relative_path(path, f"{where}: secret item {key!r} path")
        if key not in available and not source.optional:
            raise BuildRefused(
                f"{where}: secret '{secrets.namespace}/{source.secret}' has no key {key!r}; add it to the Secret or "
                f"remove it from items",
                capsule=capsule,
            )


def check_relative_path(path: str, where: str) -> str:
    """A path inside a volume: relative, no '..'; returns it normalized."""
    parts = [p for p in path.split("/") if p not in ("", ".")]
    if path.startswith("/") or not parts or ".." in parts:
        raise BuildRefused(
            f"{where} {path!r} must be a relative path inside the volume, without '..'; fix the path"
        )
    return "/".join(parts)


def volume_files(plan: VolumePlan, secrets: SecretScope) -> list[tuple[str, bytes, int]]:
    """(relative path, content, mode) of every file to upload into a configMap/secret volume;
    `secrets`: those of the capsule's namespace."""
    source = plan.contents
    if isinstance(source, ConfigMapVolume):
        return [
            (check_relative_path(path, "configMap file"), text.encode("utf-8"), source.default_mode)
            for path, text in source.files
        ]
    if isinstance(source, SecretVolume):
        if not secrets.has(source.secret):
            return []  # optional and absent: an empty volume, as Kubernetes mounts it
        items = source.items or tuple((key, key) for key in secrets.keys(source.secret))
        available = set(secrets.keys(source.secret))
        return [
            (check_relative_path(path, "secret item path"), secrets.value(source.secret, key), source.default_mode)
            for key, path in items
            if key in available
        ]
    return []
