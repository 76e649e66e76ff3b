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
import subprocess
import time

import pytest

from runtime.errors import SchedulingError
from runtime.hosts.settings import local_host
from runtime.service import CapsuleService
from runtime.services.names import network_name, service_container_name
from support.applications import application, fetch, http_get
from translate.spec import Capsule, Container, ResourceAmounts, Resources, Service, ServicePort
from translate.translation import Translation

pytestmark = pytest.mark.docker


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
    # The api capsule is named like its Service: the engine's DNS answers the bare name with
    # both, and the capsule relays the Service's port itself.
    assert {fetch(me, f"{prefix}-api", 7070) for _ in range(8)} == {f"{prefix}-api"}
    # Headless: the name resolves to the members themselves, on their own port; and each by its own name.
    assert fetch(me, f"{prefix}-db", 5432) in (f"{prefix}-db-0", f"{prefix}-db-1")
    assert fetch(me, f"{prefix}-db-1.{prefix}-db", 5432) == f"{prefix}-db-1"
    assert fetch(me, f"{prefix}-web-b", 8080) == f"{prefix}-web-b"  # a capsule by its own name
    # The LoadBalancer answers on the host.
    assert http_get("127.0.0.1", lb_port) in (f"{prefix}-web-a", f"{prefix}-web-b")
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
    left = docker.containers.list(ignore_removed=True, all=True, filters={"label": f"capsule.namespace={namespace}"})
    assert left == []
    assert docker.networks.list(names=[network_name(namespace)]) == []


def test_a_published_port_in_use_is_a_placement_reason_and_nothing_is_made(
        app_names, capsule_home, docker_engine, session_labels) -> None:  # type: ignore[no-untyped-def]
    prefix, namespace = app_names
    translation = application(prefix, namespace)
    lb_port = translation.services[3].ports[0].port
    holder = docker_engine.client.containers.run("busybox:1.36", ["sleep", "600"], detach=True,
                                                 labels=session_labels, ports={"8080/tcp": lb_port})
    try:
        async def create() -> None:
            async with CapsuleService([local_host()]) as service:
                await service.create(translation, wait=True, timeout=60)

        with pytest.raises(SchedulingError) as failed:
            asyncio.run(create())
        assert f"namespace {namespace}" in str(failed.value) and f"{lb_port}/TCP" in str(failed.value)
        docker = docker_engine.client
        assert docker.containers.list(ignore_removed=True, all=True, filters={"label": f"capsule.namespace={namespace}"}) == []
        assert docker.networks.list(names=[network_name(namespace)]) == []
    finally:
        holder.remove(force=True)


def test_an_application_that_does_not_fit_its_host_as_a_whole_makes_nothing(
        app_names, capsule_home, docker_engine) -> None:  # type: ignore[no-untyped-def]
    """Each capsule fits alone; together they ask for more CPU than the host has: refused
    before anything runs (no capsule made and the next one refused), Services and network gone."""
    prefix, namespace = app_names
    cores = docker_engine.client.info()["NCPU"]
    hungry = Container(name="main", image="busybox:1.36", command=("sleep", "600"),
                       resources=Resources(requests=ResourceAmounts(cpu=cores * 0.7)))
    capsules = [Capsule(name=f"{prefix}-{i}", containers=(hungry,), labels=(("app", prefix),), namespace=namespace)
                for i in range(2)]
    translation = Translation(capsules=capsules, services=[
        Service(f"{prefix}-svc", namespace, selector=(("app", prefix),), ports=(ServicePort(80, 8080),))])

    async def create() -> None:
        async with CapsuleService([local_host()]) as service:
            await service.create(translation, wait=True, timeout=60)

    with pytest.raises(SchedulingError) as failed:
        asyncio.run(create())
    assert "insufficient cpu" in str(failed.value).lower(), failed.value
    docker = docker_engine.client
    assert docker.containers.list(ignore_removed=True, all=True, filters={"label": f"capsule.namespace={namespace}"}) == []
    assert docker.networks.list(names=[network_name(namespace)]) == []
