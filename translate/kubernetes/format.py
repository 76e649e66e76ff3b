"""The Kubernetes reader: manifests → capsules, with every field accounted for.

`read_kubernetes` gets every document of the input (all files), because a workload in
one file may use a ConfigMap or Secret from another. It flattens `List` objects, reads
ConfigMaps and Secrets first (translate/kubernetes/config.py), then turns each workload
(Pod, and the pod template of Deployment, ReplicaSet, StatefulSet, DaemonSet, Job,
CronJob) into a capsule (translate/kubernetes/workloads.py). Other kinds (Service,
Ingress, custom resources, ...) are skipped with a warning naming them. Documents
without a kind, and capsule documents, belong to the dispatcher
(translate/translation.py), which also rejects misspelled kinds; they are passed over
here.

Every field ends applied, ignored with a warning, or rejected with an error, by the
tables in translate/kubernetes/fields.py; `strict` turns warnings into errors.

The kubernetes package is never imported here: it costs about half a second, and
`capsule translate` must start fast. Quantities go through translate/quantity.py.
"""

from __future__ import annotations

from collections.abc import Iterator

from translate.diagnostics import Path, Report
from translate.kubernetes.config import ConfigData, read_config_object
from translate.kubernetes.field_reader import KubeFieldReader
from translate.kubernetes.fields import LIST_FIELDS
from translate.kubernetes.workloads import KINDS, read_workload
from translate.secrets import SecretStore
from translate.source import Document
from translate.spec import Capsule

WORKLOAD_KINDS: frozenset[str] = frozenset(KINDS)
DATA_KINDS: frozenset[str] = frozenset({"ConfigMap", "Secret"})
LIST_KIND = "List"


def read_kubernetes(
    docs: list[Document], report: Report, *, strict: bool = False
) -> tuple[list[tuple[Capsule, str]], SecretStore]:
    """Capsules (with where each came from) and the Secrets' values, from all documents.

    Problems go into `report`; a workload with errors yields no capsule. The caller
    raises when the report holds errors.
    """
    objects = list(_objects(docs, report, strict))
    data = ConfigData()
    for reader, base, kind in objects:
        if kind in DATA_KINDS:
            read_config_object(reader, base, kind, data)
    capsules: list[tuple[Capsule, str]] = []
    first_defined: dict[str, str] = {}
    for reader, base, kind in objects:
        if kind in DATA_KINDS:
            continue
        if kind not in WORKLOAD_KINDS:
            reader.warn(base + ("kind",), f"{kind} is skipped: capsule runs Pods and the pod "
                        "templates of Deployment, ReplicaSet, StatefulSet, DaemonSet, Job and CronJob")
            continue
        capsule = read_workload(reader, base, kind, data)
        if capsule is None:
            continue
        line = reader.doc.position(base + ("metadata", "name"))[0]
        first = first_defined.setdefault(capsule.name, f"{reader.doc.file}:{line}")
        if first != f"{reader.doc.file}:{line}":
            reader.error(base + ("metadata", "name"),
                         f"a capsule named '{capsule.name}' is already defined at {first}",
                         "give each workload its own name")
            continue
        capsules.append((capsule, reader.label))
    return capsules, data.secrets


def _objects(docs: list[Document], report: Report,
             strict: bool) -> Iterator[tuple[KubeFieldReader, Path, str]]:
    """(reader, path of the object in its document, kind) for each object; Lists flattened."""
    for doc in docs:
        data = doc.data
        # The dispatcher reports documents without a kind; capsule documents are not ours.
        if isinstance(data, dict) and isinstance(data.get("kind"), str) and data["kind"].lower() != "capsule":
            yield from _flatten(doc, (), data, report, strict)


def _flatten(doc: Document, base: Path, data: dict, report: Report,
             strict: bool) -> Iterator[tuple[KubeFieldReader, Path, str]]:
    kind = data["kind"]
    metadata = data.get("metadata")
    name = metadata.get("name") if isinstance(metadata, dict) else None
    where = f"{doc.file}#{doc.index + 1}"
    if base:
        where += " " + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in base).lstrip(".")
    reader = KubeFieldReader(doc, report, strict=strict, label=f"{where} {kind}/{name or '?'}")
    if kind != LIST_KIND:
        yield reader, base, kind
        return
    reader.sort(base, LIST_FIELDS, where="a List")
    for index, item in enumerate(reader.items(base + ("items",), required=True)):
        path = base + ("items", index)
        if not isinstance(item, dict) or not isinstance(item.get("kind"), str):
            reader.error(path, "is not a Kubernetes object: expected a mapping with a kind",
                         of_value=False)
            continue
        yield from _flatten(doc, path, item, report, strict)

