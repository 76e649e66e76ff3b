"""Native sidecars (init containers with restartPolicy Always) against a real engine.

A sidecar starts in its place among the init containers and keeps running: a later
init container can use it, the members find it, status does not wait for it, and a
delete removes it after the members (seen in the engine's events, not by timing).
A sidecar's startupProbe holds back what starts after it; its readiness counts for the
capsule's, and its liveness probe restarts it whatever the capsule's restartPolicy.
"""

from __future__ import annotations

import time
import uuid as uuidlib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from runtime.build.builder import build_capsule
from runtime.build.model import BuildOptions
from runtime.build.teardown import remove_capsule
from runtime.engine.client import EngineClient
from runtime.errors import BuildFailed
from runtime.observe.discovery import observe_capsule
from runtime.observe.observed import ObservedCapsule
from runtime.observe.status import FINISHED, RUNNING, summarize
from runtime.ops.lifecycle import start_capsule, stop_capsule
from runtime.ops.members import member_names
from runtime.probes.readiness import wait_ready
from translate.secrets import SecretStore
from translate.spec import Capsule, Container, EmptyDirVolume, Probe, Volume, VolumeMount

pytestmark = pytest.mark.docker

SHARED = (VolumeMount("shared", "/shared"),)
# Quick to stop (main, a sleeping PID 1, waits out the grace): removed together, s would go first.
HEARTBEAT = ("sh", "-c", "trap 'exit 0' TERM; while true; do date > /shared/beat; sleep 0.2; done")
# Waits for the sidecar's heartbeat: only a sidecar started before it lets it finish.
NEEDS_SIDECAR = ("sh", "-c", "for i in $(seq 50); do test -s /shared/beat && exit 0; sleep 0.1; done; exit 1")


def box(name: str, command: tuple[str, ...], **fields: Any) -> Container:
    return Container(name=name, image="busybox:1.36", command=command, volume_mounts=SHARED, **fields)


def with_sidecar(name: str, main: tuple[str, ...]) -> Capsule:
    return Capsule(
        name,
        (box("main", main),),
        init_containers=(
            box("a", ("sh", "-c", "echo a > /shared/a")),
            box("s", HEARTBEAT, sidecar=True),
            box("b", NEEDS_SIDECAR),
        ),
        volumes=(Volume("shared", EmptyDirVolume()),),
        restart_policy="Never",  # one attempt per init container: b fails unless s already runs
    )


async def build(engine: EngineClient, capsule: Capsule) -> ObservedCapsule:
    return await build_capsule(engine, capsule, SecretStore(), host="local", uuid=uuidlib.uuid4().hex,
                               revision=1, options=BuildOptions(deadline=time.monotonic() + 60, timeout=60))


async def test_a_sidecar_starts_before_later_init_containers_keeps_running_and_is_removed_after_members(
    engine: EngineClient, docker_engine: Any, name: str
) -> None:
    capsule = with_sidecar(name, ("sh", "-c", "cat /shared/a; test -s /shared/beat && echo saw-heartbeat; "
                                              "exec sleep 3600"))
    built = await build(engine, capsule)
    client = docker_engine.client
    sidecar = client.containers.get(f"{name}.s")
    assert sidecar.status == "running"
    assert sidecar.attrs["HostConfig"]["RestartPolicy"]["Name"] == "always"
    assert sidecar.labels["capsule.role"] == "sidecar"
    assert client.containers.get(f"{name}.b").attrs["State"]["ExitCode"] == 0
    assert summarize(built, capsule).status == RUNNING
    assert "s" in member_names(built)
    deadline = time.monotonic() + 15
    logs = ""
    while "saw-heartbeat" not in logs and time.monotonic() < deadline:
        logs = client.containers.get(f"{name}.main").logs().decode()
        time.sleep(0.1)
    assert "a\nsaw-heartbeat" in logs

    since = datetime.now(UTC)
    await remove_capsule(engine, host="local", name=name, grace=1)
    until = datetime.now(UTC) + timedelta(seconds=2)  # the engine takes whole seconds: wait out this one
    events = client.events(since=since, until=until, decode=True,
                           filters={"type": "container", "event": "destroy", "label": f"capsule.name={name}"})
    order = [e["Actor"]["Attributes"]["name"] for e in events]
    assert {f"{name}.main", f"{name}.s", name} <= set(order), order
    assert order.index(f"{name}.main") < order.index(f"{name}.s") < order.index(name), order


async def test_a_running_sidecar_does_not_keep_a_finished_capsule_from_finishing(
    engine: EngineClient, docker_engine: Any, name: str
) -> None:
    capsule = with_sidecar(name, ("sh", "-c", "test -s /shared/beat"))
    built = await build(engine, capsule)
    client = docker_engine.client
    deadline = time.monotonic() + 15
    while client.containers.get(f"{name}.main").status != "exited" and time.monotonic() < deadline:
        time.sleep(0.1)
    observed = await observe_capsule(engine, "local", uuid=built.uuid)
    assert observed is not None
    assert client.containers.get(f"{name}.s").status == "running"
    assert summarize(observed, capsule).status == FINISHED
    assert summarize(observed, capsule.to_dict()).status == FINISHED  # from the stored spec, too


async def test_stop_takes_the_sidecar_down_after_the_members_and_start_brings_it_back(
    engine: EngineClient, docker_engine: Any, name: str
) -> None:
    capsule = with_sidecar(name, ("sleep", "3600"))
    built = await build(engine, capsule)
    client = docker_engine.client
    since = datetime.now(UTC)
    await stop_capsule(engine, built, grace=1)
    until = datetime.now(UTC) + timedelta(seconds=2)
    events = client.events(since=since, until=until, decode=True,
                           filters={"type": "container", "event": "die", "label": f"capsule.name={name}"})
    order = [e["Actor"]["Attributes"]["name"] for e in events]
    assert order.index(f"{name}.main") < order.index(f"{name}.s") < order.index(name), order
    await start_capsule(engine, await observe_capsule(engine, "local", uuid=built.uuid), grace=1)
    assert client.containers.get(f"{name}.s").status == "running"
    assert client.containers.get(f"{name}.main").status == "running"
    assert client.containers.get(f"{name}.b").attrs["State"]["ExitCode"] == 0


# Serves only after a pause: whatever starts right after it finds nothing listening yet.
SLOW_SERVER = ("sh", "-c", "sleep 2; mkdir -p /w && echo up > /w/index.html && exec httpd -f -p 8080 -h /w")
# One try, no waiting of its own: succeeds only if the server already answers.
ASKS_SERVER = ("sh", "-c", "wget -q -O /shared/answer http://127.0.0.1:8080/")


async def test_a_sidecars_startup_probe_holds_back_the_next_init_container_until_it_passes(
    engine: EngineClient, docker_engine: Any, name: str
) -> None:
    started = Probe(tcp_port=8080, period_seconds=1, failure_threshold=30)
    capsule = Capsule(
        name, (box("main", ("sh", "-c", "cat /shared/answer; exec sleep 3600")),),
        init_containers=(box("proxy", SLOW_SERVER, sidecar=True, startup_probe=started),
                         box("client", ASKS_SERVER)),
        volumes=(Volume("shared", EmptyDirVolume()),),
        restart_policy="Never",  # one attempt: the client fails unless the proxy already serves
    )
    await build(engine, capsule)
    client = docker_engine.client
    assert client.containers.get(f"{name}.client").attrs["State"]["ExitCode"] == 0
    assert client.containers.get(f"{name}.proxy").status == "running"
    deadline = time.monotonic() + 10
    while b"up" not in client.containers.get(f"{name}.main").logs() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert b"up" in client.containers.get(f"{name}.main").logs()


async def test_a_sidecar_whose_startup_probe_never_passes_fails_the_build_in_time_and_leaves_nothing(
    engine: EngineClient, docker_engine: Any, name: str
) -> None:
    never = Probe(tcp_port=9999, period_seconds=1, failure_threshold=2)
    capsule = Capsule(name, (box("main", ("sleep", "3600")),),
                      init_containers=(box("proxy", ("sleep", "3600"), sidecar=True, startup_probe=never),),
                      volumes=(Volume("shared", EmptyDirVolume()),))
    began = time.monotonic()
    with pytest.raises(BuildFailed) as caught:
        await build_capsule(engine, capsule, SecretStore(), host="local", uuid=uuidlib.uuid4().hex, revision=1,
                            options=BuildOptions(deadline=time.monotonic() + 6, timeout=6))
    assert time.monotonic() - began < 20
    assert "sidecar proxy" in caught.value.reason and "startup probe" in caught.value.reason
    assert "restarts" in caught.value.reason and "connection refused" in caught.value.reason
    labelled = {"label": f"capsule.name={name}"}
    assert docker_engine.client.containers.list(ignore_removed=True, all=True, filters=labelled) == []


async def test_a_capsule_is_ready_only_once_its_sidecars_readiness_probe_passes(
    engine: EngineClient, docker_engine: Any, name: str
) -> None:
    ready = Probe(tcp_port=8080, period_seconds=1)
    capsule = Capsule(name, (box("main", ("sleep", "3600")),),
                      init_containers=(box("proxy", SLOW_SERVER, sidecar=True, readiness_probe=ready),),
                      volumes=(Volume("shared", EmptyDirVolume()),))
    built = await build(engine, capsule)
    report = await wait_ready(engine, built, timeout=30)
    assert any(line.startswith("proxy: readiness tcpSocket :8080") for line in report.probed), report.probed
    # Ready means the sidecar serves: its server answers now.
    answer = docker_engine.client.containers.get(f"{name}.main").exec_run(["wget", "-q", "-O-", "http://127.0.0.1:8080/"])
    assert answer.exit_code == 0 and b"up" in answer.output
