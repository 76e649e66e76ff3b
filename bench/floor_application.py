"""The floor for bench_application.py: the least a tool must do to run that application's containers.

    python bench/floor_application.py up|down PREFIX CAPSULES PROXIES LABEL

up: create the network (a user-defined bridge), then, all at once, PROXIES busybox
containers on it (the Services' proxies), one created but not started (the headless
Service's record) and CAPSULES pause sandboxes on it (shareable IPC), each followed by
its busybox member joined to it (`container:<id>` for network and IPC). Each container
on the network has an alias, as capsule's have. down: remove every container of the
run with force, all at once, then the network. httpx over the unix socket, nothing
else imported, no ordering but sandbox before its member: so the time is interpreter
start-up, one import and the engine's own work. capsule also has to make the proxies
before the capsules (their addresses are the capsules' Service variables), build the
sandboxes of one host one after another (its placement lock), write the proxies'
backends and wait for readiness probes; none of that is here.
Every container carries the label `capsule-bench=LABEL` so the benchmark can find it.
"""

import asyncio
import json
import sys

from floor_engine import BUSYBOX, SANDBOX_IMAGE, TRAPPED_SLEEP, engine_api, joined, run


async def main(mode: str, prefix: str, capsules: int, proxies: int, label: str) -> None:
    async with engine_api() as call:
        labels = {"capsule-bench": label}
        network = f"{prefix}floor-net"
        if mode == "up":
            await call("POST", "/networks/create", json={"Name": network, "Driver": "bridge", "Labels": labels,
                                                         "CheckDuplicate": True})

            def on_network(alias: str) -> dict:
                return {"EndpointsConfig": {network: {"Aliases": [alias]}}}

            async def proxy(i: int) -> None:
                await run(call, f"{prefix}floor-svc{i}", {
                    "Image": BUSYBOX, "Cmd": TRAPPED_SLEEP, "Labels": labels, "NetworkingConfig": on_network(f"svc{i}"),
                    "HostConfig": {"NetworkMode": network, "RestartPolicy": {"Name": "always"}}})

            async def capsule(i: int) -> None:
                name = f"{prefix}floor-c{i}"
                sid = await run(call, name, {
                    "Image": SANDBOX_IMAGE, "Hostname": name, "Labels": labels, "NetworkingConfig": on_network(name),
                    "HostConfig": {"NetworkMode": network, "IpcMode": "shareable",
                                   "RestartPolicy": {"Name": "always"}}})
                await run(call, f"{name}.m", {"Image": BUSYBOX, "Cmd": TRAPPED_SLEEP, "Labels": labels,
                                              "HostConfig": joined(sid)})

            record = run(call, f"{prefix}floor-record", {"Image": BUSYBOX, "Cmd": TRAPPED_SLEEP, "Labels": labels},
                         start=False)
            await asyncio.gather(record, *(proxy(i) for i in range(proxies)), *(capsule(i) for i in range(capsules)))
        else:
            filters = json.dumps({"label": [f"capsule-bench={label}"]})
            listed = (await call("GET", "/containers/json", params={"all": "1", "filters": filters})).json()
            await asyncio.gather(*(call("DELETE", f"/containers/{c['Id']}", params={"force": "1"}) for c in listed))
            await call("DELETE", f"/networks/{network}")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]))
