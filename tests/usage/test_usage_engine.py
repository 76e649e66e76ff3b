"""Live resource use against a real engine, checked with the engine's own figures.

A capsule with a member that burns CPU under a limit of half a core, and one that
holds 64 MiB in a tmpfs (memory the kernel cannot drop: it counts in the cgroup's
anonymous pages, not in its inactive file pages). capsule's figures (the `capsule`
command as a process: `top NAME --containers`, `top NAME -o json`, `top`, `list -o
wide`) are compared with the docker package's `container.stats(stream=True)`, whose
readings carry the engine's own previous reading (precpu), put through the docker
CLI's formula here. Tolerances are for a busy 2-core machine: a CPU figure is an
average over a second, and others' tests run beside this one.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from support.capsule_cli import capsule_containers, cli, remove_capsule_leftovers
from support.waiting import wait_until

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


def cli_cpu(stats: dict) -> float:
    """CPU % of one core of one engine reading with its precpu part: the docker CLI's formula."""
    cpu, pre = stats["cpu_stats"], stats["precpu_stats"]
    cpu_delta = cpu["cpu_usage"]["total_usage"] - pre["cpu_usage"]["total_usage"]
    system_delta = cpu["system_cpu_usage"] - pre.get("system_cpu_usage", 0)
    return cpu_delta / system_delta * cpu["online_cpus"] * 100


def cli_memory(stats: dict) -> int:
    memory = stats["memory_stats"]
    details = memory.get("stats") or {}
    return memory["usage"] - details.get("total_inactive_file", details.get("inactive_file", 0))


class EngineStream:
    """The engine's own stream of readings of a container (one a second, precpu filled), in a thread.

    The engine's stats collector reads each container once a second and gives every
    subscriber the same reading: capsule's two one-shot readings are two consecutive
    ones of these, so its CPU figure is the one the stream reports for its second.
    """

    def __init__(self, container: Any) -> None:
        self.readings: list[dict] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._follow, args=(container,), daemon=True)

    def _follow(self, container: Any) -> None:
        for stats in container.stats(stream=True, decode=True):
            if stats.get("precpu_stats", {}).get("system_cpu_usage"):
                self.readings.append(stats)
            if self._stop.is_set():
                return

    def __enter__(self) -> EngineStream:
        self._thread.start()
        assert wait_until(lambda: bool(self.readings), 10), "the engine streamed no reading"
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)


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

    # The engine's own readings over the same seconds (others' tests share the 2 cores: the
    # burner's share moves from second to second).
    with EngineStream(containers["burn"]) as burn_stream, EngineStream(hold) as hold_stream:
        top = cli("top", name, "--containers")
        time.sleep(1.2)  # the reading after capsule's last one too
    burn_cpus = [cli_cpu(r) for r in burn_stream.readings]
    hold_memory = cli_memory(hold_stream.readings[-1])
    assert top.returncode == 0, top.stderr
    rows = member_rows(top.stdout)
    assert set(rows) == {"(sandbox)", "burn", "hold", "(capsule)"}

    # The burner: at most half a core (its limit), and near it unless the machine is very busy;
    # the engine saw about the same; % of its limit is twice its % of a core.
    cpu, cpu_of_limit, _, _ = rows["burn"][1:]
    assert 5 <= percent(cpu) <= 60, rows["burn"]  # 50 on an idle machine; these 2 cores are shared
    assert abs(percent(cpu_of_limit) - 2 * percent(cpu)) <= 2, rows["burn"]
    # One of the engine's readings is capsule's second (the figures are rounded to whole percents).
    assert any(abs(percent(cpu) - engine) <= 1 for engine in burn_cpus), (rows["burn"], burn_cpus)

    # The holder: 64 MiB and a little (busybox), half of its 128 MiB limit; as the engine says.
    _, _, memory, memory_of_limit = rows["hold"][1:]
    assert 64 <= mebibytes(memory) <= 72, rows["hold"]
    assert 49 <= percent(memory_of_limit) <= 57, rows["hold"]
    assert abs(mebibytes(memory) - hold_memory / MiB) <= 2, (rows["hold"], hold_memory)

    # The sandbox has no limit of its own: "-"; the capsule sums all three under its members' caps.
    assert rows["(sandbox)"][2] == "-" and rows["(sandbox)"][4] == "-"
    total_cpu, total_cpu_of_limit, total_memory, total_memory_of_limit = rows["(capsule)"][1:]
    assert percent(cpu) <= percent(total_cpu) <= percent(cpu) + 5  # the others idle
    assert abs(percent(total_cpu_of_limit) - percent(total_cpu) / 0.75) <= 2  # of 0.75 cores
    assert 64 <= mebibytes(total_memory) <= 76
    assert 38 <= percent(total_memory_of_limit) <= 48  # of 160 MiB

    # -o json: the processes as before, and the figures in numbers.
    document = json.loads(cli("top", name, "-o", "json").stdout)
    assert {p["MEMBER"] for p in document["processes"]} == {"burn", "hold"}
    members = {m["member"]: m for m in document["usage"]["members"]}
    assert 5 <= members["burn"]["cpuPercent"] <= 60 and members["burn"]["cpuLimitCores"] == 0.5
    assert 64 * MiB <= members["hold"]["memoryBytes"] <= 72 * MiB
    assert members["hold"]["memoryLimitBytes"] == 128 * MiB and document["usage"]["cpuLimitCores"] == 0.75

    # Every capsule's figures (kubectl top pods), and list -o wide's two columns.
    every = cli("top")
    assert every.returncode == 0, every.stderr
    header, *lines = every.stdout.splitlines()
    assert header.split() == ["NAME", "HOST", "CPU", "%CPU/L", "MEM", "%MEM/L"]
    (mine,) = [line.split() for line in lines if line.split()[0] == name]
    assert 5 <= percent(mine[2]) <= 65 and 64 <= mebibytes(mine[4]) <= 76
    wide = cli("list", "-o", "wide")
    header, *lines = wide.stdout.splitlines()
    columns = header.split()
    (mine,) = [line.split() for line in lines if line.split()[0] == name]
    assert 5 <= percent(mine[columns.index("CPU")]) <= 65
    assert 64 <= mebibytes(mine[columns.index("MEM")]) <= 76


def test_top_refuses_what_it_cannot_do(capsule_home: Path) -> None:
    both = cli("top", "--containers")
    assert both.returncode == 2 and "name it" in both.stderr
    mixed = cli("top", "web", "-l", "app=web")
    assert mixed.returncode == 2 and "not both" in mixed.stderr


async def test_the_uis_backend_samples_the_containers_of_its_last_snapshot(name: str, docker_engine: Any,
                                                                           tmp_path: Path) -> None:
    """What the list's columns get: figures from the store's records of the last refresh, the CPU
    figure from the second sample on (the first has no previous reading)."""
    from capsule_tui.backend import Backend
    from runtime.service import CapsuleService

    created = cli("create", "-f", str(write_capsule(tmp_path, name)))
    assert created.returncode == 0, created.stderr
    backend = Backend(CapsuleService())
    try:
        snapshot = await backend.snapshot()
        (mine,) = [v for v in snapshot.capsules if v.name == name]
        first = await backend.usage([mine.uuid, "no-such-uuid"])
        assert set(first) == {mine.uuid}  # a uuid the snapshot does not have is left out
        assert first[mine.uuid].usage.cpu is None and first[mine.uuid].usage.memory is not None
        assert [m.member for m in first[mine.uuid].members] == ["(sandbox)", "burn", "hold"]
        second = await backend.usage([mine.uuid])
        burn = next(m.usage for m in second[mine.uuid].members if m.member == "burn")
        assert burn.cpu is not None and 5 <= burn.cpu <= 60 and burn.cpu_limit == 0.5
        assert second[mine.uuid].usage.cpu_limit == 0.75
    finally:
        await backend.aclose()
