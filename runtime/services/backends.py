"""Which capsules a Service sends its connections to, and on which port of theirs.

Pure: from the capsules observed on the hosts (their normalized spec carries their
namespace, labels and container ports) to the proxy's table.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

from runtime.observe.observed import ObservedCapsule
from runtime.observe.status import RUNNING, STARTING, derive_status
from runtime.services.proxy import BackendTable
from runtime.state.records import spec_labels, spec_metadata
from translate.spec import Service

# A capsule is a backend once its sandbox has an address and it has not settled in
# failure: a Starting capsule whose server is not up yet refuses, and the proxy tries
# the next backend.
_SERVING = (RUNNING, STARTING)


def namespace_of(capsule: ObservedCapsule) -> str | None:
    return spec_metadata(capsule.spec, "namespace")


def labels_of(capsule: ObservedCapsule) -> dict[str, str]:
    return spec_labels(capsule.spec)


def backends(service: Service, capsules: Iterable[ObservedCapsule],
             not_ready: Collection[str] = ()) -> list[ObservedCapsule]:
    """The capsules of the Service's namespace that its selector matches and that serve.

    `not_ready`: uuids whose readiness probe fails now (runtime.services.readiness).
    """
    return [c for c in capsules
            if namespace_of(c) == service.namespace and service.selects(labels_of(c))
            and c.ip and c.uuid not in not_ready and derive_status(c, c.spec)[0] in _SERVING]


def target_port(capsule: ObservedCapsule, target: int | str) -> int | None:
    """A number as it is; a name is the member's container port of that name (None: none has it)."""
    if isinstance(target, int):
        return target
    body = capsule.spec.get("spec") if isinstance(capsule.spec, dict) else None
    containers: Any = body.get("containers") if isinstance(body, dict) else None
    for container in containers if isinstance(containers, list) else []:
        for port in (container.get("ports") or []) if isinstance(container, dict) else []:
            if isinstance(port, dict) and port.get("name") == target:
                number = port.get("containerPort")
                return number if isinstance(number, int) else None
    return None


def backend_table(service: Service, capsules: Iterable[ObservedCapsule],
                  not_ready: Collection[str] = ()) -> BackendTable:
    """Service port -> (backend address, its target port), every backend that has the port."""
    chosen = backends(service, capsules, not_ready)
    table: BackendTable = {}
    for port in service.ports:
        if port.protocol != "TCP":
            continue
        targets = []
        for capsule in sorted(chosen, key=lambda c: c.name):
            number = target_port(capsule, port.target_port)
            if number is not None and capsule.ip:
                targets.append((capsule.ip, number))
        table[port.port] = targets
    return table
