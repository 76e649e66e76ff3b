"""Benchmark: `capsule create` / `capsule delete` against the floor and docker-compose.

Side by side in one run, for a capsule of 3 members and one of 8 (busybox members
running `sleep` behind a pause sandbox), each round times, as whole processes:

- capsule: `capsule create -f FILE` (up) and `capsule delete NAME` (down);
- floor:   a minimal Engine API script (bench/floor_engine_api.py: httpx over the
           unix socket; sandbox created and started, then the members created and
           started in parallel; removal with force, members in parallel, then the
           sandbox): the least any tool has to do;
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

Every process runs with byte-compiled modules cached (PYTHONPYCACHEPREFIX in the
run's temp folder, whatever PYTHONDONTWRITEBYTECODE says), as an installed capsule
has them, and an untimed warm-up round fills that cache first.
`--environment-bytecode` leaves caching as the environment has it instead (with
PYTHONDONTWRITEBYTECODE=1 and no `__pycache__` beside capsule's sources, every
capsule process compiles its modules again; scripts/setup compiles them).

Usage: .venv/bin/python bench/bench_lifecycle.py [--rounds 5] [--sizes 3,8] [--json] [--environment-bytecode]
Needs a local engine (started if there is none, via tests/support/engines.py) and the
offline test images. Removes everything it made, found by its own names and labels.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FLOOR = Path(__file__).with_name("floor_engine_api.py")
SANDBOX_IMAGE = "registry.k8s.io/pause:3.10"
MEMBER_IMAGE = "busybox:1.36"
TRAPPED_SLEEP = ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]
BARE_SLEEP = ["sleep", "3600"]
BENCH_LABEL = "capsule-bench"  # on the floor's containers, value: the run's prefix


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


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds, and the CPU seconds the process itself used (user + system).

    The CPU figure leaves out the engine's work, so it shows each tool's own cost
    even on a machine whose engine is slowed down by other load.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise SystemExit(f"bench: {' '.join(command)} failed ({result.returncode}):\n{result.stderr}")
    return elapsed, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


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


def bench(rounds: int, sizes: list[int], bare: bool, bytecode: bool = True) -> dict:
    sys.path.insert(0, str(ROOT))
    from tests.support import engines  # the infra helper's: finds or starts the engine, imports test images

    engine = engines.ensure_local_engine()
    engines.ensure_test_images(engine.client)
    client = engines.engine_http_client(engine.url, timeout=30)
    prefix = f"bench-{os.getpid()}-"
    capsule = Path(sys.executable).with_name("capsule")
    capsule_cmd = [str(capsule)] if capsule.exists() else [sys.executable, "-m", "capsule_tui.cli"]
    compose = shutil.which("docker-compose")
    times: dict[str, list[float]] = {}
    cpu: dict[str, list[float]] = {}
    home = tempfile.mkdtemp(prefix="capsule-bench-home-")
    # Byte-compiled modules as an installed capsule has them (kept outside the
    # repository), whatever PYTHONDONTWRITEBYTECODE says (as bench_list.py does);
    # otherwise every capsule process would compile its ~60 modules from source.
    env = {**os.environ, "CAPSULE_HOME": home}
    env.pop("DOCKER_HOST", None)
    if bytecode:
        env["PYTHONPYCACHEPREFIX"] = os.path.join(home, "pycache")
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    # else (--environment-bytecode): Python's caching as the environment has it
    folder = Path(tempfile.mkdtemp(prefix="capsule-bench-"))
    try:
        # Round 0 warms up, untimed: with the cache prefix, every module (httpx and the
        # standard library too, for every tool) is compiled once there, not in a timed round.
        for round_no in range(rounds + 1):
            for size in sizes:
                tools = ["capsule", "floor"] + (["compose"] if compose else [])
                shift = round_no % len(tools)  # rotate the order so no tool always goes first
                for tool in tools[shift:] + tools[:shift]:
                    name = f"{prefix}{tool[:2]}{size}r{round_no}"

                    def record(phase: str, figures: tuple[float, float], tool: str = tool, size: int = size,
                               warm_up: bool = round_no == 0) -> None:
                        if warm_up:
                            return
                        times.setdefault(f"{tool}/{size}/{phase}", []).append(figures[0])
                        cpu.setdefault(f"{tool}/{size}/{phase}", []).append(figures[1])

                    if tool == "capsule":
                        path = capsule_file(folder, name, size, bare)
                        record("up", timed([*capsule_cmd, "create", "-f", str(path)], env))
                        expect(client, f"capsule.name={name}", size + 1, name)
                        record("down", timed([*capsule_cmd, "delete", name], env))
                        expect(client, f"capsule.name={name}", 0, name)
                    elif tool == "floor":
                        floor = [name, str(size), prefix] + (["--bare-sleep"] if bare else [])
                        record("up", timed([sys.executable, str(FLOOR), "up", *floor], env))
                        expect(client, f"{BENCH_LABEL}={prefix}", size + 1, name)
                        record("down", timed([sys.executable, str(FLOOR), "down", *floor], env))
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
            "median": {key: statistics.median(values) for key, values in times.items()}, "all": times,
            "cpu_median": {key: statistics.median(values) for key, values in cpu.items()}, "cpu_all": cpu,
            "load_average": os.getloadavg()}


def _table(result: dict, median: dict, tools: list[str], goals: bool) -> tuple[list[str], list[bool]]:
    lines = [f"{'':22}" + "".join(f"{f'{s} members up':>16}{f'{s} members down':>18}" for s in result["sizes"])]
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
        lines.append(row + (f"   (goal <= {goal}x)" if goals else ""))
    if "compose" in tools:
        # The floor against compose bounds what any tool can reach against compose here.
        row = f"{'floor / compose':22}"
        for size in result["sizes"]:
            for phase, width in (("up", 16), ("down", 18)):
                row += f"{median[f'floor/{size}/{phase}'] / median[f'compose/{size}/{phase}']:>{width - 1}.2f}x"
        lines.append(row + ("   (the best reachable)" if goals else ""))
    return lines, verdicts


def report(result: dict) -> str:
    tools = ["floor", "capsule"] + (["compose"] if result["compose"] else [])
    load = ", ".join(f"{x:.1f}" for x in result.get("load_average", ()))
    lines = [f"capsule lifecycle benchmark: median of {result['rounds']} rounds (load average at the end: {load})",
             "members exit on SIGTERM" if not result["bare_sleep"] else "members run bare sleep (graceful stops wait)",
             "", "wall seconds per whole process:"]
    wall, verdicts = _table(result, result["median"], tools, goals=True)
    lines += wall
    if "cpu_median" in result:
        lines += ["", "CPU seconds used by the process itself (the engine's work not counted):"]
        lines += _table(result, result["cpu_median"], tools, goals=False)[0]
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
    parser.add_argument("--environment-bytecode", action="store_true",
                        help="no bytecode cache of the run's own: use the caches (or none) the environment has")
    args = parser.parse_args()
    result = bench(args.rounds, [int(s) for s in args.sizes.split(",")], args.bare_sleep, not args.environment_bytecode)
    print(json.dumps(result, indent=2) if args.json else report(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
