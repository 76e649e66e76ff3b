"""A sandbox restart takes the port forwarder's network too; the watcher brings it back.

On the local engine: an application whose api capsule is named like its Service (so it
relays the Service's port itself, in a `._ports` container joined to its sandbox). The
sandbox is restarted behind capsule's back (`docker restart`), which leaves every
container joined to it with only `lo`; `capsule watch` restarts them into the new
namespace, the forwarder included, and every connection to the Service's bare name and
port answers again (the engine's DNS gives the proxy's address and the capsule's own).
"""

from __future__ import annotations

import asyncio
import contextlib
import time

import pytest

from runtime.hosts.settings import local_host
from runtime.service import CapsuleService
from runtime.watch.watcher import Watcher
from support.applications import application, fetch

pytestmark = pytest.mark.docker


async def test_the_watcher_rejoins_the_port_forwarder_after_a_sandbox_restart(
        unique_name, capsule_home, docker_engine) -> None:  # type: ignore[no-untyped-def]
    from support.engines import remove_test_objects

    prefix, namespace = unique_name, f"{unique_name}-ns"
    translation = application(prefix, namespace)
    me, api = f"{prefix}-client.main", f"{prefix}-api"
    service = CapsuleService([local_host()])
    watcher = Watcher(service.ctx, names=[api], services_every=0.5)
    task = None
    try:
        await service.create(translation, wait=True, timeout=60)
        assert {await asyncio.to_thread(fetch, me, api, 7070) for _ in range(6)} == {api}
        task = asyncio.ensure_future(watcher.run())
        await asyncio.sleep(1)  # following the engine's events (the cursor) before the restart
        docker_engine.client.containers.get(api).restart(timeout=1)
        deadline = time.monotonic() + 30
        while True:
            answers = [await asyncio.to_thread(fetch, me, api, 7070) for _ in range(8)]
            if answers == [api] * 8:
                break
            assert time.monotonic() < deadline, f"the api's name and port did not all answer again: {answers}"
            await asyncio.sleep(0.5)
        forwarder = docker_engine.client.containers.get(f"{api}._ports")
        sandbox = docker_engine.client.containers.get(api)
        assert forwarder.attrs["State"]["StartedAt"] > sandbox.attrs["State"]["StartedAt"]
    finally:
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await service.aclose()
        remove_test_objects(docker_engine.client, name_prefix=unique_name)
