"""Benchmark: time to heal a capsule after `docker restart` of its sandbox.

A capsule of two busybox members (an httpd and a client, both exiting at once on
SIGTERM, as well-behaved services do) behind a pause sandbox. Each round, side by
side in one run:

- heal:  with the watcher running (runtime.watch.watcher, as an asyncio task limited to
         this capsule), the sandbox is restarted through the docker package; timed
         from the restart call until the client fetches the web page over
         localhost AND both members sit in the sandbox's new namespace (its address
         on their interface);
- floor: the same restart, then the members restarted by hand at once (what a
         person who knows the pitfall would do); timed the same way;
- restart: the `docker restart` call of the sandbox alone.

Prints the median of each, and heal/floor (the watcher's own cost: event delivery,
the staleness check, the heal grace does not apply since the members stop at once).
The issue's goal is healed within 10 s. Ratios, not absolute times, compare across
machines.

Usage: .venv/bin/python bench/bench_heal.py [--rounds 5] [--json]
Needs a local engine (started if there is none, via tests/support/engines.py) and
the offline test images. Removes the capsule it made (found by its name label).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
import uuid as uuidlib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

WEB = ("sh", "-c", "mkdir -p /www && echo healed > /www/index.html; trap 'exit 0' TERM; "
                   "httpd -f -p 8080 -h /www & wait")
CLIENT = ("sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait")
FETCH = ["timeout", "2", "wget", "-qO-", "http://127.0.0.1:8080/"]


def healed(client: Any, name: str) -> bool:
    try:
        address = client.containers.get(name).attrs["NetworkSettings"]["IPAddress"]
        for member in ("web", "client"):
            code, out = client.containers.get(f"{name}.{member}").exec_run(["ip", "-4", "addr"])
            if code != 0 or f"inet {address}/" not in out.decode():
                return False
        code, out = client.containers.get(f"{name}.client").exec_run(FETCH)
        return code == 0 and out.decode().strip() == "healed"
    except Exception:  # a member restarting cannot exec yet
        return False


async def wait_healed(client: Any, name: str, began: float, limit: float = 30.0) -> float:
    while not await asyncio.to_thread(healed, client, name):
        if time.monotonic() - began > limit:
            raise RuntimeError(f"capsule {name} did not heal within {limit} s")
        await asyncio.sleep(0.05)
    return time.monotonic() - began


async def bench(rounds: int) -> dict[str, Any]:
    from runtime.build.builder import build_capsule
    from runtime.build.model import BuildOptions
    from runtime.build.teardown import remove_capsule
    from runtime.engine.client import EngineClient
    from runtime.hosts.settings import HostSettings
    from runtime.service import CapsuleService
    from runtime.watch.watcher import Watcher
    from tests.support import engines
    from translate.secrets import SecretStore
    from translate.spec import Capsule, Container

    engine_info = engines.ensure_local_engine()
    engines.ensure_test_images(engine_info.client)
    client = engine_info.client
    os.environ["CAPSULE_HOME"] = tempfile.mkdtemp(prefix="capsule-bench-heal-")
    os.environ.pop("CAPSULE_WEBHOOK_URL", None)
    name = f"bench-heal-{os.getpid()}"
    spec = Capsule(name, (Container("web", "busybox:1.36", command=WEB),
                          Container("client", "busybox:1.36", command=CLIENT)))
    times: dict[str, list[float]] = {"heal": [], "floor": [], "restart": []}
    async with await EngineClient.connect(engine_info.url) as engine:
        await build_capsule(engine, spec, SecretStore(), host="local", uuid=uuidlib.uuid4().hex, revision=1,
                            options=BuildOptions())
        service = CapsuleService(hosts=[HostSettings("local", engine_info.url)])
        try:
            await wait_healed(client, name, time.monotonic())
            sandbox = client.containers.get(name)
            for _ in range(rounds):
                # floor: restart by hand, members right after
                began = time.monotonic()
                await asyncio.to_thread(sandbox.restart, timeout=1)
                times["restart"].append(time.monotonic() - began)
                for member in ("web", "client"):
                    await asyncio.to_thread(client.containers.get(f"{name}.{member}").restart, timeout=1)
                times["floor"].append(await wait_healed(client, name, began))
                # heal: the watcher does it
                watcher = Watcher(service.ctx, names=[name], heal_grace=1, probe_tick=0.2)
                task = asyncio.ensure_future(watcher.run())
                while watcher.cursor.since("local") is None:
                    await asyncio.sleep(0.05)
                await asyncio.sleep(0.3)  # the event stream is open
                began = time.monotonic()
                await asyncio.to_thread(sandbox.restart, timeout=1)
                times["heal"].append(await wait_healed(client, name, began))
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        finally:
            # The capsule first: a service that fails to close must not leave it running.
            try:
                await asyncio.shield(remove_capsule(engine, host="local", name=name))
            finally:
                await service.aclose()
    medians = {key: statistics.median(values) for key, values in times.items()}
    return {"rounds": rounds, "median_seconds": medians, "samples": times,
            "heal_over_floor": medians["heal"] / medians["floor"], "goal_seconds": 10.0,
            "goal_met": max(times["heal"]) < 10.0}


def report(result: dict[str, Any]) -> str:
    m = result["median_seconds"]
    return "\n".join([
        f"heal after a sandbox restart, median of {result['rounds']} rounds:",
        f"  sandbox restart call alone      {m['restart']:.2f} s",
        f"  floor (restart members by hand) {m['floor']:.2f} s",
        f"  watcher heal                    {m['heal']:.2f} s   (slowest {max(result['samples']['heal']):.2f} s)",
        f"  heal / floor                    {result['heal_over_floor']:.2f}x",
        f"goal: healed within {result['goal_seconds']:g} s: {'met' if result['goal_met'] else 'NOT met'}",
    ])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    from runtime.event_loop import run  # SIGTERM and SIGHUP cancel as Ctrl-C does: the capsule is removed

    result = run(bench(args.rounds))
    print(json.dumps(result, indent=2) if args.json else report(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
