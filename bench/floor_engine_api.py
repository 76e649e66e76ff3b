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

from floor_engine import BUSYBOX, SANDBOX_IMAGE, TRAPPED_SLEEP, engine_api, joined, run

BARE_SLEEP = ["sleep", "3600"]


async def main(mode: str, name: str, members: int, label: str, bare: bool) -> None:
    async with engine_api() as call:
        labels = {"capsule-bench": label}
        if mode == "up":
            sandbox = {
                "Image": SANDBOX_IMAGE, "Hostname": name, "Labels": labels,
                "HostConfig": {"NetworkMode": "bridge", "IpcMode": "shareable", "RestartPolicy": {"Name": "always"}},
            }
            sid = await run(call, name, sandbox)

            async def member(i: int) -> None:
                await run(call, f"{name}.m{i}", {"Image": BUSYBOX, "Cmd": BARE_SLEEP if bare else TRAPPED_SLEEP,
                                                 "Labels": labels, "HostConfig": joined(sid)})

            await asyncio.gather(*(member(i) for i in range(members)))
        else:
            await asyncio.gather(*(call("DELETE", f"/containers/{name}.m{i}", params={"force": "1"})
                                   for i in range(members)))
            await call("DELETE", f"/containers/{name}", params={"force": "1"})


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], "--bare-sleep" in sys.argv))
