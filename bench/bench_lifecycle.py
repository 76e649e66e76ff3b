"""Benchmark: `capsule create` / `capsule delete` against the floor and docker-compose.

Side by side in one run, for a capsule of 3 members and one of 8 (busybox members
running `sleep` behind a pause sandbox), each round times, as whole processes:

- capsule: `capsule create -f FILE` (up) and `capsule delete NAME` (down);
- floor:   a minimal Engine API script (this file with --floor-up/--floor-down:
           httpx over the unix socket; sandbox created and started, then the members
           created and started in parallel; removal with force, members in parallel,
           then the sandbox): the least any tool has to do;
- compose: `docker-compose up -d` / `down` of the same containers
           (`network_mode: service:sandbox`), where docker-compose is installed.

Every round checks through the engine that the containers really ran (not timed).
Prints the median of each figure and the ratios; the goals are up and down each
at most 1.3x the floor and at most 0.5x docker-compose. Ratios, never absolute
times, are what to compare across machines.

Members exit on SIGTERM (a shell trap around `sleep`), as well-behaved services do,
so that `down` measures the tools and not a stop grace period; `--bare-sleep` runs
plain `sleep` instead (PID 1 ignores SIGTERM, so every graceful stop waits its full
grace period: 1 s for capsule, 10 s for compose; the floor kills at once).

Usage: .venv/bin/python bench/bench_lifecycle.py [--rounds 5] [--sizes 3,8] [--json]
Needs a local engine (started if there is none, via tests/support/engines.py) and the
offline test images. Removes everything it made, found by its own names and labels.
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
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOCKET = "/var/run/docker.sock"
SANDBOX_IMAGE = "registry.k8s.io/pause:3.10"
MEMBER_IMAGE = "busybox:1.36"
TRAPPED_SLEEP = ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]
BARE_SLEEP = ["sleep", "3600"]
BENCH_LABEL = "capsule-bench"  # on the floor's containers, value: the run's prefix


# -- the floor: a separate process, so it pays interpreter start-up like the others --------


def _floor_main(mode: str, name: str, members: int, bare: bool, prefix: str) -> int:
    import httpx

    async def run() -> None:
        transport = httpx.AsyncHTTPTransport(uds=SOCKET)
        async with httpx.AsyncClient(transport=transport, base_url="http://docker", timeout=60) as client:
            async def call(method: str, path: str, **kwargs) -> httpx.Response:
                response = await client.request(method, path, **kwargs)
                if response.status_code >= 400:
                    raise SystemExit(f"floor: {method} {path}: {response.status_code} {response.text}")
                return response

            labels = {BENCH_LABEL: prefix}
            if mode == "up":
                sandbox = {
                    "Image": SANDBOX_IMAGE, "Hostname": name, "Labels": labels,
                    "HostConfig": {"NetworkMode": "bridge", "IpcMode": "shareable",
                                   "RestartPolicy": {"Name": "always"}},
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

    asyncio.run(run())
    return 0


# -- files for capsule and compose ------------------------------------------------------------


def capsule_file(folder: Path, name: str, members: int, bare: bool) -> Path:
    command = json.dumps(BARE_SLEEP if bare else TRAPPED_SLEEP)
    lines = ["apiVersion: beta", "kind: capsule", "metadata:", f"  name: {name}", "spec:", "  containers:"]
    for i in range(members):
        lines += [f"    - name: m{i}", f"      image: {MEMBER_IMAGE}", f"      command: {command}"]
    path = folder / f"{name}.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def compose_file(folder: Path, name: str, members: int, bare: bool) -> Path:
    command = json.dumps(BARE_SLEEP if bare else TRAPPED_SLEEP)
    lines = [
        'version: "2.4"', "services:", "  sandbox:", f"    image: {SANDBOX_IMAGE}", f"    hostname: {name}",
        "    network_mode: bridge", "    ipc: shareable", "    restart: always",
    ]
    for i in range(members):
        lines += [
            f"  m{i}:", f"    image: {MEMBER_IMAGE}", f"    command: {command}",
            '    network_mode: "service:sandbox"', '    ipc: "service:sandbox"', "    restart: always",
            "    depends_on: [sandbox]",
        ]
    path = folder / f"{name}-compose.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


# -- running and checking -----------------------------------------------------------------------


def timed(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"bench: {' '.join(command)} failed ({result.returncode}):\n{result.stderr}")
    return elapsed


def running(client, label: str) -> int:  # type: ignore[no-untyped-def]
    listed = client.get("/containers/json", params={"filters": json.dumps({"label": [label]})}).json()
    return sum(1 for c in listed if c["State"] == "running")


def expect(client, label: str, count: int, what: str) -> None:  # type: ignore[no-untyped-def]
    found = running(client, label)
    if found != count:
        raise SystemExit(f"bench: {what}: {found} containers running, expected {count}")


def sweep(client, prefix: str) -> None:  # type: ignore[no-untyped-def]
    """Remove whatever this run left (its names start with the prefix), nothing else."""
    for entry in client.get("/containers/json", params={"all": "1"}).json():
        labels = entry.get("Labels") or {}
        ours = (labels.get(BENCH_LABEL) == prefix
                or labels.get("capsule.name", "").startswith(prefix)
                or labels.get("com.docker.compose.project", "").startswith(prefix.replace("-", "")))
        if ours:
            client.delete(f"/containers/{entry['Id']}", params={"force": "1", "v": "1"})


# -- the run --------------------------------------------------------------------------------------


def bench(rounds: int, sizes: list[int], bare: bool) -> dict:
    sys.path.insert(0, str(ROOT / "tests"))
    from support import engines  # the infra helper's: finds or starts the engine, imports test images

    engine = engines.ensure_local_engine()
    engines.ensure_test_images(engine.client)
    client = engines.engine_http_client(engine.url, timeout=30)
    prefix = f"bench-{os.getpid()}-"
    capsule = Path(sys.executable).with_name("capsule")
    capsule_cmd = [str(capsule)] if capsule.exists() else [sys.executable, "-m", "capsule_tui.cli"]
    compose = shutil.which("docker-compose")
    times: dict[str, list[float]] = {}
    home = tempfile.mkdtemp(prefix="capsule-bench-home-")
    env = {**os.environ, "CAPSULE_HOME": home}
    env.pop("DOCKER_HOST", None)
    folder = Path(tempfile.mkdtemp(prefix="capsule-bench-"))
    try:
        for round_no in range(rounds):
            for size in sizes:
                tools = ["capsule", "floor"] + (["compose"] if compose else [])
                shift = round_no % len(tools)  # rotate the order so no tool always goes first
                for tool in tools[shift:] + tools[:shift]:
                    name = f"{prefix}{tool[:2]}{size}r{round_no}"
                    record = lambda phase, seconds: times.setdefault(f"{tool}/{size}/{phase}", []).append(seconds)  # noqa: E731,B023
                    if tool == "capsule":
                        path = capsule_file(folder, name, size, bare)
                        record("up", timed([*capsule_cmd, "create", "-f", str(path)], env))
                        expect(client, f"capsule.name={name}", size + 1, name)
                        record("down", timed([*capsule_cmd, "delete", name], env))
                        expect(client, f"capsule.name={name}", 0, name)
                    elif tool == "floor":
                        floor = [sys.executable, __file__, "--floor", "", name, str(size), prefix]
                        if bare:
                            floor.append("--bare-sleep")
                        floor[3] = "up"
                        record("up", timed(floor, env))
                        expect(client, f"{BENCH_LABEL}={prefix}", size + 1, name)
                        floor[3] = "down"
                        record("down", timed(floor, env))
                        expect(client, f"{BENCH_LABEL}={prefix}", 0, name)
                    else:
                        project = name.replace("-", "")
                        path = compose_file(folder, name, size, bare)
                        base = [compose, "-p", project, "-f", str(path)]
                        record("up", timed([*base, "up", "-d"], env))
                        expect(client, f"com.docker.compose.project={project}", size + 1, project)
                        record("down", timed([*base, "down"], env))
                        expect(client, f"com.docker.compose.project={project}", 0, project)
    finally:
        sweep(client, prefix)
        client.close()
        shutil.rmtree(folder, ignore_errors=True)
        shutil.rmtree(home, ignore_errors=True)
        engine.stop()  # only if this run started it
    return {"rounds": rounds, "sizes": sizes, "bare_sleep": bare, "compose": bool(compose),
            "median": {key: statistics.median(values) for key, values in times.items()}, "all": times}


def report(result: dict) -> str:
    median = result["median"]
    lines = [f"capsule lifecycle benchmark: median of {result['rounds']} rounds, seconds per whole process",
             "members exit on SIGTERM" if not result["bare_sleep"] else "members run bare sleep (graceful stops wait)",
             ""]
    header = f"{'':22}" + "".join(f"{f'{s} members up':>16}{f'{s} members down':>18}" for s in result["sizes"])
    lines.append(header)
    tools = ["floor", "capsule"] + (["compose"] if result["compose"] else [])
    for tool in tools:
        row = f"{tool:22}"
        for size in result["sizes"]:
            row += f"{median[f'{tool}/{size}/up']:>16.3f}{median[f'{tool}/{size}/down']:>18.3f}"
        lines.append(row)
    verdicts = []
    for base, goal in (("floor", 1.3), ("compose", 0.5)):
        if base not in tools:
            continue
        row = f"{'capsule / ' + base:22}"
        for size in result["sizes"]:
            for phase, width in (("up", 16), ("down", 18)):
                ratio = median[f"capsule/{size}/{phase}"] / median[f"{base}/{size}/{phase}"]
                verdicts.append(ratio <= goal)
                row += f"{f'{ratio:.2f}x':>{width}}"
        lines.append(row + f"   (goal <= {goal}x)")
    lines += ["", "goals met" if all(verdicts) else "goals NOT met"]
    if not result["compose"]:
        lines.append("docker-compose is not installed: no compose comparison")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--sizes", default="3,8", help="members per capsule, comma-separated (default 3,8)")
    parser.add_argument("--bare-sleep", action="store_true", help="members run plain sleep (see the docstring)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--floor", nargs=4, metavar=("MODE", "NAME", "MEMBERS", "PREFIX"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.floor:
        mode, name, members, prefix = args.floor
        return _floor_main(mode, name, int(members), args.bare_sleep, prefix)
    result = bench(args.rounds, [int(s) for s in args.sizes.split(",")], args.bare_sleep)
    print(json.dumps(result, indent=2) if args.json else report(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
