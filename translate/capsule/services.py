"""Read one capsule-format Service document (`apiVersion: beta`, `kind: service`).

The document `Service.to_dict()` writes, and reads back to an equal `Service`:

    apiVersion: beta
    kind: service
    metadata: {name: web, namespace: shop, labels: {...}}
    spec:
      type: ClusterIP            # or NodePort, LoadBalancer
      selector: {app: web}
      ports: [{name: http, port: 80, targetPort: http, protocol: TCP, nodePort: 30080}]
      clusterIP: None            # only for a headless Service

Problems are reported as for a capsule document, with file, line, column and field
path; the checks across ports are Kubernetes' own (translate/services.py). It does not
decide which documents are Services (translate/translation.py does).
"""

from __future__ import annotations

from translate.capsule import fields as cf
from translate.diagnostics import Path, Report
from translate.fields import FieldReader, dns1035_problem, type_name
from translate.services import FoundService, check_ports, check_relayed, target_port_problem, written_ports
from translate.source import Document
from translate.spec import API_VERSION, DEFAULT_NAMESPACE, PROTOCOLS, SERVICE_KIND, SERVICE_TYPES, Service, ServicePort

TOP_FIELDS = ("apiVersion", "kind", "metadata", "spec")
METADATA_FIELDS = ("name", "namespace", "labels")
SPEC_FIELDS = ("type", "selector", "ports", "clusterIP")
PORT_FIELDS = ("name", "port", "targetPort", "protocol", "nodePort")
HEADLESS = "None"


def is_service_document(data: object) -> bool:
    """A capsule-format Service: `kind: service` in any case, except Kubernetes' own
    `kind: Service` with an apiVersion other than beta (a v1 Service)."""
    if not isinstance(data, dict) or not isinstance(data.get("kind"), str):
        return False
    kind = data["kind"]
    if kind.lower() != SERVICE_KIND:
        return False
    return kind != "Service" or data.get("apiVersion") == API_VERSION


def read_service_document(doc: Document, report: Report, *, strict: bool) -> FoundService | None:
    """The Service in `doc`, or None when the document has errors (all of them reported)."""
    r = FieldReader(doc, report, strict=strict, label=f"{doc.file}#{doc.index + 1} {SERVICE_KIND}")
    errors_before = r.error_count
    cf.known_fields(r, (), TOP_FIELDS, where="a service document")
    version = r.string(("apiVersion",), required=True, expected=f"'{API_VERSION}'")
    if version is not None and version != API_VERSION:
        r.error(("apiVersion",), f"found '{version}', expected '{API_VERSION}'",
                f"capsule documents are 'apiVersion: {API_VERSION}' (a Kubernetes Service is 'kind: Service', "
                "'apiVersion: v1')")
    meta: Path = ("metadata",)
    r.mapping(meta, required=True)
    cf.known_fields(r, meta, METADATA_FIELDS, where="a service's metadata")
    name = r.string(meta + ("name",), required=True, expected="a name (a DNS-1035 label)")
    if name is not None and (problem := dns1035_problem(name)):
        r.error(meta + ("name",), problem)
    namespace = cf.dns_name(r, meta + ("namespace",)) or DEFAULT_NAMESPACE
    labels = r.labels(meta + ("labels",))
    spec: Path = ("spec",)
    r.mapping(spec, required=True)
    cf.known_fields(r, spec, SPEC_FIELDS, where="a service spec")
    type_ = cf.choice(r, spec + ("type",), SERVICE_TYPES, default="ClusterIP")
    selector = r.labels(spec + ("selector",))
    if not selector:
        r.warn(spec + ("selector",), "is empty: the service selects no capsule",
               "select its backends by their labels")
    headless = _headless(r, spec + ("clusterIP",))
    ports = _ports(r, spec + ("ports",))
    check_ports(ports, written_ports(r.raw(spec + ("ports",))), spec, type_, headless,
                lambda path, message, hint, of_value: r.error(path, message, hint, of_value=of_value))
    check_relayed(ports, headless, r.warn)
    if r.error_count > errors_before or name is None:
        return None
    service = Service(name=name, namespace=namespace, selector=selector, ports=tuple(p for _, p in ports),
                      type=type_, headless=headless, labels=labels)
    return FoundService(service, doc)


def _headless(r: FieldReader, path: Path) -> bool:
    value = r.string(path, expected=f"'{HEADLESS}' (a headless service)")
    if value is None:
        return False
    if value != HEADLESS:
        r.error(path, f"found '{value}', expected '{HEADLESS}' (a headless service)",
                "capsule chooses a service's addresses; leave clusterIP out, or write None")
        return False
    return True


def _ports(r: FieldReader, path: Path) -> list[tuple[Path, ServicePort]]:
    ports = []
    for index, item in enumerate(r.items(path, expected="a list of ports")):
        where = path + (index,)
        if not cf.item_mapping(r, where, item, "a port with port and targetPort"):
            continue
        cf.known_fields(r, where, PORT_FIELDS, where="a service port")
        number = cf.port_number(r, where + ("port",), required=True)
        protocol = cf.choice(r, where + ("protocol",), PROTOCOLS, default="TCP", expected="TCP or UDP")
        target = _target_port(r, where + ("targetPort",))
        name = r.string(where + ("name",), expected="a port name (a DNS-1123 label)")
        node_port = cf.port_number(r, where + ("nodePort",))
        if number is not None:
            ports.append((where, ServicePort(number, target if target is not None else number, protocol,
                                             name or None, node_port)))
    return ports


def _target_port(r: FieldReader, path: Path) -> int | str | None:
    value = r.raw(path)
    if value is None:
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)  # as the capsule format reads every port number
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        r.error(path, f"found {type_name(value)}, expected a port number or a container port's name")
        return None
    if problem := target_port_problem(value):
        r.error(path, problem)
        return None
    return value
