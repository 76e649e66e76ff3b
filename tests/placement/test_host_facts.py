"""Host facts gathered concurrently: many hosts, slow and dead ones, and engines that answer wrongly.

The in-process fake engine stands in for the 100 hosts and for failures a real engine
cannot produce on demand (garbage answers, a 500 on /info, a hang). One test reads
the real local engine and checks the facts against the docker package's own view.
"""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from runtime.hosts.settings import HostSettings
from runtime.placement.host_facts import gather_facts, host_facts
from support.fake_engine import FakeContainer, FakeEngine, capsule_sandbox

GiB = 1024**3


def settings(name: str, connect_timeout: float = 3.0) -> HostSettings:
    # The URL only shapes the requests: the fake transport answers, no socket is opened.
    return HostSettings(name, f"tcp://127.0.0.1:{20000 + len(name)}", {"n": name}, connect_timeout=connect_timeout)


def spec(cpu: float, memory: int, host_port: int | None = None) -> dict:
    container = {"name": "main", "image": "busybox:1.36",
                 "resources": {"requests": {"cpu": cpu, "memory": memory}}}
    if host_port:
        container["ports"] = [{"containerPort": 80, "hostPort": host_port, "protocol": "TCP"}]
    return {"apiVersion": "beta", "kind": "capsule", "metadata": {"name": "x"}, "spec": {"containers": [container]}}


async def test_facts_of_a_host_with_capsules() -> None:
    engine = FakeEngine(ncpu=8, mem_total=16 * GiB, version="25.0.3", api_version="1.44", containers=[
        capsule_sandbox("web", spec(1.5, GiB, host_port=8080), ports=[(8080, 80, "tcp")]),
        capsule_sandbox("batch", spec(4, 4 * GiB), state="exited"),
        FakeContainer("unrelated", ports=[(5432, 5432, "tcp")]),
    ])
    facts = await host_facts(settings("h1"), transport=engine)
    assert facts.reachable and facts.error is None
    assert (facts.engine_version, facts.api_version, facts.cpus, facts.memory) == ("25.0.3", "1.44", 8, 16 * GiB)
    assert sorted(c.name for c in facts.capsules) == ["batch", "web"]
    assert (facts.cpu_requested, facts.memory_requested) == (1.5, GiB)  # the exited capsule holds nothing
    assert facts.ports_in_use == frozenset({(8080, "TCP"), (5432, "TCP")})
    assert facts.labels == {"n": "h1"}
    # What was asked: version negotiated once, then the versioned calls.
    assert engine.requests == ["GET /version", "GET /v1.44/info", "GET /v1.44/containers/json"]


async def test_hundred_hosts_take_the_time_of_the_slowest_not_the_sum() -> None:
    engines = {f"h{i:03d}": FakeEngine(latency=0.02 + (i % 5) * 0.01) for i in range(98)}
    engines["slow"] = FakeEngine(latency=0.3)
    engines["dead"] = FakeEngine(behaviour="connect-timeout")
    hosts = [settings(name, connect_timeout=1.0) for name in engines]
    started = time.monotonic()
    facts = await gather_facts(hosts, transport_for=lambda h: engines[h.name])
    elapsed = time.monotonic() - started
    sum_of_latencies = sum(f.elapsed for f in facts)
    by_name = {f.name: f for f in facts}
    assert [f.name for f in facts] == [h.name for h in hosts]  # order kept
    assert sum(f.reachable for f in facts) == 99
    dead = by_name["dead"]
    assert dead.error_kind == "connect timeout"
    assert dead.error.startswith("host 'dead' (tcp://127.0.0.1:20004) did not accept a connection within 1 s")
    assert 0.6 <= by_name["slow"].elapsed < 1.0  # two round trips of 0.3 s
    # Bounded by the dead host's connect timeout (1 s) plus scheduling slack, far below the sum.
    assert elapsed < 2.5, elapsed
    assert sum_of_latencies > 5 * elapsed


@pytest.mark.parametrize(("behaviour", "kind", "message"), [
    ("refuse", "unreachable", "cannot connect to host 'bad' (tcp://127.0.0.1:20003): [Errno 111] Connection refused."),
    ("garbage", "engine error", "host 'bad' (tcp://127.0.0.1:20003) answered /version with something that is not JSON"),
    ("info-500", "engine error", "host 'bad' (tcp://127.0.0.1:20003): fake engine: info failed on purpose"),
    ("hang", "no answer", "host 'bad' (tcp://127.0.0.1:20003) did not answer within 1.5 s; the engine may be hung"),
])
async def test_a_broken_host_is_reported_with_why_and_never_blocks_the_others(
    behaviour: str, kind: str, message: str
) -> None:
    engines = {"bad": FakeEngine(behaviour=behaviour), "good": FakeEngine()}
    started = time.monotonic()
    facts = await gather_facts([settings("bad", 0.5), settings("good", 0.5)], read_timeout=1.0,
                               transport_for=lambda h: engines[h.name])
    assert time.monotonic() - started < 2.5
    bad, good = facts
    assert good.reachable and good.cpus == 4
    assert not bad.reachable
    assert bad.error_kind == kind
    assert bad.error.startswith(message), bad.error


async def test_an_engine_without_capacity_figures_is_unusable() -> None:
    class NoCpus(FakeEngine):
        def _route(self, request):  # type: ignore[no-untyped-def]
            response = super()._route(request)
            if request.url.path.endswith("/info"):
                body = json.loads(response.content)
                del body["NCPU"]
                return type(response)(200, json=body, request=request)
            return response

    facts = await host_facts(settings("odd"), transport=NoCpus())
    assert facts.error_kind == "bad answer"
    assert facts.error == ("host 'odd' (tcp://127.0.0.1:20003) answered /info without usable NCPU and "
                           "MemTotal (got None and 8589934592); is it a Docker engine?")


async def test_a_server_that_is_not_a_docker_engine() -> None:
    class NotDocker(FakeEngine):
        def _route(self, request):  # type: ignore[no-untyped-def]
            return type(super()._route(request))(404, text="404 page not found", request=request)

    facts = await host_facts(settings("web"), transport=NotDocker())
    assert facts.error_kind == "not an engine"
    assert facts.error == ("host 'web' (tcp://127.0.0.1:20003) answered, but not as a Docker engine "
                           "(/version: 404 page not found); check the URL's address and port.")


async def test_missing_tls_files_make_only_that_host_unusable() -> None:
    host = HostSettings("sec", "tcp://127.0.0.1:2376", tls_ca="/nonexistent/ca.pem",
                        tls_cert="/nonexistent/c.pem", tls_key="/nonexistent/k.pem")
    facts = await host_facts(host)
    assert facts.error_kind == "bad settings"
    assert "'/nonexistent/ca.pem'" in facts.error and "'sec'" in facts.error


@pytest.mark.docker
async def test_facts_of_the_real_local_engine_match_the_docker_package(
    docker_engine, unique_name: str, session_labels: dict
) -> None:
    client = docker_engine.client
    labels = {**session_labels, "capsule.managed-by": "capsule", "capsule.name": unique_name,
              "capsule.uuid": f"uuid-{unique_name}", "capsule.role": "sandbox",
              "capsule.spec": json.dumps(spec(0.25, 64 * 1024**2, host_port=0))}
    container = client.containers.run("capsule-test/busybox:latest", ["sleep", "60"], name=unique_name,
                                      labels=labels, detach=True, ports={"80/tcp": ("127.0.0.1", None)})
    try:
        container.reload()
        published = int(container.attrs["NetworkSettings"]["Ports"]["80/tcp"][0]["HostPort"])
        facts = await host_facts(HostSettings("local", docker_engine.url))
        info, version = client.info(), client.version()
        assert facts.reachable, facts.error
        assert (facts.cpus, facts.memory, facts.engine_version) == (info["NCPU"], info["MemTotal"], version["Version"])
        (mine,) = [c for c in facts.capsules if c.name == unique_name]
        assert (mine.cpu, mine.memory, mine.active) == (0.25, 64 * 1024**2, True)
        assert (published, "TCP") in facts.ports_in_use
    finally:
        container.remove(force=True)
    after = await host_facts(HostSettings("local", docker_engine.url))
    assert unique_name not in [c.name for c in after.capsules]


async def test_gathering_is_cancel_safe() -> None:
    engines = {"a": FakeEngine(behaviour="hang"), "b": FakeEngine(behaviour="hang")}
    task = asyncio.ensure_future(gather_facts([settings("a"), settings("b")],
                                              transport_for=lambda h: engines[h.name]))
    # Cancelled while both hosts are being asked (each hangs), not before gathering began.
    deadline = time.monotonic() + 10
    while not (engines["a"].requests and engines["b"].requests):
        assert time.monotonic() < deadline and not task.done(), (engines["a"].requests, engines["b"].requests)
        await asyncio.sleep(0.01)  # the polling interval
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
