"""A backend whose readiness probe fails leaves its Service's answers, and comes back when ready.

On the local engine: two replicas behind one Service, each ready while /tmp/ready exists
(an exec readiness probe, as Kubernetes manifests write them). `capsule watch`'s
Services loop gives the Service its backends every half second here; the file is
removed in one replica behind capsule's back, and real connections through the Service's
name from a client capsule show which replicas answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import time

import pytest

from runtime.hosts.settings import local_host
from runtime.service import CapsuleService
from runtime.watch.watcher import Watcher
from support.applications import SERVE, client, fetch
from translate.spec import Capsule, Container, Port, Probe, Service, ServicePort
from translate.translation import Translation

pytestmark = pytest.mark.docker


def ready_when_file(name: str, labels: dict[str, str], namespace: str) -> Capsule:
    serve = "touch /tmp/ready && " + SERVE.format(name=name, port=8080)
    container = Container(name="main", image="busybox:1.36", command=("sh", "-c", serve), ports=(Port(8080),),
                          readiness_probe=Probe(exec_command=("test", "-f", "/tmp/ready"), period_seconds=1))
    return Capsule(name=name, containers=(container,), labels=tuple(labels.items()), namespace=namespace)


async def answers(me: str, host: str, times: int = 8) -> set[str]:
    return {await asyncio.to_thread(fetch, me, host, 80) for _ in range(times)}


async def eventually(check, what: str, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not await check():
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.5)


async def test_a_backend_that_is_not_ready_leaves_the_service_until_it_is_ready_again(
        unique_name, capsule_home, docker_engine) -> None:  # type: ignore[no-untyped-def]
    from support.engines import remove_test_objects

    namespace, labels = f"{unique_name}-ns", {"app": f"{unique_name}-web"}
    a, b = f"{unique_name}-a", f"{unique_name}-b"
    translation = Translation(
        capsules=[ready_when_file(a, labels, namespace), ready_when_file(b, labels, namespace),
                  client(f"{unique_name}-client", namespace)],
        services=[Service(f"{unique_name}-web", namespace, selector=tuple(labels.items()),
                          ports=(ServicePort(80, 8080),))])
    me, web = f"{unique_name}-client.main", f"{unique_name}-web"
    service = CapsuleService([local_host()])
    watcher = Watcher(service.ctx, names=[], services_every=0.5)
    task = None
    try:
        await service.create(translation, wait=True, timeout=60)
        assert await answers(me, web) == {a, b}
        task = asyncio.ensure_future(watcher.run())
        docker_engine.client.containers.get(f"{a}.main").exec_run(["rm", "/tmp/ready"])

        async def only_b() -> bool:
            return await answers(me, web, 6) == {b}
        await eventually(only_b, "the replica that is not ready still answered through the Service")
        docker_engine.client.containers.get(f"{a}.main").exec_run(["touch", "/tmp/ready"])

        async def both() -> bool:
            return await answers(me, web) == {a, b}
        await eventually(both, "the replica ready again did not come back into the Service")
    finally:
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await service.aclose()
        remove_test_objects(docker_engine.client, name_prefix=unique_name)
