"""The docker CLI's formulas over recorded stats answers (cgroup v1 from this machine's engine,
cgroup v2 in the shape newer engines give), the limits read from specs, and a capsule's sums.

The engine-backed checks (a member burning CPU, one holding memory, against the docker
package's own stats) are in tests/usage/test_usage_engine.py.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from runtime.usage.capsules import Usage, capsule_usage
from runtime.usage.figures import cpu_percent, memory_in_use, reading_of
from runtime.usage.limits import Limits, capsule_limits, member_limits
from runtime.usage.sampler import ContainerFigures

DATA = Path(__file__).parent / "data"


def readings(name: str) -> list[dict]:
    return json.loads((DATA / name).read_text())["readings"]


def test_cgroup_v1_figures_are_the_docker_clis() -> None:
    before, after = readings("stats-cgroup-v1.json")
    # (884264753 - 449510861) ns of CPU over (105040800000000 - 105038720000000) ns of the
    # host's 2 CPUs, × 2 × 100: a busy loop capped at half a core, a second after its start.
    assert cpu_percent(reading_of(before), reading_of(after)) == pytest.approx(41.8033, abs=1e-3)
    # usage less total_inactive_file (v1 keeps the hierarchical totals)
    assert reading_of(after).memory == 1302528 - 671744


def test_cgroup_v2_figures_are_the_docker_clis() -> None:
    before, after = readings("stats-cgroup-v2.json")
    # 3e9 ns over 8e12 ns × 4 CPUs × 100 = 150: one and a half cores.
    assert cpu_percent(reading_of(before), reading_of(after)) == pytest.approx(150.0)
    assert reading_of(after).memory == 75497472 - 7340032


def test_one_shot_readings_alone_give_no_cpu_figure() -> None:
    # One-shot answers leave precpu empty: the engine's own delta is 0, ours needs a second reading.
    (reading,) = readings("stats-cgroup-v2.json")[:1]
    assert reading["precpu_stats"]["cpu_usage"]["total_usage"] == 0
    assert "system_cpu_usage" not in reading["precpu_stats"]
    empty = reading_of({"cpu_stats": reading["precpu_stats"]})
    assert cpu_percent(empty, reading_of(reading)) is None


def test_counters_that_went_backwards_give_no_cpu_figure() -> None:
    before, after = readings("stats-cgroup-v2.json")
    assert cpu_percent(reading_of(after), reading_of(before)) is None  # a restart between the two


def test_online_cpus_missing_counts_the_per_cpu_list() -> None:
    before, after = (json.loads(json.dumps(r)) for r in readings("stats-cgroup-v1.json"))
    for r in (before, after):
        del r["cpu_stats"]["online_cpus"]
    assert reading_of(after).online_cpus == 2
    assert cpu_percent(reading_of(before), reading_of(after)) == pytest.approx(41.8033, abs=1e-3)


@pytest.mark.parametrize(("memory", "expected"), [
    ({"usage": 1000, "stats": {"total_inactive_file": 300, "inactive_file": 100, "cache": 600}}, 700),  # v1
    ({"usage": 1000, "stats": {"inactive_file": 100}}, 900),  # v2
    ({"usage": 1000, "stats": {"cache": 600}}, 400),  # an engine before the CLI's change to inactive files
    ({"usage": 1000, "stats": {"inactive_file": 5000}}, 1000),  # never below zero
    ({"usage": 1000}, 1000),
    ({}, None),  # a stopped container reports nothing
])
def test_memory_in_use(memory: dict, expected: int | None) -> None:
    assert memory_in_use(memory) == expected


SPEC = {"spec": {
    "initContainers": [{"name": "setup", "resources": {"limits": {"cpu": 1.0}}}],
    "containers": [
        {"name": "web", "resources": {"requests": {"cpu": 0.25, "memory": 64 << 20},
                                      "limits": {"cpu": 0.5, "memory": 128 << 20}}},
        {"name": "helper", "resources": {"requests": {"cpu": 0.1, "memory": 16 << 20}}},
        {"name": "free", "resources": {}},
    ],
}}


def test_a_members_cap_is_its_limit_else_its_request_as_the_builder_sets_it() -> None:
    caps = member_limits(SPEC)
    assert caps["web"] == Limits(0.5, 128 << 20)
    assert caps["helper"] == Limits(0.1, 16 << 20)
    assert caps["free"] == Limits(None, None)
    assert caps["setup"] == Limits(1.0, None)


def test_a_capsules_cap_is_unlimited_when_one_member_is() -> None:
    assert capsule_limits([Limits(0.5, 100), Limits(0.25, 50)]) == Limits(0.75, 150)
    assert capsule_limits([Limits(0.5, 100), Limits(None, 50)]) == Limits(None, 150)
    assert capsule_limits([]) == Limits(None, None)


def container(cid: str, role: str, member: str, state: str = "running") -> SimpleNamespace:
    return SimpleNamespace(id=cid, role=role, member=member, state=state)


def test_a_capsule_sums_its_running_containers_and_its_members_caps() -> None:
    spec = {"spec": {"containers": SPEC["spec"]["containers"][:2]}}
    capsule = SimpleNamespace(uuid="u1", host="local", spec=spec, containers=[
        container("s", "sandbox", ""), container("w", "member", "web"), container("h", "member", "helper"),
        container("i", "init", "setup", state="exited"),
    ])
    figures = {"s": ContainerFigures(0.1, 1 << 20), "w": ContainerFigures(49.9, 64 << 20),
               "h": ContainerFigures(None, 2 << 20)}
    usage = capsule_usage(capsule, figures)
    assert usage.usage.cpu == pytest.approx(50.0)
    assert usage.usage.memory == (1 + 64 + 2) << 20
    assert usage.usage.cpu_limit == pytest.approx(0.6)  # the sandbox has no cap and is not counted
    assert usage.usage.memory_limit == 144 << 20
    assert [m.member for m in usage.members] == ["(sandbox)", "web", "helper"]  # the exited init: not sampled
    web = usage.member("w")
    assert web is not None and web.cpu_of_limit == pytest.approx(99.8)
    assert web.memory_of_limit == pytest.approx(50.0)
    assert usage.member("s").cpu_of_limit is None  # unlimited: the UI shows -


def test_percent_of_limit_needs_a_figure_and_a_limit() -> None:
    assert Usage(cpu=None, cpu_limit=0.5).cpu_of_limit is None
    assert Usage(cpu=25.0, cpu_limit=None).cpu_of_limit is None
    assert Usage(cpu=25.0, cpu_limit=0.5).cpu_of_limit == pytest.approx(50.0)
    assert Usage(memory=32, memory_limit=128).memory_of_limit == pytest.approx(25.0)
