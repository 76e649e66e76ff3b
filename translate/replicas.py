"""The names of a workload's replicas, as Kubernetes makes them, but stable.

A Deployment's pods are `NAME-<pod-template-hash>-<suffix>`, a ReplicaSet's or a
ReplicationController's `NAME-<suffix>`, a StatefulSet's `NAME-0` ... `NAME-(N-1)`. In a
cluster the suffix is random; here it is derived with hashlib from the workload and the
replica's number, so that `capsule translate` prints the same names every time and
`capsule scale` (the runtime) can name replica k of a workload that already runs the
way the translation would have: `replica_name(kind, name, template_hash, k)`, with the
hash read from a running replica's `pod-template-hash` label (Deployments) or taken
from `template_hash` of its normalized template.

Both hashes use Kubernetes' alphabet for generated names (no vowels, no 0, 1, 3: no
words, nothing to misread). Names stay within 63 characters by cutting the workload's
part, as Kubernetes' name generator does.

Pure: the standard library only; no reader, no runtime.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
HASH_LENGTH = 10  # a pod-template-hash is at most 10 characters
SUFFIX_LENGTH = 5  # Kubernetes' random suffix of generated names
MAX_NAME_LENGTH = 63  # a capsule name is a DNS-1123 label
# Kubernetes' maxGeneratedNameLength: the base of a generated name is cut to this.
_MAX_BASE_LENGTH = MAX_NAME_LENGTH - SUFFIX_LENGTH
# Bounds on what one input may make, so that a hostile `replicas` is an error, not a hang
# or a huge output: a replica is a capsule with containers on a host.
MAX_REPLICAS = 256  # of one workload
MAX_REPLICAS_PER_FILE = 4096  # of all the workloads of one file together

TEMPLATE_HASH_LABEL = "pod-template-hash"
STATEFULSET_POD_NAME_LABEL = "statefulset.kubernetes.io/pod-name"

# Kinds whose replicas get a generated suffix; a StatefulSet numbers its replicas instead.
HASHED_KINDS: tuple[str, ...] = ("Deployment", "ReplicaSet", "ReplicationController")
REPLICATED_KINDS: tuple[str, ...] = HASHED_KINDS + ("StatefulSet",)


def _encode(digest: bytes, length: int) -> str:
    number = int.from_bytes(digest, "big")
    out = []
    for _ in range(length):
        number, rest = divmod(number, len(ALPHABET))
        out.append(ALPHABET[rest])
    return "".join(out)


def _canonical(value: Any) -> Any:
    """`value` as JSON can hold it with a fixed key order (YAML keys may be numbers)."""
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return repr(value)


def template_hash(namespace: str, workload_name: str, template: Any) -> str:
    """The 10-character pod-template-hash of a workload's normalized pod template.

    The namespace and the workload's name are part of it, so two workloads with one
    template (in two namespaces, or under two names) never share replica names.
    """
    try:  # a normalized template is JSON already; raw YAML may have keys of other types
        text = json.dumps([namespace, workload_name, template], sort_keys=True, ensure_ascii=False,
                          separators=(",", ":"), allow_nan=True)
    except (TypeError, ValueError):
        text = json.dumps([namespace, workload_name, _canonical(template)], sort_keys=True,
                          ensure_ascii=False, separators=(",", ":"))
    return _encode(hashlib.sha256(text.encode("utf-8")).digest(), HASH_LENGTH)


def replica_name(kind: str, workload_name: str, template_hash: str, index: int, attempt: int = 0) -> str:
    """The name of replica `index` (from 0) of the workload `kind`/`workload_name`.

    StatefulSet: `NAME-index`. Deployment: `NAME-HASH-SUFFIX`; ReplicaSet and
    ReplicationController: `NAME-SUFFIX`; the base is cut to 58 characters first, as
    Kubernetes cuts the base of a generated name. `attempt` > 0 gives another suffix for
    the same replica, for the rare suffix that another replica already has.
    """
    if index < 0:
        raise ValueError(f"a replica number is 0 or more, not {index}")
    if kind == "StatefulSet":
        return f"{workload_name}-{index}"
    if kind not in HASHED_KINDS:
        raise ValueError(f"{kind} has no replicas; expected one of {', '.join(REPLICATED_KINDS)}")
    base = f"{workload_name}-{template_hash}-" if kind == "Deployment" else f"{workload_name}-"
    seed = f"{kind}/{workload_name}/{template_hash}/{index}/{attempt}"
    suffix = _encode(hashlib.sha256(seed.encode("utf-8")).digest(), SUFFIX_LENGTH)
    return base[:_MAX_BASE_LENGTH] + suffix


def replica_names(kind: str, workload_name: str, template_hash: str, count: int, start: int = 0) -> list[str]:
    """The names of replicas `start` .. `start + count - 1`, all different."""
    names: list[str] = []
    taken: set[str] = set()
    for index in range(start, start + count):
        attempt = 0
        name = replica_name(kind, workload_name, template_hash, index)
        while name in taken:  # two suffixes of 5 characters can meet; the next attempt differs
            attempt += 1
            name = replica_name(kind, workload_name, template_hash, index, attempt)
        taken.add(name)
        names.append(name)
    return names
