"""Liveness, readiness and startup probes of a Kubernetes container.

A probe has exactly one action (exec, httpGet, tcpSocket or grpc). Named ports are
resolved to the container's port numbers here, so the runtime needs no lookup (a grpc
port is a number only, as in Kubernetes), and timings get Kubernetes' defaults (a 0
counts as unset, as the API server treats it). It must not import the kubernetes
package.
"""

from __future__ import annotations

from typing import Any

from translate.diagnostics import Path
from translate.fields import type_name
from translate.kubernetes.field_reader import KubeFieldReader
from translate.kubernetes.fields import (
    EXEC_FIELDS,
    GRPC_FIELDS,
    HTTP_GET_FIELDS,
    HTTP_HEADER_FIELDS,
    PROBE_FIELDS,
    TCP_SOCKET_FIELDS,
)
from translate.spec import Probe

PROBES = ("livenessProbe", "readinessProbe", "startupProbe")

# Kubernetes' defaults; the API server also puts them in place of a 0.
_TIMINGS = {
    "initialDelaySeconds": 0,
    "periodSeconds": 10,
    "timeoutSeconds": 1,
    "successThreshold": 1,
    "failureThreshold": 3,
}
_INT32_MAX = 2**31 - 1
_ACTIONS = ("exec", "httpGet", "tcpSocket", "grpc")


def read_probe(r: KubeFieldReader, path: Path, ports: dict[str, int]) -> Probe | None:
    """The probe at `path` (a container's livenessProbe, ...), or None."""
    if r.raw(path) is None:
        return None
    body = r.sort(path, PROBE_FIELDS, where="a probe")
    actions = [a for a in _ACTIONS if body.get(a) is not None]
    if len(actions) != 1:
        r.error(path, f"has {len(actions)} actions, expected exactly one of exec, httpGet, tcpSocket or grpc",
                of_value=False)
        return None
    timings = {}
    for name, default in _TIMINGS.items():
        value = r.integer(path + (name,), default=default, low=0, high=_INT32_MAX,
                          expected="a whole number")
        timings[name] = value or default
    if path[-1] in ("livenessProbe", "startupProbe") and timings["successThreshold"] != 1:
        r.error(path + ("successThreshold",),
                f"found {timings['successThreshold']}, expected 1 for a {path[-1]}",
                "only a readinessProbe may need several successes")
    common = dict(
        initial_delay_seconds=timings["initialDelaySeconds"],
        period_seconds=timings["periodSeconds"],
        timeout_seconds=timings["timeoutSeconds"],
        success_threshold=timings["successThreshold"],
        failure_threshold=timings["failureThreshold"],
    )
    action = actions[0]
    where = path + (action,)
    if action == "exec":
        r.sort(where, EXEC_FIELDS, where="exec")
        command = r.texts(where + ("command",))
        if not command:
            if not r.has(where + ("command",)) or r.raw(where + ("command",)) in (None, []):
                # Only when it is missing: a command of the wrong type already said what is wrong.
                r.error(where + ("command",), "is required: expected the command to run, as a list",
                        of_value=False)
            return None
        return Probe(exec_command=command, **common)
    if action == "tcpSocket":
        r.sort(where, TCP_SOCKET_FIELDS, where="tcpSocket")
        port = _port(r, where + ("port",), ports)
        return Probe(tcp_port=port, **common) if port else None
    if action == "httpGet":
        return _http_get(r, where, ports, common)
    return _grpc(r, where, common)


def _grpc(r: KubeFieldReader, where: Path, common: dict[str, Any]) -> Probe | None:
    r.sort(where, GRPC_FIELDS, where="grpc")
    port_path = where + ("port",)
    value: Any = r.raw(port_path)
    if isinstance(value, str) and not value.strip().isdigit():
        r.error(port_path, f"found '{value}', expected a port number",
                "a grpc probe's port is a number in Kubernetes, never a port's name")
        return None
    port = r.integer(port_path, required=True, low=1, high=65535, expected="a port number")
    service = r.text(where + ("service",), expected="the name of a gRPC service")
    mode = r.text(where + ("mode",), default="Plaintext", expected="Plaintext or TLS")
    if mode not in ("Plaintext", "TLS"):
        r.error(where + ("mode",), f"found '{mode}', expected Plaintext or TLS")
        return None
    if port is None:
        return None
    # "" asks for the server's overall health, as leaving the service out does.
    return Probe(grpc_port=port, grpc_service=service or None, grpc_tls=mode == "TLS", **common)


def _http_get(r: KubeFieldReader, where: Path, ports: dict[str, int],
              common: dict[str, Any]) -> Probe | None:
    r.sort(where, HTTP_GET_FIELDS, where="httpGet")
    port = _port(r, where + ("port",), ports)
    scheme = r.text(where + ("scheme",), default="HTTP", expected="HTTP or HTTPS")
    if scheme not in ("HTTP", "HTTPS"):
        r.error(where + ("scheme",), f"found '{scheme}', expected HTTP or HTTPS")
    headers = []
    for index in range(len(r.items(where + ("httpHeaders",)))):
        header = where + ("httpHeaders", index)
        r.sort(header, HTTP_HEADER_FIELDS, where="an HTTP header")
        name = r.text(header + ("name",), required=True, expected="a header name")
        value = r.text(header + ("value",), default="")
        if name:
            headers.append((name, value or ""))
    if not port:
        return None
    return Probe(
        http_path=r.text(where + ("path",)) or "/",  # as the kubelet asks, and as the capsule format reads it
        http_port=port,
        http_host=r.text(where + ("host",)),
        http_scheme=scheme if scheme in ("HTTP", "HTTPS") else "HTTP",
        http_headers=tuple(headers),
        **common,
    )


def _port(r: KubeFieldReader, path: Path, ports: dict[str, int]) -> int | None:
    """A port number, or the name of one of the container's ports."""
    value: Any = r.raw(path)
    if value is None:
        r.error(path, "is required: expected a port number or the name of a container port",
                of_value=False)
        return None
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, str):
        if value in ports:
            return ports[value]
        known = ", ".join(sorted(ports)) or "none"
        r.error(path, f"'{value}' names no port of this container",
                f"use a port number, or one of the named ports: {known}")
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        r.error(path, f"found {type_name(value)}, expected a port number or name")
        return None
    if not 1 <= value <= 65535:
        r.error(path, f"found {value}, expected a port from 1 to 65535")
        return None
    return value
