"""Benchmark: `capsule list` as a whole process over 3 real hosts holding 200 capsules.

Goal (issue 4): at most 0.5 s. Three extra Docker engines are started in network
namespaces (tests/support, the same code the tests use; one of them TLS-only), the
inventory names them, and 200 capsules of one member each are built on them with
the real builder (in parallel batches). Then, in the same run:

- `capsule list -o json` (a fresh process each time; the first run fills the store
  and is reported apart; then, once every container has run for a minute, the
  steady-state runs are the figure);
- the baseline: a minimal Python process that imports httpx and lists the
  containers of the 3 hosts concurrently (`GET /containers/json`, the least any
  Python client must do), and the docker CLI's `docker ps -a` against the 3 hosts
  one after the other, when the docker CLI is installed.

Figures move with the machine's load; compare the ratios. Everything made is
removed at the end (the capsules, then the engines with their namespaces).

    .venv/bin/python bench/bench_list.py [--capsules 200] [--runs 7]

Needs root (network namespaces) and dockerd, as the multihost tests do. Exits 1
when the median list is above the goal.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid as uuidlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from runtime.build.builder import build_capsule  # noqa: E402
from runtime.build.model import BuildOptions  # noqa: E402
from runtime.build.teardown import remove_capsule  # noqa: E402
from runtime.hosts.connect import connect_engine  # noqa: E402
from runtime.hosts.inventory import Inventory, save_inventory  # noqa: E402
from runtime.hosts.settings import HostSettings  # noqa: E402
from tests.support import engines  # noqa: E402
from translate.secrets import SecretStore  # noqa: E402
from translate.spec import Capsule, Container  # noqa: E402

GOAL_SECONDS = 0.5
PREFIX = "bench-list-"
BATCH_PER_HOST = 6  # builds in flight per host: the engines (and 2 cores) are the limit
SETTLE_SECONDS = 62.0
QUIET_WAIT_SECONDS = 180.0

BASELINE_SCRIPT = """
import asyncio, ssl, sys, json, httpx
hosts = json.loads(sys.argv[1])
async def one(h):
    if h["tls"]:
        context = ssl.create_default_context(cafile=h["ca"])
        context.load_cert_chain(h["cert"], h["key"])
        base, verify = h["url"].replace("tcp://", "https://"), context
    else:
        base, verify = h["url"].replace("tcp://", "http://"), True
    async with httpx.AsyncClient(base_url=base, verify=verify) as client:
        answer = await client.get("/containers/json", params={"all": "1"})
        return len(answer.json())
async def main():
    print(sum(await asyncio.gather(*(one(h) for h in hosts))))
asyncio.run(main())
"""


def settings_of(host) -> HostSettings:  # type: ignore[no-untyped-def]
    if host.tls:
        return HostSettings(host.name, host.url, tls_ca=str(host.tls_ca), tls_cert=str(host.tls_cert),
                            tls_key=str(host.tls_key))
    return HostSettings(host.name, host.url, insecure=True)


def one_member(name: str) -> Capsule:
    return Capsule(name, containers=(Container("main", "busybox:1.36", command=("sleep", "3600")),),
                   restart_policy="Always")


async def build_all(hosts: list[HostSettings], count: int) -> float:
    """Build `count` capsules spread evenly over the hosts, BATCH_PER_HOST at a time per host."""
    started = time.perf_counter()

    async def fill(host: HostSettings, names: list[str]) -> None:
        engine = await connect_engine(host)
        gate = asyncio.Semaphore(BATCH_PER_HOST)

        async def build(name: str) -> None:
            async with gate:
                await build_capsule(engine, one_member(name), SecretStore(), host=host.name,
                                    uuid=str(uuidlib.uuid4()), revision=1, options=BuildOptions())

        async with engine:
            await asyncio.gather(*(build(n) for n in names))

    names = [f"{PREFIX}{i:03d}" for i in range(count)]
    await asyncio.gather(*(fill(h, names[i::len(hosts)]) for i, h in enumerate(hosts)))
    return time.perf_counter() - started


async def remove_all(hosts: list[HostSettings], count: int) -> None:
    names = [f"{PREFIX}{i:03d}" for i in range(count)]

    async def empty(host: HostSettings, mine: list[str]) -> None:
        engine = await connect_engine(host)
        gate = asyncio.Semaphore(BATCH_PER_HOST * 2)

        async def remove(name: str) -> None:
            async with gate:
                await remove_capsule(engine, host=host.name, name=name, grace=0)

        async with engine:
            await asyncio.gather(*(remove(n) for n in mine))

    await asyncio.gather(*(empty(h, names[i::len(hosts)]) for i, h in enumerate(hosts)))


def wait_for_quiet(longest: float) -> float:
    """Wait (at most `longest` s) until the 1-minute load average is under the CPU count."""
    started = time.perf_counter()
    while os.getloadavg()[0] >= (os.cpu_count() or 1) and time.perf_counter() - started < longest:
        time.sleep(5)
    return time.perf_counter() - started


def timed(command: list[str], env: dict[str, str]) -> tuple[float, subprocess.CompletedProcess]:
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command[:4])} ... failed ({result.returncode}): {result.stderr.strip()}")
    return elapsed, result


def docker_ps_all(extra, env: dict[str, str]) -> float:  # type: ignore[no-untyped-def]
    """`docker ps -a` against each host, one after the other (what a user would type)."""
    started = time.perf_counter()
    for host in extra:
        command = ["docker", "-H", host.url]
        if host.tls:
            command += ["--tlsverify", "--tlscacert", str(host.tls_ca), "--tlscert", str(host.tls_cert),
                        "--tlskey", str(host.tls_key)]
        timed(command + ["ps", "-a", "-q"], env)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--capsules", type=int, default=200)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="capsule-bench-list-"))
    # Byte-compiled modules as an installed capsule has them (kept outside the
    # repository), whatever PYTHONDONTWRITEBYTECODE says: compiling every module
    # on every start would be measured otherwise.
    env = {**os.environ, "CAPSULE_HOME": str(home), "DOCKER_CONFIG": str(home / "docker-config"),
           "PYTHONPYCACHEPREFIX": str(home / "pycache")}
    for name in ("DOCKER_HOST", "DOCKER_CONTEXT", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH",
                 "PYTHONDONTWRITEBYTECODE"):
        env.pop(name, None)
    os.environ.update({"CAPSULE_HOME": str(home)})
    print("starting 3 extra Docker engines (one TLS-only) ...", flush=True)
    with engines.start_extra_hosts(3) as extra:
        hosts = [settings_of(h) for h in extra]
        save_inventory(Inventory(home / "hosts.yaml", True, tuple(hosts)))
        try:
            built = asyncio.run(build_all(hosts, args.capsules))
            built_at = time.perf_counter()
            print(f"built {args.capsules} capsules (1 member each) on {len(hosts)} hosts in {built:.1f} s")
            capsule = [sys.executable, "-m", "capsule_tui.cli", "list", "-o", "json"]
            first, result = timed(capsule, env)
            # The steady state is what counts: list inspects containers that started
            # less than a minute ago (they may have just restarted), so let the last
            # ones built age past that.
            settle = max(0.0, SETTLE_SECONDS - (time.perf_counter() - built_at))
            print(f"waiting {settle:.0f} s until every container has run for a minute ...", flush=True)
            time.sleep(settle)
            # Building 200 capsules leaves the engines busy (and the load high) for a
            # while; what is measured is listing a quiet set of hosts, as a user would.
            waited = wait_for_quiet(QUIET_WAIT_SECONDS)
            print(f"waited {waited:.0f} s more for a load average under {os.cpu_count()} "
                  f"(now {os.getloadavg()[0]:.1f})", flush=True)
            timed(capsule, env)  # one more warm-up run
            items = json.loads(result.stdout)["items"]
            running = sum(1 for i in items if i["name"].startswith(PREFIX) and i["status"] == "Running")
            if running != args.capsules:
                raise SystemExit(f"capsule list showed {running} of {args.capsules} capsules Running")
            per_host = {h.name: sum(1 for i in items if i["host"] == h.name) for h in hosts}
            lists, floors, clis = [], [], []
            baseline = [sys.executable, "-c", BASELINE_SCRIPT, json.dumps([
                {"url": h.url, "tls": h.uses_tls, "ca": h.tls_ca, "cert": h.tls_cert, "key": h.tls_key}
                for h in hosts])]
            has_docker = shutil.which("docker") is not None
            for _ in range(args.runs):  # interleaved, so that load changes hit all alike
                lists.append(timed(capsule, env)[0])
                floors.append(timed(baseline, env)[0])
                if has_docker:
                    clis.append(docker_ps_all(extra, env))
        finally:
            asyncio.run(remove_all(hosts, args.capsules))
    shutil.rmtree(home, ignore_errors=True)

    median = statistics.median(lists)
    floor = statistics.median(floors)
    print(f"capsules per host: {per_host}")
    print(f"capsule list, first run (fills the store):      {first:.3f} s")
    print(f"capsule list -o json, median of {args.runs}:            {median:.3f} s "
          f"(min {min(lists):.3f}, max {max(lists):.3f}; goal <= {GOAL_SECONDS} s)")
    print(f"baseline: python+httpx, 3 hosts concurrently:   {floor:.3f} s  -> ratio {median / floor:.2f}")
    if clis:
        docker = statistics.median(clis)
        print(f"baseline: docker ps -a, 3 hosts one by one:     {docker:.3f} s  -> ratio {median / docker:.2f}")
    load = os.getloadavg()
    print(f"load average during the run: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} ({os.cpu_count()} CPUs)")
    return 0 if median <= GOAL_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
