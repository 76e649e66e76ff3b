"""The Kubernetes reader: manifests → capsules, with every field accounted for.

`read_kubernetes` gets every document of the input (all files), because a workload in
one file may use a ConfigMap or Secret from another. It flattens `List` objects, reads
ConfigMaps and Secrets first (translate/kubernetes/config.py), then turns each workload
(Pod, and the pod template of Deployment, ReplicaSet, StatefulSet, DaemonSet, Job,
CronJob) into its capsules, one per replica (translate/kubernetes/workloads.py), at most
MAX_REPLICAS_PER_FILE from one file, and each Service into a `Service`
(translate/kubernetes/services.py). Other kinds (Ingress, custom resources, ...) are
skipped with a warning naming them. Documents without a kind, and capsule-format
documents (capsules and services), belong to the dispatcher
(translate/translation.py), which also rejects misspelled kinds; they are passed over
here.

Every field ends applied, ignored with a warning, or rejected with an error, by the
tables in translate/kubernetes/fields.py; `strict` turns warnings into errors.

The kubernetes package is never imported here: it costs about half a second, and
`capsule translate` must start fast. Quantities go through translate/quantity.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

from translate.capsule.services import is_service_document
from translate.diagnostics import Path, Report
from translate.fields import suggest
from translate.kubernetes.api_kinds import API_VERSIONS, NO_MEANING_ON_A_DOCKER_HOST, KindCheck, check_kind
from translate.kubernetes.config import ConfigData, read_config_object
from translate.kubernetes.field_reader import KubeFieldReader
from translate.kubernetes.fields import LIST_FIELDS
from translate.kubernetes.services import read_service
from translate.kubernetes.workloads import KINDS, RunsNothing, read_workload
from translate.references import ConfigObject
from translate.replicas import MAX_REPLICAS_PER_FILE, REPLICATED_KINDS
from translate.secrets import SecretStore
from translate.services import FoundService
from translate.source import Document
from translate.spec import Capsule, Service

WORKLOAD_KINDS: frozenset[str] = frozenset(KINDS)
DATA_KINDS: frozenset[str] = frozenset({"ConfigMap", "Secret"})
SERVICE_KIND = "Service"
LIST_KIND = "List"


class KubernetesRead(NamedTuple):
    """What the Kubernetes documents of an input hold."""

    capsules: list[tuple[Capsule, str]]  # each with where it came from: "web.yaml#2 Deployment/web"
    secrets: SecretStore
    runs_nothing: list[str]  # "Deployment web: replicas: 0"
    services: list[FoundService]
    config_objects: list[ConfigObject]  # the input's ConfigMaps and Secrets, for create to store


def read_kubernetes(docs: list[Document], report: Report, *, strict: bool = False,
                    warn_missing: bool = True) -> KubernetesRead:
    """Capsules (with where each came from), the Secrets' values, the workloads that run
    nothing (replicas: 0, suspended), and the Services, from all documents.

    Problems go into `report`; a workload with errors yields no capsule. The caller
    raises when the report holds errors.
    """
    objects = [(reader, base, check.kind) for reader, base, check, api_version in _objects(docs, report, strict)
               if _readable(reader, base, check, api_version)]
    data = ConfigData(warn_missing=warn_missing)
    for reader, base, kind in objects:
        if kind in DATA_KINDS:
            read_config_object(reader, base, kind, data)
    capsules: list[tuple[Capsule, str]] = []
    services: list[FoundService] = []
    idle: list[str] = []
    first_defined: dict[tuple[str, str, str], str] = {}
    made: dict[str, int] = {}  # replicas made from each file
    for reader, base, kind in objects:
        if kind in DATA_KINDS:
            continue
        if kind == SERVICE_KIND:
            service = read_service(reader, base)
            if isinstance(service, Service):
                services.append(FoundService(service, reader.doc, base))
            continue
        file = reader.doc.file
        room = MAX_REPLICAS_PER_FILE - made.get(file, 0)
        read = read_workload(reader, base, kind, data, room)
        if isinstance(read, RunsNothing):
            idle.append(read.why)
            continue
        if not read:
            continue
        line = reader.doc.position(base + ("metadata", "name"))[0]
        # Kubernetes keeps one object of a kind and name per namespace.
        key = (kind, read[0].namespace or "", str(reader.raw(base + ("metadata", "name"))))
        first = first_defined.setdefault(key, f"{file}:{line}")
        if first != f"{file}:{line}":
            namespace = f" in namespace '{key[1]}'" if key[1] else ""
            reader.error(base + ("metadata", "name"), f"a {kind} named '{key[2]}' is already defined"
                         f"{namespace} at {first}", "give each workload its own name")
            continue
        if kind in REPLICATED_KINDS:
            made[file] = made.get(file, 0) + len(read)
        capsules.extend((capsule, reader.label) for capsule in read)
    return KubernetesRead(capsules, data.secrets, idle, services, data.objects)


_RUNS = ("capsule runs Pods and the pod templates of Deployment, ReplicaSet, ReplicationController, "
         "StatefulSet, DaemonSet, Job and CronJob")


def _readable(reader: KubeFieldReader, base: Path, check: KindCheck, api_version: object) -> bool:
    """True for an object the reader turns into a capsule or uses; the others are reported here."""
    kind = check.kind
    if check.verdict == "custom":
        of = f" of {api_version}" if api_version else ""
        reader.warn(base + ("kind",), f"{kind}{of} is a custom resource, skipped: {_RUNS}")
    elif check.verdict == "missing-version":
        reader.error(base + ("apiVersion",), f"is required: a {kind} is {check.expected[0]}", of_value=False)
    elif check.verdict == "wrong-version":
        reader.error(base + ("apiVersion",), f"a {kind} is {check.expected[0]}, not {api_version}",
                     f"write apiVersion: {check.expected[0]}")
    elif check.verdict == "unknown":
        guess = suggest(kind, tuple(API_VERSIONS))
        group = (f"its apiVersion {api_version} names no custom resource group" if api_version
                 else "it has no apiVersion that would make it a custom resource")
        reader.error(base + ("kind",), f"'{kind}' is not a Kubernetes kind, and {group}",
                     f"did you mean '{guess}'?" if guess else None)
    elif kind in WORKLOAD_KINDS or kind in DATA_KINDS or kind == SERVICE_KIND:
        return True
    elif kind in NO_MEANING_ON_A_DOCKER_HOST:
        # Nothing that runs would differ: said, but never a failure under --strict.
        reader.note(base + ("kind",), f"{kind} is skipped: it has no meaning on a Docker host")
    else:
        reader.warn(base + ("kind",), f"{kind} is skipped: {_RUNS}")
    return False


def _objects(docs: list[Document], report: Report,
             strict: bool) -> Iterator[tuple[KubeFieldReader, Path, KindCheck, object]]:
    """(reader, path of the object in its document, what its kind is, its apiVersion) for each
    object; Lists flattened."""
    for doc in docs:
        data = doc.data
        # The dispatcher reports documents without a kind; capsule-format documents are not ours.
        if (isinstance(data, dict) and isinstance(data.get("kind"), str) and data["kind"].lower() != "capsule"
                and not is_service_document(data)):
            yield from _flatten(doc, (), data, report, strict)


def _flatten(doc: Document, base: Path, data: dict, report: Report, strict: bool,
             implied: tuple[str, object] | None = None) -> Iterator[tuple[KubeFieldReader, Path, KindCheck, object]]:
    """Each object, with its kind and apiVersion (a typed list's items may leave both to the list)."""
    kind = data["kind"] if isinstance(data.get("kind"), str) else implied[0] if implied else ""
    api_version = data["apiVersion"] if "apiVersion" in data else implied[1] if implied else None
    metadata = data.get("metadata")
    name = metadata.get("name") if isinstance(metadata, dict) else None
    where = f"{doc.file}#{doc.index + 1}"
    if base:
        where += " " + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in base).lstrip(".")
    reader = KubeFieldReader(doc, report, strict=strict, label=f"{where} {kind}/{name or '?'}")
    check = check_kind(kind, api_version)  # once per object: _readable reports from it too
    item_kind = check.kind if check.verdict == "typed-list" else None
    if kind != LIST_KIND and item_kind is None:
        yield reader, base, check, api_version
        return
    # A typed list (ConfigMapList, as `kubectl get configmaps -o yaml` can write it) is read
    # like a List; its items may leave out their kind and apiVersion, which are the list's.
    reader.sort(base, LIST_FIELDS, where=f"a {kind}")
    for index, item in enumerate(reader.items(base + ("items",), required=True)):
        path = base + ("items", index)
        if not isinstance(item, dict) or not (isinstance(item.get("kind"), str) or item_kind):
            reader.error(path, "is not a Kubernetes object: expected a mapping with a kind",
                         of_value=False)
            continue
        implied = (item_kind, api_version) if item_kind else None
        yield from _flatten(doc, path, item, report, strict, implied)

