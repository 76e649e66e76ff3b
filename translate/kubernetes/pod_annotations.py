"""The `capsule.dev/` annotations: capsule facts that a Kubernetes Pod has no field for.

`--to pod` (translate/kubernetes/pod_writer.py) writes them and the Kubernetes reader takes them
back, so that capsule → pod → capsule gives the same normalized capsule:

- `capsule.dev/named-volumes`: {volume: {driver, driverOptions, size}} for capsule
  named volumes, which the Pod carries as emptyDir volumes of the same name;
- `capsule.dev/container-labels`: {container: {label: value}}; a Pod's containers have
  no labels;
- `capsule.dev/empty-configmaps`: [volume, ...] configMap volumes whose inlined file
  list is empty (a Pod volume without items would show every key of the ConfigMap);
- `capsule.dev/external-secrets`: [secret, ...] Secrets the capsule refers to that are
  not in the input: `create` resolves them from the stored ones. Without this annotation
  a reference to a Secret that is not in the input is a warning;
- `capsule.dev/workload`: "KIND/NAME", the workload a capsule came from (a Pod has
  ownerReferences for it, but they need the owner's uid);
- `capsule.dev/no-namespace`: "true" for a capsule that belongs to no application: a Pod
  without metadata.namespace would be read into "default".

Values are compact JSON with sorted keys, so output is stable. This module holds the
names and the encoding only; it must not import the kubernetes package.
"""

from __future__ import annotations

import json
from typing import Any

PREFIX = "capsule.dev/"
NAMED_VOLUMES = PREFIX + "named-volumes"
CONTAINER_LABELS = PREFIX + "container-labels"
EMPTY_CONFIGMAPS = PREFIX + "empty-configmaps"
EXTERNAL_SECRETS = PREFIX + "external-secrets"
WORKLOAD = PREFIX + "workload"
NO_NAMESPACE = PREFIX + "no-namespace"

RESERVED: frozenset[str] = frozenset(
    {NAMED_VOLUMES, CONTAINER_LABELS, EMPTY_CONFIGMAPS, EXTERNAL_SECRETS, WORKLOAD, NO_NAMESPACE}
)


class AnnotationError(ValueError):
    """A reserved annotation whose value is not what capsule writes there."""


def encode(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def decode_names(key: str, text: str) -> list[str]:
    """A JSON list of names."""
    value = _load(key, text)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise AnnotationError(f"'{key}' must be a JSON list of names")
    return value


def decode_string_maps(key: str, text: str) -> dict[str, dict[str, str]]:
    """A JSON object of name -> {string: string}."""
    value = _load(key, text)
    if not isinstance(value, dict) or not all(
        isinstance(inner, dict) and all(isinstance(v, str) for v in inner.values())
        for inner in value.values()
    ):
        raise AnnotationError(f"'{key}' must be a JSON object of name -> {{label: value}}")
    return value


def decode_named_volumes(text: str) -> dict[str, tuple[str, tuple[tuple[str, str], ...], int | None]]:
    """volume -> (driver, driverOptions, size)."""
    value = _load(NAMED_VOLUMES, text)
    shape = f"'{NAMED_VOLUMES}' must be a JSON object of volume -> {{driver, driverOptions, size}}"
    if not isinstance(value, dict):
        raise AnnotationError(shape)
    out = {}
    for name, body in value.items():
        if not isinstance(body, dict) or set(body) - {"driver", "driverOptions", "size"}:
            raise AnnotationError(shape)
        driver = body.get("driver", "local")
        options = body.get("driverOptions", {})
        size = body.get("size")
        if (
            not isinstance(driver, str)
            or not isinstance(options, dict)
            or not all(isinstance(v, str) for v in options.values())
            or not (size is None or (isinstance(size, int) and not isinstance(size, bool) and size >= 0))
        ):
            raise AnnotationError(shape)
        out[name] = (driver, tuple(options.items()), size)
    return out


def _load(key: str, text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        raise AnnotationError(f"'{key}' is not valid JSON") from None
