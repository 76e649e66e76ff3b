"""Probes (runtime.probes.run, probe_tracker, readiness): the rules alone, then against a real engine.

The httpGet test's member image has exactly one file that runs: busybox's binary,
saved as /bin/httpd. Busybox picks its applet from the name it was started by, so
that image is an HTTP server with no HTTP client (no wget, nc or sh to start);
the test proves that by exec-ing them, and proves the probe's request came from
outside the capsule by httpd's access log, which names the client's address: the
bridge's gateway (this machine), not 127.0.0.1.
"""

from __future__ import annotations

import io
import tarfile
import time
import uuid as uuidlib
from collections.abc import Iterator
from typing import Any

import pytest

from runtime.build.builder import build_capsule
from runtime.build.model import BuildOptions
from runtime.engine.client import EngineClient
from runtime.errors import NotReady, ProbeError
from runtime.observe.observed import ObservedCapsule
from runtime.probes.readiness import wait_ready
from runtime.probes.run import (
    LIVENESS,
    READINESS,
    ProbeResult,
    engine_remote_address,
    member_probes,
    probe_address,
    probe_from_dict,
    run_probe,
)
from runtime.probes.tracker import FAILED, PASSED, ProbeTracker, engine_time
from support.images import import_rootfs
from translate.secrets import SecretStore
from translate.spec import Capsule, Container, Port, Probe

BUSYBOX = "busybox:1.36"
HTTPD = ("sh", "-c", "mkdir -p /www && echo hello > /www/index.html && exec httpd -f -p 8080 -h /www")


# ---------------------------------------------------------------- the rules, no engine


def test_probe_dict_round_trip() -> None:
    probes = [
        Probe(exec_command=("cat", "/tmp/ok"), period_seconds=2, failure_threshold=5),
        Probe(http_path="/healthz", http_port=8080, http_headers=(("X-A", "1"),), initial_delay_seconds=3),
        Probe(tcp_port=5432, timeout_seconds=4, success_threshold=2),
    ]
    for probe in probes:
        assert probe_from_dict(probe.to_dict()) == probe
    with pytest.raises(ProbeError, match="exec, httpGet, tcpSocket"):
        probe_from_dict({"periodSeconds": 3})


def test_tracker_follows_the_kubernetes_thresholds() -> None:
    probe = Probe(tcp_port=1, initial_delay_seconds=5, period_seconds=2, failure_threshold=3, success_threshold=2)
    liveness = ProbeTracker(LIVENESS, probe, started_at=100.0)
    assert not liveness.due(104.9) and liveness.due(105.0)
    bad, good = ProbeResult(False, "refused"), ProbeResult(True, "ok")
    assert [liveness.record(bad, 105), liveness.record(bad, 107)] == [None, None]
    assert liveness.next_due == 109
    assert liveness.record(good, 109) is None  # a success breaks the run of failures
    verdicts = [liveness.record(bad, t) for t in (111, 113, 115)]
    assert verdicts == [None, None, FAILED]
    readiness = ProbeTracker(READINESS, probe, started_at=0.0)
    assert readiness.record(good, 1) is None and readiness.record(good, 3) == PASSED and readiness.passing
    assert [readiness.record(bad, t) for t in (5, 7, 9, 11)] == [None, None, FAILED, None]
    assert not readiness.passing
    assert readiness.record_error("no address", 12) and not readiness.record_error("no address", 14)


def test_engine_time_and_remote_addresses() -> None:
    assert engine_time("2024-05-01T10:00:00.123456789Z") == pytest.approx(1714557600.123456)
    assert engine_time("0001-01-01T00:00:00Z") is None
    assert engine_remote_address("unix:///var/run/docker.sock") is None
    assert engine_remote_address("tcp://127.0.0.1:2375") is None
    assert engine_remote_address("tcp://10.251.0.2:2376") == "10.251.0.2"


class _RemoteEngine:
    url = "tcp://10.251.0.2:2375"


def test_remote_capsule_probe_goes_to_the_published_port_or_refuses() -> None:
    capsule = Capsule("web", (Container("web", BUSYBOX, ports=(Port(8080, 18080), Port(9090))),))
    observed = ObservedCapsule("far", "web", "u1", 1, capsule.to_dict(), [], ip="172.17.0.9")
    engine: Any = _RemoteEngine()
    assert probe_address(engine, observed, 8080, None) == ("10.251.0.2", 18080)
    with pytest.raises(ProbeError, match="does not publish port 9090.*hostPort"):
        probe_address(engine, observed, 9090, None)


# ---------------------------------------------------------------- against a real engine


@pytest.fixture
def name(unique_name: str, docker_engine: Any) -> Iterator[str]:
    """The capsule's name; capsules named after it ("<name>-x") are removed too after the test."""
    yield unique_name
    for container in docker_engine.client.containers.list(ignore_removed=True, all=True, filters={"label": "capsule.name"}):
        if container.labels.get("capsule.name", "").startswith(unique_name):
            container.remove(force=True)


@pytest.fixture
def server_only_image(docker_engine: Any, unique_name: str, session_labels: dict[str, str]) -> Iterator[str]:
    """An image whose only program is an HTTP server: busybox's binary named /bin/httpd."""
    client = docker_engine.client
    helper = client.containers.create("capsule-test/busybox:latest", ["true"], labels=session_labels)
    try:
        stream, _ = helper.get_archive("/bin/busybox")
        archive = tarfile.open(fileobj=io.BytesIO(b"".join(stream)))
        member = archive.extractfile(archive.getmember("busybox"))
        assert member is not None
        binary = member.read()
    finally:
        helper.remove(force=True)
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        for folder in ("bin", "www"):
            info = tarfile.TarInfo(folder)
            info.type, info.mode = tarfile.DIRTYPE, 0o755
            tar.addfile(info)
        for path, data, mode in (("bin/httpd", binary, 0o755), ("www/index.html", b"only-a-server\n", 0o644)):
            info = tarfile.TarInfo(path)
            info.size, info.mode = len(data), mode
            tar.addfile(info, io.BytesIO(data))
    tag = f"capsule-test/server-only:{unique_name}"
    # With the session's labels, so that the session's sweep finds it if this teardown never runs.
    image_id = import_rootfs(client, out.getvalue(), tag, session_labels)
    yield tag
    # This teardown runs before the `name` fixture's: the capsule's containers still use the
    # image, and untagging it then (as `remove(tag, force=True)` did) left it dangling. So the
    # containers made from it go first, then the image itself, by id (without force: a
    # container still using it is an error, not a leftover).
    for container in client.containers.list(ignore_removed=True, all=True, filters={"ancestor": image_id}):
        container.remove(force=True)
    client.images.remove(image_id)


async def build(engine: EngineClient, capsule: Capsule) -> ObservedCapsule:
    return await build_capsule(engine, capsule, SecretStore(), host="local", uuid=uuidlib.uuid4().hex, revision=1,
                               options=BuildOptions())


async def test_http_readiness_probe_runs_from_outside_an_image_without_any_client(
    engine: EngineClient, docker_engine: Any, name: str, server_only_image: str
) -> None:
    readiness = Probe(http_path="/index.html", http_port=8080, period_seconds=1)
    server = Container("web", server_only_image, command=("/bin/httpd", "-f", "-vv", "-p", "8080", "-h", "/www"),
                       readiness_probe=readiness)
    built = await build(engine, Capsule(name, (server,)))
    report = await wait_ready(engine, built, timeout=20)
    assert any("answered 200" in line for line in report.probed), report.probed
    container = docker_engine.client.containers.get(f"{name}.web")
    # No client inside: the image cannot run wget, nc or even a shell.
    for command in (["wget", "-qO-", "http://127.0.0.1:8080/"], ["nc", "127.0.0.1", "8080"], ["sh", "-c", "true"]):
        code, output = container.exec_run(command)
        assert code in (126, 127) and b"not found" in output, (command, code, output)
    # httpd logged the probe's request with the client's address: the bridge gateway, i.e. outside.
    gateway = docker_engine.client.containers.get(name).attrs["NetworkSettings"]["Gateway"]
    logs = container.logs().decode()
    assert f"{gateway}]:" in logs and "url:/index.html" in logs and "127.0.0.1" not in logs, logs


async def test_probe_on_a_port_nothing_listens_on_fails_with_the_reason(
    engine: EngineClient, name: str
) -> None:
    built = await build(engine, Capsule(name, (Container("web", BUSYBOX, command=HTTPD),)))
    web = built.members[0]
    deadline = time.monotonic() + 10
    while not (result := await run_probe(engine, built, web, Probe(tcp_port=8080))).ok:
        assert time.monotonic() < deadline, result.reason  # httpd takes a moment to listen
    assert result.reason == f"tcp {built.ip}:8080 accepted the connection"
    refused = await run_probe(engine, built, web, Probe(tcp_port=8081))
    assert not refused.ok and f"connection refused: nothing listens on {built.ip}:8081" in refused.reason
    http = await run_probe(engine, built, web, Probe(http_port=8081, http_path="/"))
    assert not http.ok and f"nothing listens on {built.ip}:8081" in http.reason
    missing = await run_probe(engine, built, web, Probe(http_port=8080, http_path="/missing"))
    assert not missing.ok and "answered 404 (expected 200-399)" in missing.reason
    # A readiness probe that keeps failing: not ready, and the reason says why.
    probed = await build(engine, Capsule(f"{name}-r", (Container("web", BUSYBOX, command=HTTPD,
                                                                 readiness_probe=Probe(tcp_port=8081, period_seconds=1)),)))
    with pytest.raises(NotReady, match=f"was not ready within 3 s: .*nothing listens on {probed.ip}:8081"):
        await wait_ready(engine, probed, timeout=3)


async def test_exec_probes_success_failure_timeout_and_missing_command(engine: EngineClient, name: str) -> None:
    built = await build(engine, Capsule(name, (Container("app", BUSYBOX, command=("sleep", "3600")),)))
    app = built.members[0]
    assert (await run_probe(engine, built, app, Probe(exec_command=("true",)))).ok
    failed = await run_probe(engine, built, app, Probe(exec_command=("sh", "-c", "echo sick >&2; exit 3")))
    assert not failed.ok and failed.reason == "exec sh -c echo sick >&2; exit 3 exited with code 3: sick"
    slow = await run_probe(engine, built, app, Probe(exec_command=("sleep", "5"), timeout_seconds=1))
    assert not slow.ok and "no answer within 1 s" in slow.reason and slow.seconds < 3
    with pytest.raises(ProbeError, match="cannot run 'no-such-tool' in its image"):
        await run_probe(engine, built, app, Probe(exec_command=("no-such-tool",)))


async def test_wait_ready_without_probes_settles_and_fails_fast_under_never(engine: EngineClient, name: str) -> None:
    built = await build(engine, Capsule(name, (Container("app", BUSYBOX, command=("sleep", "3600")),)))
    assert member_probes(built, "app") == {}
    report = await wait_ready(engine, built, timeout=10, settle=1)
    assert 1 <= report.seconds < 10
    crash = Capsule(f"{name}-x", (Container("app", BUSYBOX, command=("sh", "-c", "exit 4")),), restart_policy="Never")
    crashed = await build(engine, crash)
    started = time.monotonic()
    with pytest.raises(NotReady, match="member app exited with code 4 and restartPolicy Never does not restart it"):
        await wait_ready(engine, crashed, timeout=20)
    assert time.monotonic() - started < 10


async def test_startup_probe_gates_readiness(engine: EngineClient, name: str) -> None:
    # httpd answers at once, but the startup probe passes only after 2 s: readiness must wait for it.
    command = ("sh", "-c", "mkdir -p /www && echo hi > /www/index.html && httpd -p 8080 -h /www && "
                           "sleep 2 && touch /tmp/up && exec sleep 3600")
    member = Container("web", BUSYBOX, command=command,
                       startup_probe=Probe(exec_command=("test", "-e", "/tmp/up"), period_seconds=1,
                                           failure_threshold=30),
                       readiness_probe=Probe(http_port=8080, http_path="/", period_seconds=1))
    built = await build(engine, Capsule(name, (member,)))
    report = await wait_ready(engine, built, timeout=20)
    assert report.seconds >= 1.5, report
    kinds = sorted(line.split(": ")[1].split(" ")[0] for line in report.probed)
    assert kinds == ["readiness", "startup"], report.probed
    assert any("answered 200" in line for line in report.probed)
