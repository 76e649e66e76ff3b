"""An application on one real engine: Services by name and port, headless names, links, delete.

Built like a small real application out of busybox stand-ins that answer with their own
name: a frontend of two replicas behind Service `web` (80 -> 8080), a backend behind
Service `api` on a named targetPort, a headless Service `db` for two StatefulSet-like
members, a LoadBalancer for the frontend. A client capsule in the namespace reaches
every name in its four spellings with `nc`; the engine's own view (the docker package
as a second client) is checked for the network and aliases; a delete leaves nothing.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import time

import pytest

from runtime.hosts.settings import local_host
from runtime.service import CapsuleService
from runtime.services.names import network_name, service_container_name
from translate.spec import Capsule, Container, Port, Service, ServicePort
from translate.translation import Translation

pytestmark = pytest.mark.docker

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
                ports=(ServicePort(_free_port(), 8080),)),
    ]
    return Translation(capsules=capsules, services=services)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(client_container: str, host: str, port: int) -> str:
    """One HTTP request from inside the client capsule, bounded by nc -w and the shell's timeout."""
    script = f'printf "GET / HTTP/1.0\\r\\n\\r\\n" | timeout 10 nc -w 5 {host} {port} | tail -n 1'
    done = subprocess.run(["docker", "exec", client_container, "sh", "-c", script],
                          capture_output=True, text=True, timeout=30)
    return done.stdout.strip()


@pytest.fixture
def app_names(unique_name: str, docker_engine) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    from support.engines import remove_test_objects
    prefix = unique_name
    namespace = f"{unique_name}-ns"
    yield prefix, namespace
    remove_test_objects(docker_engine.client, name_prefix=prefix)


def test_every_service_name_answers_from_a_client_and_delete_leaves_nothing(
        app_names, capsule_home, docker_engine) -> None:  # type: ignore[no-untyped-def]
    prefix, namespace = app_names
    translation = application(prefix, namespace)
    lb_port = translation.services[3].ports[0].port

    async def create() -> list:
        async with CapsuleService([local_host()]) as service:
            return await service.create(translation, wait=True, timeout=60)

    results = asyncio.run(create())
    assert {r.name for r in results} >= {f"service/{prefix}-web", f"{prefix}-web-a", f"{prefix}-client"}

    docker = docker_engine.client
    net = docker.networks.get(network_name(namespace))
    attached = {c.name for c in net.containers}
    assert {f"{prefix}-web-a", f"{prefix}-web-b", f"{prefix}-client",
            service_container_name(namespace, f"{prefix}-web")} <= attached
    proxy = docker.containers.get(service_container_name(namespace, f"{prefix}-web"))
    aliases = proxy.attrs["NetworkSettings"]["Networks"][network_name(namespace)]["Aliases"]
    assert f"{prefix}-web.{namespace}.svc.cluster.local" in aliases

    me = f"{prefix}-client.main"
    for spelling in (f"{prefix}-web", f"{prefix}-web.{namespace}", f"{prefix}-web.{namespace}.svc",
                     f"{prefix}-web.{namespace}.svc.cluster.local"):
        assert fetch(me, spelling, 80) in (f"{prefix}-web-a", f"{prefix}-web-b"), spelling
    answers = {fetch(me, f"{prefix}-web", 80) for _ in range(16)}
    assert answers == {f"{prefix}-web-a", f"{prefix}-web-b"}  # both replicas serve
    assert fetch(me, f"{prefix}-api.{namespace}.svc.cluster.local", 7070) == f"{prefix}-api"  # named targetPort
    # Headless: the name resolves to the members themselves, on their own port; and each by its own name.
    assert fetch(me, f"{prefix}-db", 5432) in (f"{prefix}-db-0", f"{prefix}-db-1")
    assert fetch(me, f"{prefix}-db-1.{prefix}-db", 5432) == f"{prefix}-db-1"
    assert fetch(me, f"{prefix}-web-b", 8080) == f"{prefix}-web-b"  # a capsule by its own name
    # The LoadBalancer answers on the host.
    with socket.create_connection(("127.0.0.1", lb_port), timeout=10) as conn:
        conn.sendall(b"GET / HTTP/1.0\r\n\r\n")
        conn.settimeout(10)
        reply = b""
        while chunk := conn.recv(4096):
            reply += chunk
    assert reply.decode().strip().splitlines()[-1] in (f"{prefix}-web-a", f"{prefix}-web-b")
    # Kubernetes' service variables in a member.
    env = subprocess.run(["docker", "exec", me, "env"], capture_output=True, text=True, timeout=30).stdout
    proxy_ip = proxy.attrs["NetworkSettings"]["Networks"][network_name(namespace)]["IPAddress"]
    key = f"{prefix}-web".upper().replace("-", "_")
    assert f"{key}_SERVICE_HOST={proxy_ip}" in env and f"{key}_SERVICE_PORT=80" in env
    assert f"{key}_PORT_80_TCP=tcp://{proxy_ip}:80" in env

    # A replica removed behind the tool's back: the others keep answering the name.
    docker.containers.get(f"{prefix}-web-a.main").remove(force=True)
    docker.containers.get(f"{prefix}-web-a").remove(force=True)
    started = time.monotonic()
    assert {fetch(me, f"{prefix}-web", 80) for _ in range(6)} == {f"{prefix}-web-b"}
    assert time.monotonic() - started < 60

    async def delete() -> None:
        async with CapsuleService([local_host()]) as service:
            await service.delete([c.name for c in translation.capsules])
            await service.delete_services([(s.namespace, s.name) for s in translation.services])

    asyncio.run(delete())
    left = docker.containers.list(all=True, filters={"label": f"capsule.namespace={namespace}"})
    assert left == []
    assert docker.networks.list(names=[network_name(namespace)]) == []
