"""The floor for bench_lifecycle.py: the least a tool must do to run a capsule's containers.

    python bench/floor_engine_api.py up|down NAME MEMBERS LABEL [--bare-sleep]

up: create and start the sandbox (pause image, bridge network, shareable IPC), then
create and start MEMBERS busybox members joined to it (`container:<id>` for network
and IPC), all members in parallel. down: remove the members with force, in
parallel, then the sandbox. httpx over the unix socket, nothing else imported, so
the time is interpreter start-up, one import and the engine's own work.
Every container carries the label `capsule-bench=LABEL` so the benchmark can find it.
"""

import asyncio
import sys

import httpx

SOCKET = "/var/run/docker.sock"
SANDBOX_IMAGE = "registry.k8s.io/pause:3.10"
MEMBER_IMAGE = "busybox:1.36"
TRAPPED_SLEEP = ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]
BARE_SLEEP = ["sleep", "3600"]


async def main(mode: str, name: str, members: int, label: str, bare: bool) -> None:
    transport = httpx.AsyncHTTPTransport(uds=SOCKET)
    async with httpx.AsyncClient(transport=transport, base_url="http://docker", timeout=60) as client:

        async def call(method: str, path: str, **kwargs) -> httpx.Response:
            response = await client.request(method, path, **kwargs)
            if response.status_code >= 400:
                raise SystemExit(f"floor: {method} {path}: {response.status_code} {response.text}")
            return response

        labels = {"capsule-bench": label}
        if mode == "up":
            sandbox = {
                "Image": SANDBOX_IMAGE, "Hostname": name, "Labels": labels,
                "HostConfig": {"NetworkMode": "bridge", "IpcMode": "shareable", "RestartPolicy": {"Name": "always"}},
            }
            sid = (await call("POST", "/containers/create", params={"name": name}, json=sandbox)).json()["Id"]
            await call("POST", f"/containers/{sid}/start")

            async def member(i: int) -> None:
                body = {
                    "Image": MEMBER_IMAGE, "Cmd": BARE_SLEEP if bare else TRAPPED_SLEEP, "Labels": labels,
                    "HostConfig": {"NetworkMode": f"container:{sid}", "IpcMode": f"container:{sid}",
                                   "RestartPolicy": {"Name": "always"}},
                }
                created = await call("POST", "/containers/create", params={"name": f"{name}.m{i}"}, json=body)
                await call("POST", f"/containers/{created.json()['Id']}/start")

            await asyncio.gather(*(member(i) for i in range(members)))
        else:
            await asyncio.gather(*(call("DELETE", f"/containers/{name}.m{i}", params={"force": "1"})
                                   for i in range(members)))
            await call("DELETE", f"/containers/{name}", params={"force": "1"})


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], "--bare-sleep" in sys.argv))
