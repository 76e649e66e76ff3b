"""Benchmark: `capsule update` of a 3-member capsule vs a plain create + delete of it.

A capsule of three busybox members (an httpd and two sidecars, each exiting at
once on SIGTERM, as well-behaved services do) behind the pause sandbox, publishing
a host port. Side by side in one run, each round:

- baseline: CapsuleService.create (wait until Running) + CapsuleService.delete;
- update, probes: the web member has a tcpSocket readinessProbe; the capsule is
  updated to the other of two specs that differ in the page served
  (runtime.update.update_capsule: images checked, old stopped and set aside, new
  built, ready by its probe, old removed);
- update, settle: the same without any readiness probe, so readiness means every
  member ran `--settle` seconds (default 3, as `capsule update`) without restart.

Prints the median of each and the ratios update/baseline. The issue's goal is an
update within 1.5x a create plus delete. The settle variant waits `settle` seconds
on purpose (a safety margin create does not take), so its ratio is shown, not judged.
Ratios, not absolute times, compare across machines.

Usage: .venv/bin/python bench/bench_update.py [--rounds 5] [--settle 3] [--json]
Needs a local engine (started if there is none, via tests/support/engines.py) and
the offline test images. Removes the capsules it made (found by their name label).
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

PORT = 18761


def capsule_text(name: str, page: str, *, probe: bool) -> str:
    readiness = """
      readinessProbe:
        tcpSocket: {port: 8080}
        periodSeconds: 1""" if probe else ""
    return f"""\
apiVersion: beta
kind: capsule
metadata:
  name: {name}
spec:
  containers:
    - name: web
      image: busybox:1.36
      command: ["sh", "-c", "mkdir -p /www; echo {page} > /www/index.html; trap 'exit 0' TERM; httpd -f -p 8080 -h /www & wait"]
      ports:
        - {{containerPort: 8080, hostPort: {PORT}}}{readiness}
    - name: logs
      image: busybox:1.36
      command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]
    - name: metrics
      image: busybox:1.36
      command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]
"""


async def run(rounds: int, settle: float) -> dict[str, Any]:
    from runtime.hosts.settings import HostSettings
    from runtime.service import CapsuleService
    from tests.support import engines
    from translate.translation import translate_text

    engine_info = engines.ensure_local_engine()
    engines.ensure_test_images(engine_info.client)
    os.environ["CAPSULE_HOME"] = tempfile.mkdtemp(prefix="capsule-bench-update-")
    name = f"bench-upd-{uuidlib.uuid4().hex[:6]}"
    times: dict[str, list[float]] = {"baseline": [], "update_probes": [], "update_settle": []}
    service = CapsuleService(hosts=[HostSettings("local", engine_info.url)])
    try:
        for round_ in range(rounds):
            plain = translate_text(capsule_text(name, "base", probe=False))
            began = time.perf_counter()
            await service.create(plain, wait=True, timeout=60)
            await service.delete([name])
            times["baseline"].append(time.perf_counter() - began)

            for key, probe in (("update_probes", True), ("update_settle", False)):
                await service.create(translate_text(capsule_text(name, "first", probe=probe)), wait=True, timeout=60)
                nxt = translate_text(capsule_text(name, f"round{round_}", probe=probe))
                began = time.perf_counter()
                await service.update(nxt, name, timeout=60, settle=settle)
                times[key].append(time.perf_counter() - began)
                await service.delete([name])
    finally:
        for container in engine_info.client.containers.list(all=True, filters={"label": f"capsule.name={name}"}):
            container.remove(force=True)
        for volume in engine_info.client.volumes.list(filters={"label": f"capsule.name={name}"}):
            volume.remove(force=True)
        await service.aclose()
    medians = {key: statistics.median(values) for key, values in times.items()}
    return {
        "rounds": rounds,
        "settle": settle,
        "median_seconds": {k: round(v, 3) for k, v in medians.items()},
        "ratio_update_probes": round(medians["update_probes"] / medians["baseline"], 2),
        "ratio_update_settle": round(medians["update_settle"] / medians["baseline"], 2),
        "goal": 1.5,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--settle", type=float, default=3.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = asyncio.run(run(args.rounds, args.settle))
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    m = result["median_seconds"]
    print(f"3-member capsule, median of {result['rounds']} rounds")
    print(f"  create + delete (baseline)      {m['baseline']:.2f} s")
    print(f"  update, readiness probe         {m['update_probes']:.2f} s   "
          f"{result['ratio_update_probes']:.2f}x baseline (goal <= {result['goal']}x)")
    print(f"  update, no probe, settle {result['settle']:g} s    {m['update_settle']:.2f} s   "
          f"{result['ratio_update_settle']:.2f}x baseline (waits the settle time on purpose)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
