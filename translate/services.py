"""What both readers of Services share: Kubernetes' rules for ports, and `FoundService`.

The Kubernetes reader (translate/kubernetes/services.py) and the capsule-format reader
(translate/capsule/services.py) read fields their own way, then hand the ports they
found, each with its path, to `check_ports`, which says what Kubernetes would refuse:
a port name missing or repeated when there are several ports, a (port, protocol) pair
given twice, a nodePort on a ClusterIP Service, a headless Service that is not of type
ClusterIP or a Service without ports that is not headless. `target_port_problem` checks
a targetPort: a number, or the name of a backend's container port.

`FoundService` is a Service with where it was written, for the dispatcher
(translate/translation.py), which checks names across the whole input and says when a
selector matches no capsule. Pure: it reports through the `Complaint` callback and
imports no reader.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from translate.diagnostics import Path
from translate.fields import dns1123_problem, is_port_name
from translate.source import Document
from translate.spec import Service, ServicePort

# complain(path, message, hint, of_value)
Complaint = Callable[[Path, str, "str | None", bool], None]


@dataclass(frozen=True)
class FoundService:
    """A Service as read, and where: the document and the object's path in it."""

    service: Service
    doc: Document
    base: Path = ()

    @property
    def where(self) -> str:
        return f"{self.doc.file}:{self.doc.position(self.base + ('metadata', 'name'))[0]}"


def target_port_problem(value: int | str) -> str | None:
    """Why `value` cannot be a targetPort (a port number, or an IANA service name), or None."""
    if isinstance(value, int):
        return None if 1 <= value <= 65535 else f"found {value}, expected a port number from 1 to 65535"
    if not is_port_name(value):
        return (f"'{value}' is neither a port number nor a port name: a name is at most 15 lower-case "
                "letters, digits and single '-', with at least one letter")
    return None


def written_ports(value: object) -> int:
    """How many ports the input gives: a value that is not a list counts as one (reported on its own)."""
    if isinstance(value, list):
        return len(value)
    return 0 if value is None else 1


def check_ports(ports: list[tuple[Path, ServicePort]], written: int, spec: Path, type_: str, headless: bool,
                complain: Complaint) -> None:
    """Kubernetes' checks across one Service's ports (each already read on its own; `written`
    counts those given, read or not)."""
    if not written and not headless:
        complain(spec + ("ports",), "is required: a Service needs at least one port", "add a port, or "
                 "write clusterIP: None for a headless Service that only names its backends", False)
    if headless and type_ != "ClusterIP":
        complain(spec + ("clusterIP",), f"is None (headless), which a Service of type {type_} cannot be",
                 "remove clusterIP, or use type ClusterIP", True)
    names: dict[str, Path] = {}
    pairs: dict[tuple[int, str], Path] = {}
    for path, port in ports:
        if port.name is None:
            if written > 1:
                complain(path + ("name",), "is required when a Service has several ports",
                         "give each port a name", False)
        elif problem := dns1123_problem(port.name):
            complain(path + ("name",), problem, None, True)
        elif port.name in names:
            complain(path + ("name",), f"port name '{port.name}' is used twice in this Service",
                     "give each port its own name", True)
        else:
            names[port.name] = path
        if (port.port, port.protocol) in pairs:
            complain(path + ("port",), f"{port.port}/{port.protocol} is already a port of this Service",
                     "give each port and protocol once", True)
        pairs.setdefault((port.port, port.protocol), path)
        if port.node_port is not None and type_ == "ClusterIP":
            complain(path + ("nodePort",), "is only for a Service of type NodePort or LoadBalancer",
                     "remove nodePort, or set type: NodePort", False)


def check_relayed(ports: list[tuple[Path, ServicePort]], headless: bool,
                  warn: Callable[[Path, str, str], None]) -> None:
    """A UDP port of a Service with a proxy: capsule's proxy relays TCP only (docs/applications.md).

    A warning, since the port would not answer on the Service's name: a headless
    Service's names lead to the backends themselves, UDP included.
    """
    if headless:
        return
    for path, port in ports:
        if port.protocol == "UDP":
            warn(path + ("protocol",), f"UDP port {port.port} is not relayed by the Service's proxy, which "
                 "relays TCP only", "reach UDP through a headless Service (clusterIP: None) or the capsules' "
                 "own names")
