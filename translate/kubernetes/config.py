"""ConfigMap and Secret documents: the data that workloads in the same input refer to.

The Kubernetes reader calls `read_config_object` for every ConfigMap and Secret of the
input before it reads any workload, so a reference resolves whichever file or
document order the user chose. ConfigMap
text is inlined into specs later (it is not secret). Secret values go into a
`SecretStore` and nowhere else: messages about a Secret name its keys, never a value,
and the value-type errors here are worded so that they cannot quote one.

It must not import the kubernetes package.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from typing import Any

from translate.diagnostics import Path
from translate.fields import type_name
from translate.kubernetes.field_reader import KubeFieldReader
from translate.kubernetes.fields import CONFIG_MAP_FIELDS, DATA_METADATA_FIELDS, SECRET_FIELDS
from translate.kubernetes.namespaces import read_namespace
from translate.references import ConfigObject
from translate.secrets import SecretStore

# Kubernetes' rule for ConfigMap and Secret keys.
_KEY = re.compile(r"[-._a-zA-Z0-9]+")


@dataclass
class ConfigData:
    """ConfigMaps (key -> text, or bytes for binary data) and the Secrets' keys, by (namespace, name):
    as in Kubernetes, a pod refers to those of its own namespace."""

    config_maps: dict[tuple[str, str], dict[str, str | bytes]] = field(default_factory=dict)
    secret_keys: dict[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)
    secrets: SecretStore = field(default_factory=SecretStore)
    # (kind, namespace, name) -> "file:line", to name the first definition of a duplicate
    defined_at: dict[tuple[str, str, str], str] = field(default_factory=dict)
    # Every object as read, with its namespace: what `create` stores for later inputs.
    objects: list[ConfigObject] = field(default_factory=list)
    # Warn about references to objects not in the input (translate); create resolves them instead.
    warn_missing: bool = True


def key_problem(key: str) -> str | None:
    """Why `key` cannot be a ConfigMap or Secret key, or None."""
    if not _KEY.fullmatch(key) or len(key) > 253:
        return "keys may hold only letters, digits, '-', '_' and '.' (at most 253)"
    if key in (".", "..") or key.startswith(".."):
        return "a key may not be '.' or start with '..'"
    return None


def read_config_object(r: KubeFieldReader, base: Path, kind: str, data: ConfigData) -> None:
    """Read one ConfigMap or Secret at `base` into `data`."""
    table = CONFIG_MAP_FIELDS if kind == "ConfigMap" else SECRET_FIELDS
    r.sort(base, table, where=f"a {kind}")
    r.sort(base + ("metadata",), DATA_METADATA_FIELDS, where="metadata")
    name = r.text(base + ("metadata", "name"), required=True, expected=f"the {kind}'s name")
    entries = _config_map_entries(r, base) if kind == "ConfigMap" else _secret_entries(r, base)
    namespace = read_namespace(r, base)
    if name is None or namespace is None:
        return
    position = r.doc.position(base + ("metadata", "name"))
    where = f"{r.doc.file}:{position[0]}"
    first = data.defined_at.get((kind, namespace, name))
    if first is not None:
        r.error(base + ("metadata", "name"), f"{kind} '{namespace}/{name}' is defined twice (first at {first})",
                "rename or remove one of them")
        return
    data.defined_at[(kind, namespace, name)] = where
    data.objects.append(ConfigObject(kind, namespace, name, entries))  # type: ignore[arg-type]
    if kind == "ConfigMap":
        data.config_maps[(namespace, name)] = entries  # type: ignore[assignment]
    else:
        data.secrets.add(name, entries, namespace)  # type: ignore[arg-type]
        data.secret_keys[(namespace, name)] = tuple(sorted(entries))


def _config_map_entries(r: KubeFieldReader, base: Path) -> dict[str, str | bytes]:
    entries: dict[str, str | bytes] = {}
    for key, value in r.mapping(base + ("data",)).items():
        path = base + ("data", key)
        if _check_key(r, path, key) and _check_text(r, path, value, show=True):
            entries[key] = value
    for key, value in r.mapping(base + ("binaryData",)).items():
        path = base + ("binaryData", key)
        if not _check_key(r, path, key):
            continue
        if key in entries:
            r.error(path, f"key '{key}' is in both data and binaryData", "keep it in one of them",
                    of_value=False)
            continue
        decoded = _base64(r, path, value, show=True)
        if decoded is not None:
            entries[key] = decoded
    return entries


def _secret_entries(r: KubeFieldReader, base: Path) -> dict[str, bytes]:
    entries: dict[str, bytes] = {}
    for key, value in r.mapping(base + ("data",)).items():
        path = base + ("data", key)
        if _check_key(r, path, key):
            decoded = _base64(r, path, value, show=False)
            if decoded is not None:
                entries[key] = decoded
    # stringData is written over data, as the API server does.
    for key, value in r.mapping(base + ("stringData",)).items():
        path = base + ("stringData", key)
        if _check_key(r, path, key) and _check_text(r, path, value, show=False):
            entries[key] = value.encode("utf-8")
    return entries


def _check_key(r: KubeFieldReader, path: Path, key: str) -> bool:
    problem = key_problem(key)
    if problem:
        r.error(path, f"'{key}' is not a valid key: {problem}", "rename the key", of_value=False)
        return False
    return True


def _check_text(r: KubeFieldReader, path: Path, value: Any, *, show: bool) -> bool:
    if isinstance(value, str):
        return True
    # A Secret's value is never quoted back, not even a number: it may be a PIN.
    found = type_name(value) if show else _kind_of(value)
    r.error(path, f"found {found}, expected a string", "quote the value")
    return False


def _base64(r: KubeFieldReader, path: Path, value: Any, *, show: bool) -> bytes | None:
    if not _check_text(r, path, value, show=show):
        return None
    try:
        return base64.b64decode("".join(value.split()), validate=True)
    except (binascii.Error, ValueError):
        hint = "base64-encode the value" + ("" if show else ", or put the plain text under stringData")
        r.error(path, "is not valid base64", hint)
        return None


def _kind_of(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    return "a list" if isinstance(value, list) else "a mapping"
