"""Claiming a host for a create: the per-host lock and the re-check of facts under it.

The race between two creates is played here in one process on fake engines (the
fake engine only lists containers; "building" appends a labeled sandbox to it, as
the builder's first step does on a real engine). test_multihost.py plays it on
real engines with the real builder.
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
import time

import pytest

from runtime.build.model import KIND_PULL, KIND_SANDBOX, ProgressEvent
from runtime.engine.client import EngineClient
from runtime.errors import HostLockTimeout
from runtime.hosts.reserve import Reserve
from runtime.hosts.settings import HostSettings
from runtime.placement.claim import claim_placement, place_capsule
from runtime.placement.host_lock import HostLock, lock_path
from runtime.placement.scheduler import Demand, NoHostFits
from support.fake_engine import FakeEngine, capsule_sandbox

GiB = 1024**3
NO_RESERVE = Reserve(cpu=0, memory=0)


def spec_for(demand: Demand) -> dict:
    return {"spec": {"containers": [{"name": "main", "resources": {"requests": {"cpu": demand.cpu}}}]}}


async def create(demand: Demand, hosts: list[HostSettings], engines: dict[str, FakeEngine],
                 landed: list[tuple[str, str]]) -> None:
    async with claim_placement(demand, hosts, reserve=NO_RESERVE, transport_for=lambda h: engines[h.name]) as claim:
        await asyncio.sleep(0.05)  # pulling images, preparing volumes: the window a race needs
        engines[claim.host.name].containers.append(capsule_sandbox(demand.name, spec_for(demand)))
        landed.append((demand.name, claim.host.name))


async def test_two_creates_racing_for_the_last_capacity_do_not_both_land(capsule_home) -> None:
    engines = {"only": FakeEngine(ncpu=2)}
    hosts = [HostSettings("only", "tcp://127.0.0.1:2375")]
    landed: list[tuple[str, str]] = []
    results = await asyncio.gather(create(Demand("a", cpu=1.5), hosts, engines, landed),
                                   create(Demand("b", cpu=1.5), hosts, engines, landed),
                                   return_exceptions=True)
    failures = [r for r in results if isinstance(r, BaseException)]
    assert len(landed) == 1 and len(failures) == 1
    assert isinstance(failures[0], NoHostFits)
    assert failures[0].summary == "0/1 hosts available: 1 insufficient cpu (needs 1.5 CPU, 0.5 CPU free)"
    assert len(engines["only"].containers) == 1


async def test_the_loser_of_a_race_goes_to_the_next_host(capsule_home) -> None:
    engines = {"big": FakeEngine(ncpu=4), "small": FakeEngine(ncpu=3)}
    hosts = [HostSettings(n, "tcp://127.0.0.1:2375") for n in engines]
    landed: list[tuple[str, str]] = []
    await asyncio.gather(create(Demand("a", cpu=3), hosts, engines, landed),
                         create(Demand("b", cpu=3), hosts, engines, landed))
    # Both chose "big" (the least allocated) from the same first facts; the one that
    # came second re-checked it under the lock, found 1 CPU left, and went on.
    assert landed == [("a", "big"), ("b", "small")]


async def test_without_the_claim_stale_facts_would_double_book(capsule_home) -> None:
    # The control for the tests above: placement alone, on facts read before either
    # create, puts both capsules on the one host.
    engines = {"only": FakeEngine(ncpu=2)}
    hosts = [HostSettings("only", "tcp://127.0.0.1:2375")]
    first, second = await asyncio.gather(
        *(place_capsule(Demand(n, cpu=1.5), hosts, reserve=NO_RESERVE, transport_for=lambda h: engines[h.name])
          for n in "ab"))
    assert first.host == second.host == "only"


async def test_the_claim_reports_fresh_facts_and_releases_on_error(capsule_home) -> None:
    engines = {"only": FakeEngine(ncpu=2)}
    hosts = [HostSettings("only", "tcp://127.0.0.1:2375")]
    with pytest.raises(RuntimeError, match="build failed"):
        async with claim_placement(Demand("a", cpu=1), hosts, transport_for=lambda h: engines[h.name]) as claim:
            assert claim.lock.held and claim.facts.cpus == 2
            assert claim.placement.reasons_per_host["only"].chosen
            raise RuntimeError("build failed")
    assert not claim.lock.held
    async with HostLock("only", timeout=0.1):  # free again
        pass


async def test_the_claim_can_be_released_once_the_sandbox_runs(capsule_home) -> None:
    engines = {"only": FakeEngine(ncpu=2)}
    hosts = [HostSettings("only", "tcp://127.0.0.1:2375")]
    async with claim_placement(Demand("a", cpu=1), hosts, transport_for=lambda h: engines[h.name]) as claim:
        claim.release_after_sandbox(ProgressEvent(KIND_PULL, "main", "pulled busybox:1.36"))
        assert claim.lock.held
        claim.release_after_sandbox(ProgressEvent(KIND_SANDBOX, "", "started sandbox a"))
        assert not claim.lock.held
        async with HostLock("only", timeout=0.1):  # the next create may go ahead already
            pass


def asked(engine: FakeEngine) -> list[str]:
    """The calls made, without the API version prefix: ["GET /version", "GET /containers/json"]."""
    return [re.sub(r" /v\d+\.\d+/", " /", r) for r in engine.requests]


async def test_one_host_is_read_once_under_its_lock_and_info_only_when_requested(capsule_home) -> None:
    engines = {"only": FakeEngine(ncpu=2)}
    hosts = [HostSettings("only", "tcp://127.0.0.1:2375")]
    via = {"transport_for": lambda h: engines[h.name]}
    async with claim_placement(Demand("a"), hosts, **via) as claim:
        assert claim.lock.held and claim.host.name == "only"
    # Nothing to choose and nothing requested: no first look, no /info.
    assert asked(engines["only"]) == ["GET /version", "GET /containers/json"]
    engines["only"].requests.clear()
    async with claim_placement(Demand("b", memory=GiB), hosts, **via) as claim:
        assert claim.facts.cpus == 2
    assert sorted(asked(engines["only"])) == ["GET /containers/json", "GET /info", "GET /version"]
    # A request is still checked against the host's capacity, and a port against its use.
    with pytest.raises(NoHostFits, match="1 insufficient cpu"):
        async with claim_placement(Demand("c", cpu=3), hosts, reserve=NO_RESERVE, **via):
            pass
    engines["only"].containers.append(capsule_sandbox("web", {"spec": {"containers": [
        {"name": "main", "ports": [{"containerPort": 80, "hostPort": 8080}]}]}}))
    with pytest.raises(NoHostFits, match=r"1 host port in use \(8080/TCP\)"):
        async with claim_placement(Demand("d", host_ports=((8080, "TCP"),)), hosts, **via):
            pass
    async with HostLock("only", timeout=0.1):  # every failure let go of the lock
        pass


async def test_facts_are_asked_over_the_callers_connected_client(capsule_home) -> None:
    fake = FakeEngine(ncpu=2)
    engine = await EngineClient.connect("tcp://127.0.0.1:2375", name="only", transport=fake)
    lent: list[str] = []

    async def engine_for(host: HostSettings) -> EngineClient:
        lent.append(host.name)
        return engine

    hosts = [HostSettings("only", "tcp://127.0.0.1:2375")]
    for name in "ab":
        async with claim_placement(Demand(name, cpu=1), hosts, reserve=NO_RESERVE, engine_for=engine_for) as claim:
            assert claim.facts.cpus == 2
    assert lent == ["only", "only"]
    assert asked(fake).count("GET /version") == 1  # negotiated once, by the owner
    assert await engine.list_containers(all=True) == []  # still open: the owner closes it
    await engine.aclose()


async def test_host_locks_exclude_each_other_in_one_process(capsule_home) -> None:
    first = HostLock("web1")
    await first.acquire()
    with pytest.raises(HostLockTimeout, match=r"host 'web1' stayed locked by another capsule create"):
        await HostLock("web1", timeout=0.2).acquire()
    async with HostLock("web2", timeout=0.2):  # other hosts are not held up
        pass
    first.release()
    first.release()  # idempotent
    async with HostLock("web1", timeout=0.2):
        pass


async def test_host_locks_exclude_another_process_and_die_with_it(capsule_home) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import asyncio, sys, time; from runtime.placement.host_lock import HostLock\n"
         "asyncio.run(HostLock('web1').acquire()); print('held', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        started = time.monotonic()
        with pytest.raises(HostLockTimeout):
            await HostLock("web1", timeout=0.3).acquire()
        assert time.monotonic() - started >= 0.3
    finally:
        holder.kill()  # the process we started, by its handle
        holder.wait()
    # The kernel dropped the dead process's lock: no stale lock file blocks the host.
    async with HostLock("web1", timeout=1.0):
        pass
    assert lock_path("web1") == capsule_home / "locks" / "web1.lock"


def test_odd_host_names_cannot_escape_the_locks_folder(capsule_home) -> None:
    path = lock_path("../../etc/passwd")
    assert path.parent == capsule_home / "locks" and path.name.startswith("h-")
