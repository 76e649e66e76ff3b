"""A Service's container on one host: found from its labels, made, given its backends, removed.

The host is the truth here as for capsules: the Service's spec is in its container's
labels (`capsule.service-spec`), so any command on any machine sees the Services of a
namespace with one list call.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from runtime.build.images import ensure_image
from runtime.build.teardown import remove_container
from runtime.engine.client import EngineClient
from runtime.engine.errors import Conflict, EngineError
from runtime.errors import BuildFailed
from runtime.labels import LABEL_MANAGED_BY, LABEL_NAMESPACE, LABEL_ROLE, LABEL_SERVICE_SPEC, MANAGED_BY, ROLE_SERVICE
from runtime.services.names import network_name, service_container_name
from runtime.services.proxy import BackendTable, proxy_body, route_archive
from translate.spec import DEFAULT_NAMESPACE, Service, ServicePort


@dataclass
class ObservedService:
    """A Service as its container on a host says: the spec, and the proxy's address there."""

    host: str
    service: Service
    container: str  # Docker name
    state: str  # the container's: running for a proxy, created for a headless record
    ip: str | None = None
    network: str | None = None  # the namespace's network it is on (None: a headless record)


def service_from_dict(data: Mapping[str, Any]) -> Service:
    """A Service from `Service.to_dict()` (the label), tolerant of what an older version wrote."""
    metadata = data.get("metadata") or {}
    spec = data.get("spec") or {}
    ports = tuple(
        ServicePort(port=int(p["port"]), target_port=p.get("targetPort", p["port"]),
                    protocol=str(p.get("protocol") or "TCP"), name=p.get("name"), node_port=p.get("nodePort"))
        for p in spec.get("ports") or [] if isinstance(p, dict) and isinstance(p.get("port"), int)
    )
    return Service(
        name=str(metadata.get("name") or ""),
        namespace=str(metadata.get("namespace") or DEFAULT_NAMESPACE),
        selector=tuple(sorted((str(k), str(v)) for k, v in (spec.get("selector") or {}).items())),
        ports=ports,
        type=str(spec.get("type") or "ClusterIP"),
        headless=spec.get("clusterIP") == "None",
        labels=tuple(sorted((str(k), str(v)) for k, v in (metadata.get("labels") or {}).items())),
    )


def _observed(host: str, entry: Mapping[str, Any]) -> ObservedService | None:
    labels = entry.get("Labels") or {}
    try:
        service = service_from_dict(json.loads(labels.get(LABEL_SERVICE_SPEC) or "{}"))
    except (ValueError, TypeError, KeyError):
        return None  # a label we cannot read is not a Service we can serve; `capsule gc` shows it
    if not service.name:
        return None
    network, address = _endpoint(entry, service)
    names = entry.get("Names") or [""]
    return ObservedService(host, service, names[0].lstrip("/"), str(entry.get("State") or ""), address, network)


def _endpoint(data: Mapping[str, Any], service: Service) -> tuple[str | None, str | None]:
    """The network the proxy is on (its NetworkMode: the namespace's, or --network's) and its address there."""
    if service.headless:
        return None, None
    network = (data.get("HostConfig") or {}).get("NetworkMode") or network_name(service.namespace)
    networks = ((data.get("NetworkSettings") or {}).get("Networks") or {})
    return network, (networks.get(network) or {}).get("IPAddress") or None


async def observe_services(engine: EngineClient, host: str, namespace: str | None = None) -> list[ObservedService]:
    """The Services on the host (of one namespace, or all), from one list call."""
    labels = [f"{LABEL_MANAGED_BY}={MANAGED_BY}", f"{LABEL_ROLE}={ROLE_SERVICE}"]
    if namespace is not None:
        labels.append(f"{LABEL_NAMESPACE}={namespace}")
    entries = await engine.list_containers(all=True, filters={"label": labels})
    found = [_observed(host, e) for e in entries]
    return sorted((s for s in found if s is not None), key=lambda s: (s.service.namespace, s.service.name))


async def make_service(engine: EngineClient, host: str, service: Service, *, image: str,
                       extra_labels: Mapping[str, str], network: str | None = None) -> ObservedService:
    """Create (and, unless headless, start) the Service's container; nothing is left on failure.

    `network` defaults to the namespace's (which must exist: runtime.services.network).
    """
    name = service_container_name(service.namespace, service.name)
    network = network or network_name(service.namespace)
    await ensure_image(engine, image, "IfNotPresent", host=host)
    body = proxy_body(service, image=image, network=network, extra_labels=extra_labels)
    try:
        await engine.create_container(body, name=name)
    except Conflict:
        raise BuildFailed(f"service {service.name} already exists in namespace {service.namespace} on host "
                          f"{host}; delete it first (capsule delete service/{service.name}) or use capsule "
                          f"apply", host=host) from None
    try:
        if not service.headless:
            await engine.put_archive(name, "/", route_archive({}, with_script=True))
            await engine.start(name)
        data = await engine.inspect(name)
    except BaseException as exc:
        with contextlib.suppress(Exception):
            await remove_container(engine, name)
        if isinstance(exc, EngineError):
            text = str(exc.engine_message or exc) if hasattr(exc, "engine_message") else str(exc)
            if "already in use" in text or "already allocated" in text:
                ports = ", ".join(str(p) for p, _ in service.published_ports)
                raise BuildFailed(f"service {service.name} cannot publish port {ports} on host {host}: it is "
                                  f"already in use there; free it, or choose another nodePort (or, for a "
                                  f"LoadBalancer, port)", host=host) from exc
            raise BuildFailed(f"service {service.name} could not be started on host {host}: {exc}",
                              host=host) from exc
        raise
    network, address = _endpoint(data, service)
    state = str((data.get("State") or {}).get("Status") or "")
    return ObservedService(host, service, name, state, address, network)


async def write_backends(engine: EngineClient, observed: ObservedService, table: BackendTable) -> None:
    """Give the proxy its backends: the files it reads for every connection."""
    if observed.service.headless:
        return
    await engine.put_archive(observed.container, "/", route_archive(table, with_script=False))


async def remove_service(engine: EngineClient, observed: ObservedService) -> bool:
    return await remove_container(engine, observed.container)
