"""Kubernetes' service variables: what older applications read instead of DNS names.

For each Service of the namespace that has an address (not headless), as the kubelet
writes them: `NAME_SERVICE_HOST`, `NAME_SERVICE_PORT` (and `_PORTNAME` per named
port), `NAME_PORT`, and `NAME_PORT_<port>_<PROTO>` with `_PROTO`, `_PORT`, `_ADDR`.
NAME is the Service's name in upper case with `-` as `_`. A container's own env wins.
Pure.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from translate.spec import Service


def service_env(services: Iterable[Service], addresses: Mapping[str, str]) -> list[tuple[str, str]]:
    """The variables for these Services; `addresses` is Service name -> its proxy's address."""
    env: list[tuple[str, str]] = []
    for service in sorted(services, key=lambda s: s.name):
        address = addresses.get(service.name)
        if service.headless or not address or not service.ports:
            continue
        prefix = service.name.upper().replace("-", "_")
        first = service.ports[0]
        env.append((f"{prefix}_SERVICE_HOST", address))
        env.append((f"{prefix}_SERVICE_PORT", str(first.port)))
        for port in service.ports:
            if port.name:
                env.append((f"{prefix}_SERVICE_PORT_{port.name.upper().replace('-', '_')}", str(port.port)))
        env.append((f"{prefix}_PORT", f"{first.protocol.lower()}://{address}:{first.port}"))
        for port in service.ports:
            proto = port.protocol.lower()
            key = f"{prefix}_PORT_{port.port}_{port.protocol.upper()}"
            env += [(key, f"{proto}://{address}:{port.port}"), (f"{key}_PROTO", proto),
                    (f"{key}_PORT", str(port.port)), (f"{key}_ADDR", address)]
    return env
