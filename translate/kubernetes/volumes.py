"""A pod's volumes → spec volumes.

emptyDir (medium Memory → tmpfs, sizeLimit), hostPath, configMap (its files inlined
from a ConfigMap in the input; one not in the input stays a reference that `create`
resolves), secret (a reference, checked against the input's Secrets when they have
it) and persistentVolumeClaim (a named Docker volume that outlives the capsule).
Every other volume type is rejected by the table in translate/kubernetes/fields.py.
An emptyDir listed in the `capsule.dev/named-volumes` annotation is a capsule named
volume written by `--to pod`; its driver options are the one way a manifest reaches
the local driver, so they get the capsule reader's warning when they reach the host
(translate/host_access.py).

It must not import the kubernetes package.
"""

from __future__ import annotations

from translate.diagnostics import Path
from translate.fields import dns1123_problem, is_dns1123_subdomain
from translate.host_access import warn_host_access
from translate.kubernetes.containers import relative_path_problem
from translate.kubernetes.context import PodContext
from translate.kubernetes.field_reader import KubeFieldReader
from translate.kubernetes.fields import (
    CONFIG_MAP_VOLUME_FIELDS,
    EMPTY_DIR_FIELDS,
    HOST_PATH_FIELDS,
    KEY_TO_PATH_FIELDS,
    PVC_VOLUME_FIELDS,
    SECRET_VOLUME_FIELDS,
    VOLUME_FIELDS,
    VOLUME_SOURCES_APPLIED,
)
from translate.quantity import QuantityError, parse_memory
from translate.spec import (
    ConfigMapVolume,
    EmptyDirVolume,
    HostPathVolume,
    NamedVolume,
    PersistentVolume,
    SecretVolume,
    Volume,
    VolumeSource,
)

NamedVolumes = dict[str, tuple[str, tuple[tuple[str, str], ...], int | None]]

HOST_PATH_TYPES = (
    "", "DirectoryOrCreate", "Directory", "FileOrCreate", "File", "Socket", "CharDevice",
    "BlockDevice",
)
# Kubernetes' rule for object names such as a claim's: a DNS-1123 subdomain.
_MODE = "a file mode (octal, such as 0644)"


def read_volumes(r: KubeFieldReader, spec: Path, ctx: PodContext, named: NamedVolumes,
                 empty_config_maps: frozenset[str]) -> tuple[Volume, ...]:
    volumes = []
    seen: set[str] = set()
    for index in range(len(r.items(spec + ("volumes",)))):
        path = spec + ("volumes", index)
        if not isinstance(r.raw(path), dict):
            r.mapping(path, required=True)
            continue
        body = r.sort(path, VOLUME_FIELDS, where="a volume")
        name = r.text(path + ("name",), required=True, expected="a volume name (a DNS-1123 label)")
        if name is None:
            continue
        if problem := dns1123_problem(name):
            r.error(path + ("name",), problem)
        if name in seen:
            r.error(path + ("name",), f"volume '{name}' is defined twice", "rename one of them")
        seen.add(name)
        sources = [k for k in VOLUME_FIELDS if k != "name" and body.get(k) is not None]
        if len(sources) > 1:
            r.error(path, f"has {len(sources)} sources ({', '.join(sources)}), expected one",
                    of_value=False)
            continue
        # No source at all is an emptyDir: the API server defaults it so.
        kind = sources[0] if sources else "emptyDir"
        if kind not in VOLUME_SOURCES_APPLIED:
            continue  # rejected by sort() above, with its message
        if name in named and kind != "emptyDir":
            r.error(path, f"is named in the capsule.dev/named-volumes annotation but is {kind}, "
                    "not emptyDir", "remove it from the annotation", of_value=False)
        source = _source(r, path, kind, name, ctx, named, empty_config_maps)
        if source is not None:
            volumes.append(Volume(name, source))
    for name in named:
        if name not in seen:
            r.error(spec + ("volumes",), f"the capsule.dev/named-volumes annotation names volume "
                    f"'{name}', which the pod does not have", "remove it from the annotation",
                    of_value=False)
    return tuple(volumes)


def _source(r: KubeFieldReader, path: Path, kind: str, name: str, ctx: PodContext,
            named: NamedVolumes, empty_config_maps: frozenset[str]) -> VolumeSource | None:
    where = path + (kind,)
    if kind == "emptyDir":
        r.sort(where, EMPTY_DIR_FIELDS, where="emptyDir")
        medium = r.text(where + ("medium",), default="") or ""
        if medium not in ("", "Memory"):
            r.error(where + ("medium",), f"found '{medium}', expected Memory or nothing (disk)")
        size = _size(r, where + ("sizeLimit",))
        if name in named:
            driver, options, named_size = named[name]
            volume = NamedVolume(driver, options, named_size)
            warn_host_access(r, path, volume, origin="the capsule.dev/named-volumes annotation")
            return volume
        return EmptyDirVolume(medium if medium == "Memory" else "", size)
    if kind == "hostPath":
        r.sort(where, HOST_PATH_FIELDS, where="hostPath")
        host_path = r.text(where + ("path",), required=True, expected="an absolute path on the host")
        host_type = r.text(where + ("type",), default="") or ""
        if host_type not in HOST_PATH_TYPES:
            r.error(where + ("type",), f"found '{host_type}', expected one of "
                    f"{', '.join(t for t in HOST_PATH_TYPES if t)}")
        if host_path is not None and not host_path.startswith("/"):
            r.error(where + ("path",), f"'{host_path}' is not an absolute path", "start it with /")
            return None
        if host_path is not None and ".." in host_path.split("/"):
            r.error(where + ("path",), f"'{host_path}' contains '..'", "Kubernetes refuses it; write the "
                    "path without '..'")
            return None
        return HostPathVolume(host_path, host_type) if host_path else None
    if kind == "persistentVolumeClaim":
        r.sort(where, PVC_VOLUME_FIELDS, where="persistentVolumeClaim")
        claim = r.text(where + ("claimName",), required=True, expected="a claim name")
        if claim is not None and not is_dns1123_subdomain(claim):
            r.error(where + ("claimName",), f"'{claim}' is not a claim name: use lower-case "
                    "letters, digits, '-' and '.', starting and ending with a letter or digit")
            return None
        return PersistentVolume(claim, r.boolean(where + ("readOnly",))) if claim else None
    if kind == "configMap":
        return _config_map(r, where, name, ctx, empty_config_maps)
    return _secret(r, where, ctx)


def _size(r: KubeFieldReader, path: Path) -> int | None:
    value = r.raw(path)
    if value is None:
        return None
    try:
        return parse_memory(value, kubernetes=True)
    except QuantityError as exc:
        r.error(path, str(exc))
        return None


def _items(r: KubeFieldReader, where: Path) -> list[tuple[str, str, Path]]:
    """(key, path, where) of each entry of `items`."""
    out = []
    for index in range(len(r.items(where + ("items",)))):
        item = where + ("items", index)
        r.sort(item, KEY_TO_PATH_FIELDS, where="an item")
        key = r.text(item + ("key",), required=True, expected="a key")
        file_path = r.text(item + ("path",), required=True, expected="a relative path")
        if file_path is not None and (problem := relative_path_problem(file_path)):
            r.error(item + ("path",), problem)
            continue
        if key is not None and file_path is not None:
            out.append((key, file_path, item))
    return out


def _config_map(r: KubeFieldReader, where: Path, volume: str, ctx: PodContext,
                empty_config_maps: frozenset[str]) -> ConfigMapVolume | None:
    r.sort(where, CONFIG_MAP_VOLUME_FIELDS, where="configMap")
    name = r.object_name(where + ("name",), "ConfigMap")
    optional = r.boolean(where + ("optional",))
    mode = r.integer(where + ("defaultMode",), default=0o644, low=0, high=0o777, expected=_MODE)
    items = _items(r, where)
    if name is None:
        return None
    entries = ctx.config_map(r, where + ("name",), name, optional)
    if entries is None and volume not in empty_config_maps:
        return ConfigMapVolume(name, (), mode, resolved=False,
                               items=tuple((k, p) for k, p, _ in items), optional=optional)
    if entries is None or volume in empty_config_maps:
        return ConfigMapVolume(name, (), mode)
    wanted = [(key, key, where) for key in sorted(entries)] if not items else items
    files = []
    for key, file_path, item in wanted:
        if key not in entries:
            if not optional:  # Kubernetes fails the mount; optional skips the key
                r.error(item + ("key",), f"ConfigMap '{name}' has no key '{key}'",
                        f"its keys are: {', '.join(sorted(entries)) or 'none'}")
            continue
        content = entries[key]
        if isinstance(content, bytes):
            try:
                content = content.decode("utf-8")
            except UnicodeDecodeError:
                r.error(item if items else where, f"key '{key}' of ConfigMap '{name}' holds binary "
                        "data, which capsule cannot inline", "mount it from a hostPath instead",
                        of_value=False)
                continue
        files.append((file_path, content))
    return ConfigMapVolume(name, tuple(files), mode)


def _secret(r: KubeFieldReader, where: Path, ctx: PodContext) -> SecretVolume | None:
    r.sort(where, SECRET_VOLUME_FIELDS, where="secret")
    name = r.object_name(where + ("secretName",), "Secret")
    optional = r.boolean(where + ("optional",))
    mode = r.integer(where + ("defaultMode",), default=0o644, low=0, high=0o777, expected=_MODE)
    items = _items(r, where)
    if name is None or not ctx.check_secret(r, where, name, None, optional, name_field="secretName"):
        return None
    keys = ctx.secret_keys(name)
    if keys is not None and not optional:
        for key, _path, item in items:
            if key not in keys:
                r.error(item + ("key",), f"Secret '{ctx.namespace}/{name}' has no key '{key}'",
                        f"its keys are: {', '.join(keys) or 'none'}")
    return SecretVolume(name, tuple((k, p) for k, p, _ in items), mode, optional)
