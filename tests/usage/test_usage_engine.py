"""Live resource use against a real engine, checked with the engine's own figures.

A capsule with a member that burns CPU under a limit of half a core, and one that
holds 64 MiB in a tmpfs (memory the kernel cannot drop: it counts in the cgroup's
anonymous pages, not in its inactive file pages). capsule's figures (the `capsule`
command as a process: `top NAME --containers`, `top NAME -o json`, `top`, `list -o
wide`) are compared with the docker package's `container.stats(stream=False)`, whose
answer carries the engine's own previous reading (precpu), put through the docker
CLI's formula here. Tolerances are for a busy 2-core machine: a CPU figure is an
average over a second, and others' tests run beside this one.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from support.capsule_cli import capsule_containers, cli, remove_capsule_leftovers

pytestmark = pytest.mark.docker

MiB = 1 << 20
BURN = "trap 'exit 0' TERM; while :; do :; done"
# 64 MiB written into a tmpfs of its own, then held.
HOLD = "trap 'exit 0' TERM; head -c 67108864 /dev/zero > /held/blob && sleep 3600 & wait"


@pytest.fixture
def name(unique_name: str, docker_engine: Any, capsule_home: Path) -> Iterator[str]:
    yield unique_name
    remove_capsule_leftovers(docker_engine.client, unique_name)


def write_capsule(folder: Path, name: str) -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(f"""\
apiVersion: beta
kind: capsule
metadata:
  name: {name}
spec:
  containers:
    - name: burn
      image: busybox:1.36
      command: ["sh", "-c", {json.dumps(BURN)}]
      resources:
        limits: {{cpu: 0.5, memory: 32Mi}}
    - name: hold
      image: busybox:1.36
      command: ["sh", "-c", {json.dumps(HOLD)}]
      resources:
        limits: {{cpu: 0.25, memory: 128Mi}}
      volumeMounts:
        - {{name: held, mountPath: /held}}
  volumes:
    - name: held
      emptyDir: {{medium: Memory, sizeLimit: 100Mi}}
""")
    return path


def engine_figures(container: Any) -> tuple[float, int]:
    """(CPU % of one core, memory in use) from the engine's own two readings, the docker CLI's way."""
    stats = container.stats(stream=False)  # the engine waits for a second reading: precpu is filled
    cpu, pre = stats["cpu_stats"], stats["precpu_stats"]
    cpu_delta = cpu["cpu_usage"]["total_usage"] - pre["cpu_usage"]["total_usage"]
    system_delta = cpu["system_cpu_usage"] - pre["system_cpu_usage"]
    memory = stats["memory_stats"]
    details = memory.get("stats") or {}
    inactive = details.get("total_inactive_file", details.get("inactive_file", 0))
    return cpu_delta / system_delta * cpu["online_cpus"] * 100, memory["usage"] - inactive


def member_rows(text: str) -> dict[str, list[str]]:
    header, *rows = text.splitlines()
    assert header.split() == ["MEMBER", "ROLE", "CPU", "%CPU/L", "MEM", "%MEM/L"]
    return {row.split()[0]: row.split()[1:] for row in rows}


def mebibytes(cell: str) -> float:
    assert cell.endswith("Mi"), cell
    return float(cell[:-2])


def percent(cell: str) -> float:
    assert cell.endswith("%"), cell
    return float(cell[:-1])


def test_cpu_and_memory_match_the_engines_own_figures(name: str, docker_engine: Any, tmp_path: Path) -> None:
    created = cli("create", "-f", str(write_capsule(tmp_path, name)))
    assert created.returncode == 0, created.stderr
    client = docker_engine.client
    containers = {c.labels.get("capsule.member") or "(sandbox)": c for c in capsule_containers(client, name)}
    hold = containers["hold"]
    held = False
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not held:  # until the 64 MiB are written
        held = hold.exec_run(["sh", "-c", "[ $(stat -c %s /held/blob) -eq 67108864 ]"]).exit_code == 0
        time.sleep(0.2)
    assert held, "the hold member did not write its 64 MiB"

    top = cli("top", name, "--containers")
    assert top.returncode == 0, top.stderr
    rows = member_rows(top.stdout)
    burn_cpu, hold_memory = engine_figures(containers["burn"])[0], engine_figures(hold)[1]
    assert set(rows) == {"(sandbox)", "burn", "hold", "(capsule)"}

    # The burner: about half a core, about all of its limit; the engine saw the same.
    cpu, cpu_of_limit, _, _ = rows["burn"][1:]
    assert 35 <= percent(cpu) <= 60, rows["burn"]
    assert 70 <= percent(cpu_of_limit) <= 120, rows["burn"]
    assert abs(percent(cpu) - burn_cpu) <= 15, (rows["burn"], burn_cpu)

    # The holder: 64 MiB and a little (busybox), half of its 128 MiB limit; as the engine says.
    _, _, memory, memory_of_limit = rows["hold"][1:]
    assert 64 <= mebibytes(memory) <= 72, rows["hold"]
    assert 49 <= percent(memory_of_limit) <= 57, rows["hold"]
    assert abs(mebibytes(memory) - hold_memory / MiB) <= 2, (rows["hold"], hold_memory)

    # The sandbox has no limit of its own: "-"; the capsule sums all three under its members' caps.
    assert rows["(sandbox)"][2] == "-" and rows["(sandbox)"][4] == "-"
    total_cpu, total_cpu_of_limit, total_memory, total_memory_of_limit = rows["(capsule)"][1:]
    assert 35 <= percent(total_cpu) <= 65
    assert 45 <= percent(total_cpu_of_limit) <= 85  # of 0.75 cores
    assert 64 <= mebibytes(total_memory) <= 76
    assert 38 <= percent(total_memory_of_limit) <= 48  # of 160 MiB

    # -o json: the processes as before, and the figures in numbers.
    document = json.loads(cli("top", name, "-o", "json").stdout)
    assert {p["MEMBER"] for p in document["processes"]} == {"burn", "hold"}
    members = {m["member"]: m for m in document["usage"]["members"]}
    assert 35 <= members["burn"]["cpuPercent"] <= 60 and members["burn"]["cpuLimitCores"] == 0.5
    assert 64 * MiB <= members["hold"]["memoryBytes"] <= 72 * MiB
    assert members["hold"]["memoryLimitBytes"] == 128 * MiB and document["usage"]["cpuLimitCores"] == 0.75

    # Every capsule's figures (kubectl top pods), and list -o wide's two columns.
    every = cli("top")
    assert every.returncode == 0, every.stderr
    header, *lines = every.stdout.splitlines()
    assert header.split() == ["NAME", "HOST", "CPU", "%CPU/L", "MEM", "%MEM/L"]
    (mine,) = [line.split() for line in lines if line.split()[0] == name]
    assert 35 <= percent(mine[2]) <= 65 and 64 <= mebibytes(mine[4]) <= 76
    wide = cli("list", "-o", "wide")
    header, *lines = wide.stdout.splitlines()
    columns = header.split()
    (mine,) = [line.split() for line in lines if line.split()[0] == name]
    assert 35 <= percent(mine[columns.index("CPU")]) <= 65
    assert 64 <= mebibytes(mine[columns.index("MEM")]) <= 76


def test_top_refuses_what_it_cannot_do(capsule_home: Path) -> None:
    both = cli("top", "--containers")
    assert both.returncode == 2 and "name it" in both.stderr
    mixed = cli("top", "web", "-l", "app=web")
    assert mixed.returncode == 2 and "not both" in mixed.stderr
