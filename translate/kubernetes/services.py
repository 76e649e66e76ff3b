"""A v1 Service → a `Service`: a name, in a namespace, for the capsules its selector matches.

Every field goes through the tables in translate/kubernetes/fields.py
(SERVICE_FIELDS, SERVICE_METADATA_FIELDS, SERVICE_SPEC_FIELDS, SERVICE_PORT_FIELDS):
type ClusterIP (default), NodePort and LoadBalancer are read; an ExternalName Service
is skipped with a warning (capsule makes no DNS CNAMEs); `clusterIP: None` makes a
headless Service, any other address is ignored with a warning (capsule chooses
addresses); the cluster's traffic and address settings are ignored with a warning that
says why. The checks across ports are Kubernetes' own (translate/services.py).

A Service whose selector is empty selects nothing (capsule has no manual Endpoints):
a warning. Whether a selector matches a capsule of the input is the dispatcher's
business (translate/translation.py), since capsules come from every reader.
It must not import the kubernetes package.
"""

from __future__ import annotations

from dataclasses import dataclass

from translate.diagnostics import Path
from translate.fields import dns1035_problem, type_name
from translate.kubernetes.field_reader import KubeFieldReader
from translate.kubernetes.fields import (
    SERVICE_FIELDS,
    SERVICE_METADATA_FIELDS,
    SERVICE_PORT_FIELDS,
    SERVICE_SPEC_FIELDS,
)
from translate.kubernetes.namespaces import read_namespace
from translate.services import check_ports, check_relayed, target_port_problem, written_ports
from translate.spec import PROTOCOLS, SERVICE_TYPES, Service, ServicePort

EXTERNAL_NAME = "ExternalName"
_TYPES = " or ".join((*SERVICE_TYPES, EXTERNAL_NAME))


@dataclass(frozen=True)
class Skipped:
    """A Service capsule does not make (ExternalName): said in a warning, nothing else."""

    name: str


def read_service(r: KubeFieldReader, base: Path) -> Service | Skipped | None:
    """The Service at `base`; Skipped for an ExternalName one; None when it has errors."""
    errors_before = r.error_count
    r.sort(base, SERVICE_FIELDS, where="a Service")
    r.sort(base + ("metadata",), SERVICE_METADATA_FIELDS, where="metadata")
    name = r.text(base + ("metadata", "name"), required=True, expected="a name (a DNS-1035 label)")
    if name is not None and (problem := dns1035_problem(name)):
        r.error(base + ("metadata", "name"), problem)
    namespace = read_namespace(r, base)
    labels = r.labels(base + ("metadata", "labels"))
    spec = base + ("spec",)
    if not isinstance(r.raw(spec), dict):
        r.mapping(spec, required=True)  # the error: a Service needs at least its ports
        return None
    type_ = r.text(spec + ("type",), default="ClusterIP", expected=_TYPES)
    if type_ == EXTERNAL_NAME:
        r.warn(spec + ("type",), f"Service {name or '?'} is of type ExternalName, skipped: capsule makes "
               "no DNS CNAMEs", "give the programs the external name itself")
        return Skipped(name or "")
    if type_ is not None and type_ not in SERVICE_TYPES:
        r.error(spec + ("type",), f"found '{type_}', expected {_TYPES}")
    r.sort(spec, SERVICE_SPEC_FIELDS, where="a Service's spec")
    selector = r.labels(spec + ("selector",))
    if not selector:
        r.warn(spec + ("selector",), "is empty: the Service selects no capsule (capsule has no manual "
               "Endpoints)", "select its backends by their labels")
    headless = _headless(r, spec)
    ports = _ports(r, spec)
    check_ports(ports, written_ports(r.raw(spec + ("ports",))), spec, type_ or "ClusterIP", headless,
                lambda path, message, hint, of_value: r.error(path, message, hint, of_value=of_value))
    check_relayed(ports, headless, r.warn)
    if r.error_count > errors_before or name is None or namespace is None or type_ is None:
        return None
    return Service(name=name, namespace=namespace, selector=selector, ports=tuple(p for _, p in ports),
                   type=type_, headless=headless, labels=labels)


def _headless(r: KubeFieldReader, spec: Path) -> bool:
    address = r.text(spec + ("clusterIP",), expected="None, or an address")
    if address == "None":
        return True
    if address:
        r.ignored(spec + ("clusterIP",), "capsule chooses the Service's addresses in the namespace's network",
                  "remove clusterIP, or write None for a headless Service")
    return False


def _ports(r: KubeFieldReader, spec: Path) -> list[tuple[Path, ServicePort]]:
    ports = []
    for index, item in enumerate(r.items(spec + ("ports",))):
        path = spec + ("ports", index)
        if not isinstance(item, dict):
            r.error(path, f"found {type_name(item)}, expected a mapping with port and targetPort")
            continue
        r.sort(path, SERVICE_PORT_FIELDS, where="a Service port")
        number = r.integer(path + ("port",), required=True, low=1, high=65535, expected="a port number")
        protocol = r.text(path + ("protocol",), default="TCP", expected="TCP or UDP")
        if protocol == "SCTP":
            r.error(path + ("protocol",), "found 'SCTP': capsule's Services forward TCP and UDP only",
                    "use TCP or UDP")
        elif protocol not in PROTOCOLS:
            r.error(path + ("protocol",), f"found '{protocol}', expected TCP or UDP")
        target = _target_port(r, path + ("targetPort",))
        port_name = r.text(path + ("name",), expected="a port name (a DNS-1123 label)")
        node_port = r.integer(path + ("nodePort",), low=1, high=65535, expected="a port number")
        if number is not None and protocol in PROTOCOLS:
            ports.append((path, ServicePort(number, target if target is not None else number, protocol,
                                            port_name or None, node_port)))
    return ports


def _target_port(r: KubeFieldReader, path: Path) -> int | str | None:
    """A number, or the name of a backend's container port; None (the port itself) when absent."""
    value = r.raw(path)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        r.error(path, f"found {type_name(value)}, expected a port number or a container port's name")
        return None
    if problem := target_port_problem(value):
        r.error(path, problem, "remove the quotes" if isinstance(value, str) and value.isdigit() else None)
        return None
    return value
