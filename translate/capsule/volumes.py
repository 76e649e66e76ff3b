"""Read `spec.volumes` of a capsule document into `Volume` specs.

A volume has a name and one source. The capsule format's own source is a Docker
volume made for the capsule (`driver`, `driverOptions`, `size`); normalized output
also writes the Kubernetes-derived sources (`emptyDir`, `hostPath`, `configMap` with
its files inlined, or without `files` a reference to a ConfigMap that was not in the
input, which create resolves; `secret` by reference, `persistentVolumeClaim`), and this module
reads those back so that normalized output translates to an equal spec.

`volumeType` and `image` come from the original capsule format; a Docker engine has
no such notions, so they are reported as ignored, never silently dropped.
"""

from __future__ import annotations

from translate.capsule import fields as cf
from translate.diagnostics import Path, format_path
from translate.fields import FieldReader, type_name
from translate.host_access import warn_host_access
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

NAMED_FIELDS = ("driver", "driverOptions", "size", "volumeType", "image")
SOURCE_FIELDS = ("emptyDir", "hostPath", "configMap", "secret", "persistentVolumeClaim")
HOST_PATH_TYPES = (
    "", "DirectoryOrCreate", "Directory", "FileOrCreate", "File", "Socket",
    "CharDevice", "BlockDevice",
)
MAX_MODE = 0o777


def read_volumes(r: FieldReader, path: Path) -> tuple[tuple[Volume, ...], list[str]]:
    """The volumes, and every name written (valid or not, so mounts can still be checked)."""
    volumes: list[Volume] = []
    names: list[str] = []
    seen: dict[str, Path] = {}
    for index, item in enumerate(r.items(path, expected="a list of volumes")):
        item_path = path + (index,)
        if not cf.item_mapping(r, item_path, item, "a volume with at least a name"):
            continue
        cf.known_fields(r, item_path, ("name",) + NAMED_FIELDS + SOURCE_FIELDS,
                        where="a volume", ignored=("volumeType", "image"))
        raw_name = r.raw(item_path + ("name",))
        if isinstance(raw_name, str):
            names.append(raw_name)
        name = cf.dns_name(r, item_path + ("name",), required=True)
        if name is not None and name in seen:
            r.error(item_path + ("name",),
                    f"found '{name}', which is already the name of {format_path(seen[name])}",
                    "give each volume its own name")
            name = None
        if name is not None:
            seen[name] = item_path
        source = _source(r, item_path, item)
        if name is not None and source is not None:
            volumes.append(Volume(name=name, source=source))
    return tuple(volumes), names


def _source(r: FieldReader, path: Path, item: dict) -> VolumeSource | None:
    sources = [key for key in SOURCE_FIELDS if key in item]
    named = [key for key in NAMED_FIELDS if key in item]
    if len(sources) + (1 if named else 0) > 1:
        first, second = (sources + named)[:2]
        r.error(path + (second,), f"cannot be combined with '{first}' in one volume",
                "a volume has one source: driver/driverOptions/size, or one of "
                + ", ".join(SOURCE_FIELDS))
        return None
    if not sources:
        return _named(r, path)
    kind = sources[0]
    body_path = path + (kind,)
    if item[kind] is not None and not isinstance(item[kind], dict):
        r.mapping(body_path)  # records the wrong type
        return None
    return _READERS[kind](r, body_path)


def _named(r: FieldReader, path: Path) -> NamedVolume:
    for field, why, hint in (
        ("volumeType", "the Docker engine has no volume types",
         "choose the storage with driver and driverOptions"),
        ("image", "Docker volumes are not made from images",
         "copy data into the volume with an init container"),
    ):
        if r.has(path + (field,)):
            r.ignored(path + (field,), why, hint)
    driver = r.string(path + ("driver",), default="local")
    if not driver:
        r.error(path + ("driver",), "is empty: expected a volume driver name such as local")
        driver = "local"
    volume = NamedVolume(
        driver=driver,
        driver_options=_driver_options(r, path + ("driverOptions",)),
        size=cf.memory(r, path + ("size",)),
    )
    warn_host_access(r, path + ("driverOptions",), volume)
    return volume


def _driver_options(r: FieldReader, path: Path) -> tuple[tuple[str, str], ...]:
    """A mapping, or (as the original design wrote it) a string of `key=value` pairs.

    In the string, pairs are separated by commas, and a part without `=` continues the
    value before it (`type=nfs,o=addr=10.0.0.1,rw` is type: nfs and o: addr=10.0.0.1,rw,
    as `docker volume create --opt` would be given them). Text with no `=` at all is a
    placeholder (`none`, `-`): ignored with a warning, not a reason to refuse the file.
    """
    raw = r.raw(path)
    if not isinstance(raw, str):
        return r.string_map(path)
    text = raw.strip()
    if not text:
        return ()
    if "=" not in text:
        r.ignored(path, f"'{raw}' has no key=value pairs", "write driverOptions: {type: nfs, o: 'addr=...'} "
                  "or 'type=nfs,device=:/export'")
        return ()
    options: list[list[str]] = []
    for part in text.split(","):
        key, sep, value = part.partition("=")
        if sep and key.strip():
            options.append([key.strip(), value])
        elif options:
            options[-1][1] += "," + part
        else:
            r.error(path, f"found '{raw}': it starts with '{part}', which is not key=value",
                    "write key=value pairs separated by commas, or a mapping")
            return ()
    return tuple((key, value) for key, value in options)


def _empty_dir(r: FieldReader, path: Path) -> EmptyDirVolume:
    cf.known_fields(r, path, ("medium", "sizeLimit"), where="emptyDir")
    medium = cf.choice(r, path + ("medium",), ("", "Memory"), default="",
                       expected="'' (disk) or Memory")
    return EmptyDirVolume(medium=medium, size_limit=cf.memory(r, path + ("sizeLimit",)))


def _host_path(r: FieldReader, path: Path) -> HostPathVolume | None:
    cf.known_fields(r, path, ("path", "type"), where="hostPath")
    host_path = cf.absolute_path(r, path + ("path",), required=True)
    kind = cf.choice(r, path + ("type",), HOST_PATH_TYPES, default="",
                     expected="one of " + ", ".join(HOST_PATH_TYPES[1:]))
    return HostPathVolume(path=host_path, type=kind) if host_path else None


def _config_map(r: FieldReader, path: Path) -> ConfigMapVolume | None:
    cf.known_fields(r, path, ("name", "files", "defaultMode", "items", "optional"), where="configMap")
    name = cf.object_name(r, path + ("name",), "the ConfigMap's name")
    mode = _mode(r, path + ("defaultMode",))
    if not r.has(path + ("files",)):
        # A ConfigMap that was not in the input: create resolves it (translate/references.py).
        items = _items(r, path, "ConfigMap")
        optional = r.boolean(path + ("optional",))
        return ConfigMapVolume(config_map=name, default_mode=mode, resolved=False, items=items,
                               optional=optional) if name else None
    for extra in ("items", "optional"):
        if r.has(path + (extra,)):
            r.error(path + (extra,), "is given together with files", "files are the ConfigMap's "
                    "contents already; remove it", of_value=False)
    files = []
    for key, text in r.mapping(path + ("files",)).items():
        file_path = path + ("files", key)
        if cf.relative_path_key(r, file_path) is None:  # the file's name; its text may be anything
            continue
        if not isinstance(text, str):
            r.error(file_path, f"found {type_name(text)}, expected the file's text")
            continue
        files.append((key, text))
    return ConfigMapVolume(config_map=name, files=tuple(files), default_mode=mode) if name else None


def _items(r: FieldReader, path: Path, noun: str) -> tuple[tuple[str, str], ...]:
    items = []
    for index, item in enumerate(r.items(path + ("items",))):
        item_path = path + ("items", index)
        if not cf.item_mapping(r, item_path, item, "an item with key and path"):
            continue
        cf.known_fields(r, item_path, ("key", "path"), where=f"a {noun.lower()} item")
        key = r.string(item_path + ("key",), required=True, expected=f"a key of the {noun}")
        target = cf.relative_path(r, item_path + ("path",), required=True)
        if key is not None and target is not None:
            items.append((key, target))
    return tuple(items)


def _secret(r: FieldReader, path: Path) -> SecretVolume | None:
    cf.known_fields(r, path, ("secretName", "items", "defaultMode", "optional"), where="secret")
    name = cf.object_name(r, path + ("secretName",), "the Secret's name")
    items = _items(r, path, "Secret")
    mode = _mode(r, path + ("defaultMode",))
    optional = r.boolean(path + ("optional",))
    if name is None:
        return None
    return SecretVolume(secret=name, items=items, default_mode=mode, optional=optional)


def _claim(r: FieldReader, path: Path) -> PersistentVolume | None:
    cf.known_fields(r, path, ("claimName", "readOnly"), where="persistentVolumeClaim")
    claim = r.string(path + ("claimName",), required=True, expected="the claim's name")
    read_only = r.boolean(path + ("readOnly",))
    return PersistentVolume(claim_name=claim, read_only=read_only) if claim else None


def _mode(r: FieldReader, path: Path) -> int:
    """File mode bits; YAML reads 0644 as octal already, and 420 is the same mode."""
    mode = r.integer(path, default=None, expected="file mode bits such as 0644")
    if mode is None:
        return 0o644
    if not 0 <= mode <= MAX_MODE:
        r.error(path, f"found {mode}, expected file mode bits from 0 to 0777",
                "write the mode in octal with a leading 0, such as 0644")
        return 0o644
    return mode


_READERS = {
    "emptyDir": _empty_dir,
    "hostPath": _host_path,
    "configMap": _config_map,
    "secret": _secret,
    "persistentVolumeClaim": _claim,
}
