"""A Service's container: the proxy that answers to its names, or a headless Service's record.

The proxy is a shell in a small image (busybox by default: `nc` and `sh` are all it
needs, and every host that runs capsules can pull it) listening on each TCP port of
the Service. Each connection runs `route PORT`, which reads the backends the runtime
listed for that port (`/capsule/ports/PORT`, lines of `ADDRESS:TARGETPORT`, rewritten
through the archive API whenever they change, so nothing is recreated) and relays the
connection to one of them, starting at a random one and going on to the next when a
backend does not accept within two seconds: connections spread over the backends, and
a backend that went away behind capsule's back costs a retry, not a failed connection.

A headless Service resolves to the backends themselves (their sandboxes carry its
names), so its container is only a record of the Service on the host: created, with
the Service in its labels, never started.

Pure: builds request bodies and archives; the I/O is in runtime.services.sync.
"""

from __future__ import annotations

import io
import json
import tarfile
from collections.abc import Mapping
from typing import Any

from runtime.labels import (
    LABEL_MANAGED_BY,
    LABEL_NAMESPACE,
    LABEL_ROLE,
    LABEL_SERVICE,
    LABEL_SERVICE_SPEC,
    MANAGED_BY,
    ROLE_SERVICE,
)
from runtime.services.names import service_aliases
from translate.spec import Service

DEFAULT_PROXY_IMAGE = "busybox:1.36"
BACKENDS_DIR = "capsule/ports"  # under / in the proxy
CONNECT_SECONDS = 2

# $1 is the Service port. An empty list (the runtime is rewriting it) is read again once.
ROUTE_SCRIPT = f"""#!/bin/sh
list=/{BACKENDS_DIR}/$1
set -- $(cat "$list" 2>/dev/null)
if [ $# -eq 0 ]; then sleep 0.2; set -- $(cat "$list" 2>/dev/null); fi
n=$#
[ "$n" -gt 0 ] || exit 1
start=$(( $(od -An -N2 -tu2 /dev/urandom) % n ))
i=0
while [ $i -lt $n ]; do
  eval target=\\${{$(( (start + i) % n + 1 ))}}
  nc -w {CONNECT_SECONDS} "${{target%:*}}" "${{target##*:}}" && exit 0
  i=$((i + 1))
done
exit 1
"""


def service_labels(service: Service, extra: Mapping[str, str]) -> dict[str, str]:
    labels = dict(extra)
    labels.update({
        LABEL_MANAGED_BY: MANAGED_BY,
        LABEL_ROLE: ROLE_SERVICE,
        LABEL_NAMESPACE: service.namespace,
        LABEL_SERVICE: service.name,
        LABEL_SERVICE_SPEC: spec_json(service),
    })
    return labels


def spec_json(service: Service) -> str:
    return json.dumps(service.to_dict(), sort_keys=True, separators=(",", ":"))


def proxied_ports(service: Service) -> list[int]:
    """The ports the proxy listens on: TCP ones (busybox nc relays no UDP; see docs)."""
    return sorted({p.port for p in service.ports if p.protocol == "TCP"})


def proxy_body(service: Service, *, image: str, network: str, extra_labels: Mapping[str, str]) -> dict[str, Any]:
    """The create body of a Service's container on the namespace's network."""
    labels = service_labels(service, extra_labels)
    if service.headless:
        return {"Image": image, "Cmd": ["true"], "Labels": labels, "HostConfig": {"NetworkMode": "none"}}
    ports = proxied_ports(service)
    listen = " ".join(str(p) for p in ports)
    script = f'for p in {listen}; do nc -ll -p "$p" -e /capsule/route "$p" & done; wait'
    exposed = {f"{p}/tcp": {} for p in ports}
    bindings: dict[str, list[dict[str, str]]] = {}
    for port in service.ports:
        published = port.node_port if port.node_port is not None else (
            port.port if service.type == "LoadBalancer" else None)
        if published is not None and port.protocol == "TCP":
            bindings.setdefault(f"{port.port}/tcp", []).append({"HostIp": "", "HostPort": str(published)})
    return {
        "Image": image,
        "Entrypoint": ["sh", "-c"],
        "Cmd": [script],
        "Labels": labels,
        "ExposedPorts": exposed,
        "HostConfig": {
            "NetworkMode": network,
            "PortBindings": bindings,
            # Restarts with the engine, like a sandbox: the names must outlive a reboot.
            "RestartPolicy": {"Name": "always"},
            "Init": True,  # reaps the relays that end
        },
        "NetworkingConfig": {"EndpointsConfig": {network: {
            "Aliases": service_aliases(service.name, service.namespace)}}},
    }


BackendTable = dict[int, list[tuple[str, int]]]  # Service port -> (address, targetPort)


def route_archive(table: BackendTable, *, with_script: bool) -> bytes:
    """A tar of /capsule/ports/PORT (and /capsule/route): what the proxy reads per connection."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        def add(path: str, text: str, mode: int) -> None:
            data = text.encode()
            info = tarfile.TarInfo(path)
            info.size, info.mode = len(data), mode
            tar.addfile(info, io.BytesIO(data))

        for folder in ("capsule", BACKENDS_DIR):
            info = tarfile.TarInfo(folder)
            info.type, info.mode = tarfile.DIRTYPE, 0o755
            tar.addfile(info)
        if with_script:
            add("capsule/route", ROUTE_SCRIPT, 0o755)
        for port, targets in sorted(table.items()):
            add(f"{BACKENDS_DIR}/{port}", "".join(f"{ip}:{target}\n" for ip, target in targets), 0o644)
    return buffer.getvalue()
