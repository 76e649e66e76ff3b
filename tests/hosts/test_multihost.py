"""Many hosts, for real: extra Docker engines in network namespaces, over tcp and TLS.

`capsule hosts add/list/check` against those engines (checked against each engine's
own answers through the docker package), a TLS engine refusing a client without the
right certificate, a host cut off while listing, and placement with its filters and
the create race played with the real builder.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import uuid as uuidlib

import pytest

from runtime.build.builder import build_capsule
from runtime.build.model import BuildOptions
from runtime.build.teardown import remove_capsule
from runtime.hosts.connect import connect_engine
from runtime.hosts.reserve import Reserve
from runtime.hosts.settings import HostSettings
from runtime.placement.claim import claim_placement
from runtime.placement.host_facts import gather_facts, host_facts
from runtime.placement.scheduler import Demand, NoHostFits, place
from translate.secrets import SecretStore
from translate.spec import Capsule, Container, ResourceAmounts, Resources

pytestmark = pytest.mark.multihost


def capsule_cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    """The whole `capsule` process, as a user runs it (CAPSULE_HOME from the test's env)."""
    return subprocess.run([sys.executable, "-m", "capsule_tui.cli", *args], capture_output=True, text=True,
                          env=os.environ.copy(), timeout=timeout)


def settings_of(host, **extra) -> HostSettings:  # type: ignore[no-untyped-def]
    tls = {}
    if host.tls:
        tls = {"tls_ca": str(host.tls_ca), "tls_cert": str(host.tls_cert), "tls_key": str(host.tls_key)}
    return HostSettings(host.name, host.url, insecure=host.tls is None, **tls, **extra)


def add_all(extra_hosts) -> None:  # type: ignore[no-untyped-def]
    for host in extra_hosts:
        args = ["hosts", "add", host.name, host.url, "--label", f"index={host.index}"]
        if host.tls:
            args += ["--tls-ca", str(host.tls_ca), "--tls-cert", str(host.tls_cert), "--tls-key", str(host.tls_key)]
        else:
            args.append("--insecure")
        result = capsule_cli(*args)
        assert result.returncode == 0, result.stderr


def test_hosts_add_and_list_show_real_engines(extra_hosts, capsule_home) -> None:  # type: ignore[no-untyped-def]
    plain = next(h for h in extra_hosts if not h.tls)
    refused = capsule_cli("hosts", "add", plain.name, plain.url)
    assert refused.returncode == 2
    assert f"plain tcp to {plain.address} is refused: an unauthenticated Docker Engine API is root" in refused.stderr

    result = capsule_cli("hosts", "add", plain.name, plain.url, "--insecure")
    assert result.returncode == 0, result.stderr
    version = plain.client.version()
    assert f"reachable: Docker Engine {version['Version']} (API " in result.stdout

    tls_host = extra_hosts.tls_host
    result = capsule_cli("hosts", "add", tls_host.name, tls_host.url, "--tls-ca", str(tls_host.tls_ca),
                         "--tls-cert", str(tls_host.tls_cert), "--tls-key", str(tls_host.tls_key))
    assert result.returncode == 0, result.stderr
    assert "reachable: Docker Engine" in result.stdout

    listed = capsule_cli("hosts", "list", "-o", "json")
    assert listed.returncode == 0, listed.stderr
    rows = {row["name"]: row for row in json.loads(listed.stdout)}
    for host in (plain, tls_host):
        info = host.client.info()  # the engine's own answer, through the docker package
        row = rows[host.name]
        assert row["status"] == "Ready", row
        assert (row["engineVersion"], row["cpus"], row["memory"]) == (
            info["ServerVersion"], info["NCPU"], info["MemTotal"])
        assert row["url"] == host.url and row["source"] == "inventory"
    assert rows[tls_host.name]["tls"] is True

    table = capsule_cli("hosts", "list")
    assert table.stdout.splitlines()[0].split() == [
        "NAME", "URL", "STATUS", "VERSION", "CPUS", "MEMORY", "CAPSULES", "CPU-REQ", "MEM-REQ"]
    line = next(line for line in table.stdout.splitlines() if line.startswith(tls_host.name + " "))
    assert line.split()[1:5] == [tls_host.url, "Ready", info["ServerVersion"], str(info["NCPU"])]


def test_tls_host_refuses_a_client_without_the_right_certificate(extra_hosts, capsule_home) -> None:  # type: ignore[no-untyped-def]
    tls_host = extra_hosts.tls_host
    wrong = tls_host.untrusted_tls
    result = capsule_cli("hosts", "add", "tls-wrong", tls_host.url, "--tls-ca", str(tls_host.tls_ca),
                         "--tls-cert", str(wrong.cert), "--tls-key", str(wrong.key))
    assert result.returncode == 0  # added, with a warning: the host may simply be down right now
    assert "warning: host 'tls-wrong' was added but cannot be used now: " in result.stderr
    assert f"host 'tls-wrong' ({tls_host.url})" in result.stderr and "TLS" in result.stderr

    check = capsule_cli("hosts", "check", "tls-wrong")
    assert check.returncode == 1
    assert check.stdout.startswith(f"tls-wrong ({tls_host.url}, from inventory): unreachable: ")
    assert "client certificate" in check.stdout
    listed = {row["name"]: row for row in json.loads(capsule_cli("hosts", "list", "-o", "json").stdout)}
    assert (listed["tls-wrong"]["status"], listed["tls-wrong"]["problem"]) == ("Unreachable", "TLS refused")

    # No client certificate at all (allowed only as insecure by capsule's policy): the engine refuses.
    bare = HostSettings("tls-bare", tls_host.url, tls_ca=str(tls_host.tls_ca), insecure=True)
    facts = asyncio.run(host_facts(bare))
    assert facts.error_kind == "TLS refused"
    assert f"host 'tls-bare' ({tls_host.url})" in facts.error and "TLS" in facts.error


def test_a_cut_off_host_is_listed_unreachable_within_bounded_time(extra_hosts, capsule_home) -> None:  # type: ignore[no-untyped-def]
    add_all(extra_hosts)
    victim = next(h for h in extra_hosts if not h.tls)
    victim.cut()
    try:
        started = time.monotonic()
        listed = capsule_cli("hosts", "list", "-o", "json")
        elapsed = time.monotonic() - started
        assert listed.returncode == 0, listed.stderr
        rows = {row["name"]: row for row in json.loads(listed.stdout)}
        assert rows[victim.name]["status"] == "Unreachable"
        assert rows[victim.name]["problem"] == "connect timeout"
        assert rows[victim.name]["reason"].startswith(
            f"host '{victim.name}' ({victim.url}) did not accept a connection within 3 s")
        assert all(rows[h.name]["status"] == "Ready" for h in extra_hosts if h is not victim)
        # The connect timeout (3 s) plus a process start and the other hosts' answers;
        # generous for a loaded machine, yet far below the 30 s read timeout a host
        # that blocked the others would cost.
        assert elapsed < 10.0, elapsed
        check = capsule_cli("hosts", "check", "--timeout", "1")
        assert check.returncode == 1
        assert f"{victim.name} ({victim.url}, from inventory): unreachable: " in check.stdout
    finally:
        victim.restore()
    again = json.loads(capsule_cli("hosts", "list", "-o", "json").stdout)
    assert {row["name"]: row["status"] for row in again}[victim.name] == "Ready"


# --- placement on real engines -----------------------------------------------------------


def test_placement_filters_on_real_host_facts(extra_hosts, session_labels, unique_name) -> None:  # type: ignore[no-untyped-def]
    first, second = extra_hosts[0], extra_hosts[1]
    hosts = [settings_of(h, labels={"zone": "a" if h is first else "b"}) for h in extra_hosts]
    blocker = first.client.containers.run(
        "capsule-test/busybox:latest", ["sleep", "120"], name=f"{unique_name}-port", detach=True,
        labels=session_labels, ports={"80/tcp": 18080})
    try:
        facts = asyncio.run(gather_facts(hosts))
        assert all(f.reachable for f in facts), [f.error for f in facts]
        assert (18080, "TCP") in facts[0].ports_in_use

        assert place(Demand("w", host_selector=second.name), facts).host == second.name
        assert place(Demand("w", host_labels=(("zone", "a"),)), facts).host == first.name

        with pytest.raises(NoHostFits) as caught:
            place(Demand("w", host_labels=(("zone", "a"),), host_ports=((18080, "TCP"),)), facts)
        assert caught.value.summary == (f"0/{len(hosts)} hosts available: {len(hosts) - 1} does not match "
                                        f"host labels, 1 host port in use (18080/TCP)")

        cpus = facts[0].cpus
        with pytest.raises(NoHostFits) as caught:
            place(Demand("w", cpu=cpus + 1), facts, reserve=Reserve(cpu=0, memory=0))
        assert caught.value.summary == (f"0/{len(hosts)} hosts available: {len(hosts)} insufficient cpu "
                                        f"(needs {cpus + 1} CPU, at most {cpus} CPU free)")
    finally:
        blocker.remove(force=True)


def _capsule(name: str, cpu: float) -> Capsule:
    main = Container("main", "capsule-test/busybox:latest", command=("sleep", "300"),
                     resources=Resources(requests=ResourceAmounts(cpu=cpu, memory=16 * 1024**2)))
    return Capsule(name, containers=(main,), restart_policy="Never")


async def _create(capsule: Capsule, hosts: list[HostSettings]) -> str:
    async with claim_placement(capsule, hosts, reserve=Reserve(cpu=0, memory=0)) as claim:
        engine = await connect_engine(claim.host)
        async with engine:
            await build_capsule(engine, capsule, SecretStore(), host=claim.host.name, uuid=str(uuidlib.uuid4()),
                                revision=1, options=BuildOptions(), on_progress=claim.release_after_sandbox)
        assert not claim.lock.held  # released as soon as the sandbox ran
        return claim.host.name


def test_two_real_creates_racing_for_the_last_capacity(extra_hosts, unique_name) -> None:  # type: ignore[no-untyped-def]
    target = extra_hosts[0]
    hosts = [settings_of(target)]
    cpus = target.client.info()["NCPU"]
    # Each asks for 3/4 of the host: one fits, two do not.
    capsules = [_capsule(f"{unique_name}-{i}", cpus * 0.75) for i in (1, 2)]

    async def race() -> list:
        return await asyncio.gather(*(_create(c, hosts) for c in capsules), return_exceptions=True)

    results = asyncio.run(race())
    try:
        landed = [r for r in results if r == target.name]
        refused = [r for r in results if isinstance(r, NoHostFits)]
        assert len(landed) == 1 and len(refused) == 1, results
        assert "1 insufficient cpu" in refused[0].summary
        # The engine's own view: containers of exactly one of the two capsules exist there.
        names = {c.labels.get("capsule.name") for c in target.client.containers.list(
            ignore_removed=True, all=True, filters={"label": "capsule.managed-by=capsule"})}
        assert len(names & {c.name for c in capsules}) == 1
    finally:
        async def clean() -> None:
            engine = await connect_engine(hosts[0])
            async with engine:
                for capsule in capsules:
                    await remove_capsule(engine, host=target.name, name=capsule.name)
        asyncio.run(clean())


def test_a_cut_off_host_is_skipped_by_placement(extra_hosts, unique_name) -> None:  # type: ignore[no-untyped-def]
    plain = [h for h in extra_hosts if not h.tls]
    victim, other = plain[0], extra_hosts[-1]
    hosts = [settings_of(victim), settings_of(other)]
    victim.cut()
    try:
        started = time.monotonic()
        capsule = _capsule(unique_name, 0.1)
        landed = asyncio.run(_create(capsule, hosts))
        assert landed == other.name
        assert time.monotonic() - started < 20  # one connect timeout, then an ordinary create
        assert other.client.containers.list(ignore_removed=True, all=True, filters={"label": f"capsule.name={unique_name}"})
    finally:
        victim.restore()

        async def clean() -> None:
            engine = await connect_engine(settings_of(other))
            async with engine:
                await remove_capsule(engine, host=other.name, name=unique_name)
        asyncio.run(clean())
    assert not victim.client.containers.list(ignore_removed=True, all=True, filters={"label": f"capsule.name={unique_name}"})
