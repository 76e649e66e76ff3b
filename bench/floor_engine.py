"""What the floor scripts share: the Engine API over the unix socket with httpx, and nothing else.

A floor is the least a tool must do to run some containers, timed as a whole process,
so these helpers import only httpx: the time stays interpreter start-up, one import and
the engine's own work. Every container a floor makes carries `capsule-bench=LABEL`.
"""

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import httpx

SOCKET = "/var/run/docker.sock"
SANDBOX_IMAGE = "registry.k8s.io/pause:3.10"
BUSYBOX = "busybox:1.36"
TRAPPED_SLEEP = ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]

Call = Callable[..., Awaitable[httpx.Response]]


@asynccontextmanager
async def engine_api() -> AsyncIterator[Call]:
    """`call(method, path, **kwargs)`: one Engine API request; a failure ends the floor with its answer."""
    transport = httpx.AsyncHTTPTransport(uds=SOCKET)
    async with httpx.AsyncClient(transport=transport, base_url="http://docker", timeout=60) as client:

        async def call(method: str, path: str, **kwargs) -> httpx.Response:
            response = await client.request(method, path, **kwargs)
            if response.status_code >= 400:
                raise SystemExit(f"floor: {method} {path}: {response.status_code} {response.text}")
            return response

        yield call


async def run(call: Call, name: str, body: dict, start: bool = True) -> str:
    """Create the container (and start it); its id."""
    created = (await call("POST", "/containers/create", params={"name": name}, json=body)).json()["Id"]
    if start:
        await call("POST", f"/containers/{created}/start")
    return created


def joined(sandbox_id: str) -> dict:
    """A member's HostConfig: the sandbox's network and IPC, restarted as capsule's members are."""
    return {"NetworkMode": f"container:{sandbox_id}", "IpcMode": f"container:{sandbox_id}",
            "RestartPolicy": {"Name": "always"}}
