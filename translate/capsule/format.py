"""Read one capsule YAML document (`apiVersion: beta`, `kind: capsule`) into a `Capsule`.

This is the reader for the capsule format: metadata, the fields that the original
format writes at the top level (`restartPolicy`, `hostSelector`) or under `spec`, the
containers and init containers (translate/capsule/containers.py), the volumes
(translate/capsule/volumes.py), and the checks that need the whole capsule: names
unique across init containers and containers, a (hostPort, protocol) published once,
and a stable name for every container that has none, derived from its image.

Every problem is reported on the `Report` with file, line, column and field path;
reading goes on after an error so the user sees all of them at once, and no capsule
is returned for a document with errors. The normalized document that
`Capsule.to_dict()` writes reads back to an equal `Capsule`.

It does not decide which documents are capsules (translate/translation.py does) and
it never touches Kubernetes documents.
"""

from __future__ import annotations

import dataclasses

from translate.capsule import fields as cf
from translate.capsule.containers import read_container, read_pod_security
from translate.capsule.volumes import read_volumes
from translate.diagnostics import Path, Report, format_path
from translate.fields import FieldReader, workload_problem
from translate.source import Document
from translate.spec import API_VERSION, RESTART_POLICIES, Capsule, Container

TOP_FIELDS = ("apiVersion", "kind", "metadata", "spec", "restartPolicy", "hostSelector")
METADATA_FIELDS = ("name", "namespace", "workload", "labels", "annotations")
SPEC_FIELDS = (
    "restartPolicy", "hostSelector", "hostLabels", "hostname", "subdomain", "shareProcessNamespace",
    "enableServiceLinks", "securityContext", "initContainers", "containers", "volumes",
)
# The original format spec spells metadata.labels this way; files written from it exist.
LABELS_MISSPELLING = "lables"


def read_capsule(doc: Document, report: Report, *, strict: bool) -> Capsule | None:
    """The capsule in `doc`, or None when the document has errors (all of them reported)."""
    reader = FieldReader(doc, report, strict=strict)
    errors_before = reader.error_count
    said_before = len(report.diagnostics)
    capsule = _CapsuleReader(reader).read()
    # Volumes are read before the containers that mount them; tell the user in file order.
    report.diagnostics[said_before:] = sorted(
        report.diagnostics[said_before:], key=lambda d: (d.line or 0, d.column or 0)
    )
    if reader.error_count > errors_before:
        return None
    return capsule


class _CapsuleReader:
    def __init__(self, reader: FieldReader):
        self.r = reader

    def read(self) -> Capsule | None:
        r = self.r
        cf.known_fields(r, (), TOP_FIELDS, where="a capsule document")
        self._api_version()
        name, labels, annotations = self._metadata()
        namespace, workload = self._application()
        spec_ok = self._spec_is_mapping()
        restart = self._top_or_spec("restartPolicy", spec_ok)
        host_selector = self._top_or_spec("hostSelector", spec_ok)
        if not spec_ok:
            return None
        spec: Path = ("spec",)
        cf.known_fields(r, spec, SPEC_FIELDS, where="a capsule spec")
        volumes, volume_names = read_volumes(r, spec + ("volumes",))
        inits = self._containers(spec + ("initContainers",), volume_names)
        members = self._containers(spec + ("containers",), volume_names)
        if r.raw(spec + ("containers",)) in (None, []):
            what = "is empty" if r.raw(spec + ("containers",)) == [] else "is required"
            r.error(spec + ("containers",), f"{what}: a capsule needs at least one container",
                    "add a container with at least an image under spec.containers",
                    of_value=False)
        named = self._name_containers(inits + members)
        self._check_host_ports(named)
        restart_policy = "Always"
        if restart:
            restart_policy = cf.choice(r, self._where("restartPolicy"), RESTART_POLICIES,
                                       default="Always")
        selector = self._host_selector() if host_selector else None
        host_labels = r.string_map(spec + ("hostLabels",))
        hostname = cf.dns_name(r, spec + ("hostname",))
        subdomain = cf.dns_name(r, spec + ("subdomain",))
        share_pid = r.boolean(spec + ("shareProcessNamespace",))
        links = r.boolean(spec + ("enableServiceLinks",), default=True)
        security = read_pod_security(r, spec + ("securityContext",))
        if name is None:
            return None
        return Capsule(
            name=name,
            containers=tuple(c for p, c in named if p[1] == "containers"),
            init_containers=tuple(c for p, c in named if p[1] == "initContainers"),
            volumes=volumes,
            labels=labels,
            annotations=annotations,
            restart_policy=restart_policy,
            host_selector=selector,
            host_labels=host_labels,
            hostname=hostname,
            share_process_namespace=share_pid,
            namespace=namespace,
            workload=workload,
            subdomain=subdomain,
            enable_service_links=links,
            security_context=security,
        )

    def _host_selector(self) -> str | None:
        path = self._where("hostSelector")
        value = self.r.string(path, expected="the name of a host")
        if value is not None and not value.strip():
            self.r.error(path, "is empty: expected the name of a host",
                         "leave hostSelector out to let capsule choose a host")
            return None
        return value

    # --- document and metadata ---------------------------------------------------------

    def _api_version(self) -> None:
        r = self.r
        value = r.string(("apiVersion",), required=True, expected=f"'{API_VERSION}'")
        if value is not None and value != API_VERSION:
            r.error(("apiVersion",), f"found '{value}', expected '{API_VERSION}'",
                    f"capsule documents are 'apiVersion: {API_VERSION}'")

    def _metadata(self) -> tuple[str | None, tuple, tuple]:
        r = self.r
        meta: Path = ("metadata",)
        if r.raw(meta) is None:
            r.error(meta, "is required: expected a mapping with at least a name",
                    "add 'metadata: {name: my-capsule}'", of_value=False)
            return None, (), ()
        if not r.mapping(meta):
            if isinstance(r.raw(meta), dict):
                r.error(meta + ("name",), "is required: expected a name (a DNS-1123 subdomain)",
                        of_value=False)
            return None, (), ()
        cf.known_fields(r, meta, METADATA_FIELDS, where="metadata",
                        aliases=(LABELS_MISSPELLING,))
        name = cf.subdomain_name(r, meta + ("name",), required=True)
        labels = r.string_map(meta + ("labels",))
        if r.has(meta + (LABELS_MISSPELLING,)):
            misspelled = meta + (LABELS_MISSPELLING,)
            if r.has(meta + ("labels",)):
                r.error(misspelled, "is given together with 'labels'",
                        "merge them into 'labels'", of_value=False)
            else:
                r.warn(misspelled, "is read as 'labels', its spelling in the capsule format",
                       "rename 'lables' to 'labels'")
                labels = r.string_map(misspelled)
                r.applied(misspelled, "read as labels")
        return name, labels, r.string_map(meta + ("annotations",))

    def _application(self) -> tuple[str | None, str | None]:
        """metadata.namespace (the capsule's application) and metadata.workload (KIND/NAME)."""
        r = self.r
        meta: Path = ("metadata",)
        if not isinstance(r.raw(meta), dict):
            return None, None
        namespace = cf.dns_name(r, meta + ("namespace",))
        workload = r.string(meta + ("workload",), expected="KIND/NAME, such as Deployment/web")
        if workload is not None and (problem := workload_problem(workload)):
            r.error(meta + ("workload",), problem)
            workload = None
        return namespace, workload

    # --- spec --------------------------------------------------------------------------

    def _spec_is_mapping(self) -> bool:
        value = self.r.raw(("spec",))
        if value is None or isinstance(value, dict):
            return True
        self.r.mapping(("spec",))  # records the wrong type
        return False

    def _where(self, field: str) -> Path:
        return ("spec", field) if self.r.has(("spec", field)) else (field,)

    def _top_or_spec(self, field: str, spec_ok: bool) -> bool:
        """Whether `field` is given; an error when it stands in both places and differs."""
        r = self.r
        top, under = r.has((field,)), spec_ok and r.has(("spec", field))
        if top and under and r.raw((field,)) != r.raw(("spec", field)):
            r.error(("spec", field),
                    f"differs from the top-level {field} ({r.raw((field,))!r})",
                    f"give {field} once, under spec", of_value=False)
        return top or under

    def _containers(self, path: Path, volume_names: list[str]) -> list[tuple[Path, Container]]:
        out = []
        expected = "a list of containers"
        for index, _item in enumerate(self.r.items(path, expected=expected)):
            container = read_container(self.r, path + (index,), volume_names)
            if container is not None:
                out.append((path + (index,), container))
        return out

    def _name_containers(
        self, containers: list[tuple[Path, Container]]
    ) -> list[tuple[Path, Container]]:
        """Check given names are unique; name the others after their image, stably.

        Given names are reserved first, so a derived name never takes one the user
        chose; derived names then count up (nginx, nginx-2, ...) in document order.
        """
        taken: dict[str, Path] = {}
        for path, container in containers:
            if not container.name:
                continue
            if container.name in taken:
                self.r.error(path + ("name",),
                             f"found '{container.name}', which is already the name of "
                             f"{format_path(taken[container.name])}",
                             "give each container, init containers included, its own name")
            else:
                taken[container.name] = path
        named = []
        for path, container in containers:
            if not container.name:
                name = _unused(name_from_image(container.image), taken)
                taken[name] = path
                container = dataclasses.replace(container, name=name)
            named.append((path, container))
        return named

    def _check_host_ports(self, containers: list[tuple[Path, Container]]) -> None:
        """Each (hostPort, protocol) once per capsule: the sandbox publishes them all.

        Walks the input items rather than the parsed ports, so that the path named
        stays right when an earlier port of the same container was rejected.
        """
        published: dict[tuple[int, str], Path] = {}
        for path, _container in containers:
            items = self.r.raw(path + ("ports",))
            for index, item in enumerate(items if isinstance(items, list) else []):
                port = _number(item.get("hostPort")) if isinstance(item, dict) else None
                if port is None:
                    continue
                protocol = item.get("protocol") or "TCP"
                protocol = protocol.upper() if isinstance(protocol, str) else "TCP"
                port_path = path + ("ports", index, "hostPort")
                if (port, protocol) in published:
                    self.r.error(port_path,
                                 f"found {port}/{protocol}, which "
                                 f"{format_path(published[port, protocol])} already publishes",
                                 "a capsule publishes each hostPort and protocol once; "
                                 "pick another hostPort")
                else:
                    published[port, protocol] = port_path


def _number(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def name_from_image(image: str) -> str:
    """A container name from its image: docker.io/library/nginx:1.27 -> nginx."""
    last = image.split("@", 1)[0].rsplit("/", 1)[-1]
    repository = last.split(":", 1)[0]
    return cf.label_from(repository) or "container"


def _unused(base: str, taken: dict[str, Path]) -> str:
    if base not in taken:
        return base
    number = 2
    while True:
        suffix = f"-{number}"
        candidate = base[: 63 - len(suffix)].rstrip("-") + suffix
        if candidate not in taken:
            return candidate
        number += 1
