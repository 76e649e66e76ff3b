"""The translation API: input files or text in, capsule specs and a report out.

`translate_paths` and `translate_text` load every document of the input, send each to
its reader by `kind` (`capsule` in any case → translate/capsule/format.py; `service` in
any case with `apiVersion: beta` → translate/capsule/services.py; Kubernetes kinds →
translate/kubernetes/format.py, which gets all Kubernetes documents of the whole input
at once so that ConfigMaps and Secrets from any file resolve references), and return a
`Translation`: capsules and Services in input order. Checks that need every reader's
output are here: capsule names unique, Service names unique in their namespace, and a
note for a Service whose selector matches no capsule of the input (its backends may
come from another file, so it is never a failure, not even under --strict). Any error
anywhere fails the whole input: nothing half-translated is returned. Warnings stay in
the report either way.

The Kubernetes reader, and with it anything Kubernetes-specific, is imported only
when the input has a Kubernetes document. This module must stay free of any output
formatting and of the runtime.
"""

from __future__ import annotations

import functools
import gc
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path as FilePath

from translate.capsule.format import read_capsule
from translate.capsule.services import is_service_document, read_service_document
from translate.diagnostics import Diagnostic, Report, TranslationError
from translate.fields import suggest, type_name
from translate.kubernetes.api_kinds import (
    API_VERSIONS,
    WELL_KNOWN_CUSTOM_KINDS,
    is_custom_resource,
    is_kubernetes_kind,
)
from translate.references import ConfigObject
from translate.secrets import SecretStore
from translate.services import FoundService
from translate.source import Document, load_documents, read_input
from translate.spec import KIND, SERVICE_KIND, Capsule, Service

# Kinds the Kubernetes reader turns into capsules or uses for references.
SUPPORTED_KUBERNETES_KINDS = (
    "Pod", "Deployment", "ReplicaSet", "ReplicationController", "StatefulSet", "DaemonSet", "Job", "CronJob",
    "Service", "List", "ConfigMap", "Secret",
)
# Kubernetes' own kinds and the well-known custom ones are in translate/kubernetes/api_kinds.py;
# a kind in neither list is most likely a typo.
INPUT_SUFFIXES = (".yaml", ".yml", ".json")

_ORIGIN = re.compile(r"^(?P<file>.*)#(?P<index>\d+)(?:\s|$)")


@dataclass
class Translation:
    """Capsules in input order, the Secret values beside them, and what was said."""

    capsules: list[Capsule]
    secrets: SecretStore = field(default_factory=SecretStore)
    report: Report = field(default_factory=Report)
    origins: list[str] = field(default_factory=list)  # per capsule: "web.yaml#1 capsule/web"
    # Workloads a cluster would run no pod for ("Deployment web: replicas: 0"): no capsule each.
    runs_nothing: list[str] = field(default_factory=list)
    # Services of the input (v1/Service, capsule-format `kind: service`), in input order.
    services: list[Service] = field(default_factory=list)
    # The input's ConfigMaps and Secrets with their namespaces: create stores them for later inputs.
    config_objects: list[ConfigObject] = field(default_factory=list)


class TranslationFailed(TranslationError):
    """A TranslationError that also carries the whole report, warnings included."""

    def __init__(self, report: Report):
        self.report = report
        super().__init__(report.errors)


def _gc_paused(function):  # type: ignore[no-untyped-def]
    """Run a translation with the cyclic garbage collector paused.

    Parsing builds tens of thousands of short-lived, acyclic objects (YAML nodes,
    dicts, lists); each burst of allocations triggers a collection that walks them
    all, which cost about a third of a translation's time. Reference counting frees
    them anyway, and the input is bounded (MAX_INPUT_BYTES, MAX_NODES), so pausing
    the collector for one translation is safe.
    """

    @functools.wraps(function)
    def paused(*args, **kwargs):  # type: ignore[no-untyped-def]
        if not gc.isenabled():
            return function(*args, **kwargs)
        gc.disable()
        try:
            return function(*args, **kwargs)
        finally:
            gc.enable()

    return paused


@_gc_paused
def translate_paths(paths: list[str], *, strict: bool = False, warn_missing: bool = True) -> Translation:
    """Translate files ('-' is standard input); a folder means its *.yaml/*.yml/*.json.

    `warn_missing`: warn about references to ConfigMaps and Secrets that are not in the
    input (kept as references either way); create turns it off and resolves them."""
    report = Report()
    documents: list[Document] = []
    files: list[str] = []
    for path in _expand(paths, report):
        files.append("<stdin>" if path == "-" else path)
        try:
            label, raw = read_input(path)
            loaded = load_documents(raw, label)
        except TranslationError as exc:
            report.diagnostics.extend(exc.diagnostics)
            continue
        if not loaded:
            report.diagnostics.append(
                Diagnostic("warning", label, None, None, "", "has no documents; skipped")
            )
        documents.extend(loaded)
    return _translate(documents, files, report, strict=strict, warn_missing=warn_missing)


@_gc_paused
def translate_text(
    text: str | bytes, file: str = "<input>", *, strict: bool = False
) -> Translation:
    """Translate YAML or JSON text as if it were the file named `file`."""
    report = Report()
    try:
        documents = load_documents(text, file)
    except TranslationError as exc:
        report.diagnostics.extend(exc.diagnostics)
        raise TranslationFailed(report) from None
    return _translate(documents, [file], report, strict=strict)


# --- input files ---------------------------------------------------------------------


def _expand(paths: Iterable[str], report: Report) -> list[str]:
    out = []
    for path in paths:
        folder = FilePath(path)
        if path == "-" or not folder.is_dir():
            out.append(path)
            continue
        found = sorted(
            str(child) for child in folder.iterdir()
            if child.is_file() and child.suffix.lower() in INPUT_SUFFIXES
        )
        if not found:
            report.diagnostics.append(
                Diagnostic("error", path, None, None, "", "is a folder with no .yaml, .yml or "
                           ".json files", "name the files, or a folder that has some")
            )
        out.extend(found)
    return out


# --- dispatch --------------------------------------------------------------------------


def _translate(documents: list[Document], files: list[str], report: Report, *,
               strict: bool, warn_missing: bool = True) -> Translation:
    order = {file: number for number, file in enumerate(files)}
    found: list[tuple[tuple, Capsule, str, Document | None]] = []
    services: list[tuple[tuple, FoundService]] = []
    kubernetes: list[Document] = []
    for doc, part in _documents(documents):
        if doc.data is None:
            continue  # an empty document (a trailing ---, a template that rendered to comments): kubectl skips it
        kind = _kind(doc, report)
        if kind == SERVICE_KIND:
            service = read_service_document(doc, report, strict=strict)
            if service is not None:
                services.append(((order.get(doc.file, len(order)), doc.index, part), service))
        elif kind == KIND:
            capsule = read_capsule(doc, report, strict=strict)
            if capsule is not None:
                origin = f"{doc.file}#{doc.index + 1} {KIND}/{capsule.name}"
                key = (order.get(doc.file, len(order)), doc.index, part)
                found.append((key, capsule, origin, doc))
        elif kind is not None:
            kubernetes.append(doc)
    secrets = SecretStore()
    idle: list[str] = []
    objects: list[ConfigObject] = []
    if kubernetes:
        # Imported only when needed: the Kubernetes reader is the larger part.
        from translate.kubernetes.format import read_kubernetes

        pairs, secrets, idle, kubernetes_services, objects = read_kubernetes(
            kubernetes, report, strict=strict, warn_missing=warn_missing)
        for capsule, origin in pairs:
            found.append((_origin_key(origin, order), capsule, origin, None))
        for service in kubernetes_services:
            position = tuple(p for p in service.base if isinstance(p, int))
            services.append(((order.get(service.doc.file, len(order)), service.doc.index, *position), service))
    # Documents in input order, whichever reader made them; sorted() is stable.
    found.sort(key=lambda entry: entry[0])
    services.sort(key=lambda entry: entry[0])
    _check_unique_names(found, report)
    _check_services([entry[1] for entry in services], [entry[1] for entry in found], report)
    if not found and not idle and not services and not objects and not report.errors:
        report.diagnostics.append(
            Diagnostic("error", ", ".join(files) or "<input>", None, None, "",
                       "has no capsule or Kubernetes workload to translate",
                       "give a capsule document, or a Pod, Deployment, StatefulSet, ...")
        )
    # Messages as a compiler gives them: files in the order given, then by line, whichever
    # reader spoke (capsule documents are read before the Kubernetes ones).
    # A message about a whole file (no line) comes after the ones that explain it ("has no
    # workload" after "Service is skipped").
    report.diagnostics.sort(
        key=lambda d: (order.get(d.file, len(order)), d.line if d.line is not None else sys.maxsize, d.column or 0)
    )
    if report.errors:
        raise TranslationFailed(report)
    return Translation(
        capsules=[entry[1] for entry in found],
        secrets=secrets,
        report=report,
        origins=[entry[2] for entry in found],
        runs_nothing=idle,
        services=[entry[1].service for entry in services],
        config_objects=objects,
    )


def _documents(documents: list[Document]) -> Iterable[tuple[Document, int]]:
    """Each document; a JSON array of documents (what `-o json` prints for several
    capsules) counts as its items, so that output translates again."""
    for doc in documents:
        data = doc.data
        if isinstance(data, list) and data and all(
            isinstance(item, dict) and "kind" in item for item in data
        ):
            for number, item in enumerate(data):
                yield _item_document(doc, number, item), number
        else:
            yield doc, 0


def _item_document(doc: Document, number: int, item: dict) -> Document:
    line, _column = doc.position((number,), of_value=True)
    return Document(file=doc.file, index=doc.index, data=item, start_line=line,
                    node=doc.node, base=tuple(doc.base) + (number,))


def _kind(doc: Document, report: Report) -> str | None:
    """'capsule', a Kubernetes kind, or None after reporting why the document has none."""
    data = doc.data
    if not isinstance(data, dict):
        report.diagnostics.append(doc.diagnostic(
            "error", (), f"found {type_name(data)}, expected a mapping with apiVersion, "
            "kind, metadata and spec", "a document is a mapping of fields, not a list or text",
            of_value=True,
        ))
        return None
    if "kind" not in data or data["kind"] is None:
        report.diagnostics.append(doc.diagnostic(
            "error", ("kind",), "is required: expected 'capsule' or a Kubernetes kind",
            "add 'kind: capsule' and 'apiVersion: beta', or the manifest's Kubernetes kind",
        ))
        return None
    kind = data["kind"]
    if not isinstance(kind, str):
        report.diagnostics.append(doc.diagnostic(
            "error", ("kind",), f"found {type_name(kind)}, expected a kind name such as capsule",
            of_value=True,
        ))
        return None
    if kind.lower() == KIND:
        return KIND
    if is_service_document(data):
        return SERVICE_KIND
    if kind in SUPPORTED_KUBERNETES_KINDS or is_kubernetes_kind(kind) or kind in WELL_KNOWN_CUSTOM_KINDS:
        return kind  # the Kubernetes reader checks its apiVersion, and skips what it does not run
    if is_custom_resource(data.get("apiVersion")):
        return kind  # the Kubernetes reader skips it with a warning
    supported = (KIND,) + SUPPORTED_KUBERNETES_KINDS
    known = supported + tuple(API_VERSIONS) + tuple(sorted(WELL_KNOWN_CUSTOM_KINDS))
    guess = next((k for k in known if k.lower() == kind.lower()), None)
    if guess:
        hint = f"Kubernetes kinds are written with capitals: '{guess}'"
    else:
        guess = suggest(kind, known)
        hint = f"did you mean '{guess}'?" if guess else None
    # The message starts with "kind 'Foo'", so the field path is left out of it.
    line, column = doc.position(("kind",), of_value=True)
    report.diagnostics.append(Diagnostic(
        "error", doc.file, line, column, "",
        f"kind '{kind}' is not a capsule or a supported Kubernetes kind; "
        f"supported: {', '.join(supported)}",
        hint,
    ))
    return None


def _origin_key(origin: str, order: dict[str, int]) -> tuple:
    match = _ORIGIN.match(origin)
    if match and match["file"] in order:
        return (order[match["file"]], int(match["index"]) - 1)
    return (len(order), 0)


def _check_services(services: list[FoundService], capsules: list[Capsule], report: Report) -> None:
    """One name per namespace; a note for a selector that matches no capsule of the input."""
    first: dict[tuple[str, str], FoundService] = {}
    for found in services:
        service = found.service
        key = (service.namespace, service.name)
        if key in first:
            report.diagnostics.append(found.doc.diagnostic(
                "error", found.base + ("metadata", "name"),
                f"Service '{service.name}' in namespace '{service.namespace}' is defined twice: here and at "
                f"{first[key].where}", "rename or remove one of them", of_value=True))
            continue
        first[key] = found
        if service.selector and not any(
            capsule.namespace == service.namespace and service.selects(dict(capsule.labels)) for capsule in capsules
        ):
            # Said, but never a failure: the backends may come from another file.
            report.diagnostics.append(found.doc.diagnostic(
                "warning", found.base + ("spec", "selector"),
                f"selects no capsule of this input in namespace '{service.namespace}'",
                "its backends may come from another file; check the labels if they should be here"))


def _check_unique_names(found: list[tuple[tuple, Capsule, str, Document | None]],
                        report: Report) -> None:
    """Two capsules with one name would replace each other on a host."""
    first: dict[str, str] = {}
    for _key, capsule, origin, doc in found:
        if capsule.name not in first:
            first[capsule.name] = origin
            continue
        message = f"found '{capsule.name}', which is already the name of {first[capsule.name]}"
        hint = "capsule names must be unique in one input; rename one"
        if doc is not None:
            report.diagnostics.append(doc.diagnostic("error", ("metadata", "name"), message,
                                                     hint, of_value=True))
        else:
            match = _ORIGIN.match(origin)
            file = match["file"] if match else origin
            report.diagnostics.append(
                Diagnostic("error", file, None, None, "metadata.name", message, hint))
