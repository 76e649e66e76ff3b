"""A small application shaped like a real one, out of busybox stand-ins, for the Services tests.

A frontend of two replicas behind Service `web` (80 -> 8080), a backend behind Service
`api` on a named targetPort (the capsule is named like its Service, as a bare Pod often
is), a headless Service `db` for two StatefulSet-like members, a LoadBalancer for the
frontend, and a client capsule. Every server answers an HTTP request with its own name.
Names start with the test's prefix, so the session's clean-up finds all of it.
"""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path
from typing import Any

import yaml

from translate.spec import Capsule, Container, Port, Service, ServicePort
from translate.translation import Translation

SERVE = "mkdir -p /w && echo {name} > /w/index.html && exec httpd -f -p {port} -h /w"


def server(name: str, labels: dict[str, str], namespace: str, *, port: int = 8080, port_name: str | None = None,
           subdomain: str | None = None, host_port: int | None = None) -> Capsule:
    container = Container(
        name="main", image="busybox:1.36", command=("sh", "-c", SERVE.format(name=name, port=port)),
        ports=(Port(port, host_port=host_port, name=port_name),))
    return Capsule(name=name, containers=(container,), labels=tuple(labels.items()), namespace=namespace,
                   hostname=name if subdomain else None, subdomain=subdomain)


def client(name: str, namespace: str) -> Capsule:
    return Capsule(name=name, namespace=namespace, containers=(
        Container(name="main", image="busybox:1.36", command=("sleep", "600")),))


def application(prefix: str, namespace: str) -> Translation:
    web = {"app": f"{prefix}-web"}
    capsules = [
        server(f"{prefix}-web-a", web, namespace), server(f"{prefix}-web-b", web, namespace),
        server(f"{prefix}-api", {"app": f"{prefix}-api"}, namespace, port=9090, port_name="http-api"),
        server(f"{prefix}-db-0", {"app": f"{prefix}-db"}, namespace, port=5432, subdomain=f"{prefix}-db"),
        server(f"{prefix}-db-1", {"app": f"{prefix}-db"}, namespace, port=5432, subdomain=f"{prefix}-db"),
        client(f"{prefix}-client", namespace),
    ]
    services = [
        Service(f"{prefix}-web", namespace, selector=tuple(web.items()),
                ports=(ServicePort(80, 8080, name="http"),)),
        Service(f"{prefix}-api", namespace, selector=(("app", f"{prefix}-api"),),
                ports=(ServicePort(7070, "http-api"),)),
        Service(f"{prefix}-db", namespace, selector=(("app", f"{prefix}-db"),),
                ports=(ServicePort(5432, 5432),), headless=True),
        Service(f"{prefix}-lb", namespace, selector=tuple(web.items()), type="LoadBalancer",
                ports=(ServicePort(free_port(), 8080),)),
    ]
    return Translation(capsules=capsules, services=services)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(client_container: str, host: str, port: int, docker: list[str] | None = None) -> str:
    """One HTTP request from inside the client capsule, bounded by nc -w and the shell's timeout."""
    script = f'printf "GET / HTTP/1.0\\r\\n\\r\\n" | timeout 10 nc -w 5 {host} {port} | tail -n 1'
    done = subprocess.run([*(docker or ["docker"]), "exec", client_container, "sh", "-c", script],
                          capture_output=True, text=True, timeout=30)
    return done.stdout.strip()




def http_get(address: str, port: int) -> str:
    """One HTTP request from this machine; the last line of the answer."""
    with socket.create_connection((address, port), timeout=10) as conn:
        conn.sendall(b"GET / HTTP/1.0\r\n\r\n")
        conn.settimeout(10)
        reply = b""
        while chunk := conn.recv(4096):
            reply += chunk
    lines = reply.decode().strip().splitlines()
    return lines[-1] if lines else ""


def web_manifest(folder: Path, name: str, *, replicas: int, init_seconds: int, with_db: bool) -> Path:
    """The fault tests' application, in namespace `name`: a Deployment whose init container
    takes `init_seconds` behind Service NAME-web (80 -> 8080), and with `with_db` a
    StatefulSet member behind a headless Service NAME-db."""
    labels = {"app": f"{name}-web"}
    serve = "mkdir -p /w && hostname > /w/index.html && exec httpd -f -p 8080 -h /w"
    documents: list[dict[str, Any]] = [
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": f"{name}-web", "namespace": name},
         "spec": {"replicas": replicas, "selector": {"matchLabels": labels}, "template": {
             "metadata": {"labels": labels}, "spec": {
                 "initContainers": [{"name": "wait", "image": "busybox:1.36",
                                     "command": ["sleep", str(init_seconds)]}],
                 "containers": [{"name": "web", "image": "busybox:1.36", "command": ["sh", "-c", serve],
                                 "ports": [{"containerPort": 8080}]}]}}}},
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": f"{name}-web", "namespace": name},
         "spec": {"selector": labels, "ports": [{"port": 80, "targetPort": 8080}]}},
    ]
    if with_db:
        documents += [
            {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": f"{name}-db", "namespace": name},
             "spec": {"serviceName": f"{name}-db", "replicas": 1, "selector": {"matchLabels": {"app": f"{name}-db"}},
                      "template": {"metadata": {"labels": {"app": f"{name}-db"}}, "spec": {"containers": [
                          {"name": "db", "image": "busybox:1.36", "command": ["sleep", "600"]}]}}}},
            {"apiVersion": "v1", "kind": "Service", "metadata": {"name": f"{name}-db", "namespace": name},
             "spec": {"clusterIP": "None", "selector": {"app": f"{name}-db"}, "ports": [{"port": 5432}]}},
        ]
    path = folder / "app.yaml"
    path.write_text(yaml.safe_dump_all(documents))
    return path


def of_namespace(client: Any, namespace: str) -> dict[str, list[str]]:
    """Everything of the namespace on one engine, from its own list answers (the docker package)."""
    labelled = {"label": f"capsule.namespace={namespace}"}
    return {
        "containers": sorted(c["Names"][0].lstrip("/") for c in client.api.containers(all=True, filters=labelled)),
        "volumes": sorted(v["Name"] for v in client.api.volumes(filters=labelled).get("Volumes") or []),
        "networks": sorted(n["Name"] for n in client.api.networks(filters=labelled)),
    }
