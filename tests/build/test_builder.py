"""The builder against a real engine, checked through the engine (the docker package).

Every capsule is named by `unique_name`; whatever a test leaves is removed by label
at its end (and by the session's prefix sweep). Raw containers a test makes itself
carry `capsule.test-session`. Traffic goes only to 127.0.0.1 and between containers.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
import time
import urllib.request
import uuid as uuidlib
from collections.abc import Iterator
from typing import Any

import pytest

from runtime.build.add_member import add_container
from runtime.build.builder import build_capsule
from runtime.build.images import ensure_images
from runtime.build.model import BuildOptions, ProgressEvent
from runtime.build.teardown import remove_capsule
from runtime.engine.client import EngineClient
from runtime.errors import BuildCancelled, BuildFailed, BuildRefused
from runtime.observe.discovery import observe_capsule, observe_host
from runtime.observe.observed import ObservedCapsule
from runtime.ops.lifecycle import pause_capsule, stale_members, start_capsule, stop_capsule, unpause_capsule
from support.capsule_cli import free_port
from support.fake_registry import FakeRegistry
from translate.secrets import SecretStore
from translate.spec import (
    Capsule,
    ConfigMapVolume,
    Container,
    EmptyDirVolume,
    NamedVolume,
    PersistentVolume,
    Port,
    ResourceAmounts,
    Resources,
    SecretVolume,
    SecurityContext,
    Volume,
    VolumeMount,
)

BUSYBOX = "busybox:1.36"
HTTPD = ("sh", "-c", "mkdir -p /www && echo hello-from-$HOSTNAME > /www/index.html && exec httpd -f -p 8080 -h /www")
SLEEP = ("sleep", "3600")

pytestmark = pytest.mark.docker


def leftovers(docker_engine: Any, capsule: str) -> tuple[list[str], list[str]]:
    client = docker_engine.client
    containers = client.containers.list(ignore_removed=True, all=True, filters={"label": f"capsule.name={capsule}"})
    volumes = client.volumes.list(filters={"label": f"capsule.name={capsule}"})
    return [c.name for c in containers], [v.name for v in volumes]


def box(name: str, command: tuple[str, ...] = SLEEP, **fields: Any) -> Container:
    return Container(name=name, image=BUSYBOX, command=command, **fields)


async def build(
    engine: EngineClient, capsule: Capsule, secrets: SecretStore | None = None, *, on_progress=None, **options: Any
) -> ObservedCapsule:
    return await build_capsule(
        engine,
        capsule,
        secrets or SecretStore(),
        host="local",
        uuid=uuidlib.uuid4().hex,
        revision=1,
        options=BuildOptions(**options),
        on_progress=on_progress,
    )


def exec_in(docker_engine: Any, container: str, *command: str) -> tuple[int, str]:
    code, output = docker_engine.client.containers.get(container).exec_run(list(command))
    return code, output.decode("utf-8", errors="replace")


def wait_for_logs(docker_engine: Any, container: str, needle: str, timeout: float = 15.0) -> str:
    deadline = time.monotonic() + timeout
    logs = ""
    while time.monotonic() < deadline:
        logs = docker_engine.client.containers.get(container).logs().decode("utf-8", errors="replace")
        if needle in logs:
            return logs
        time.sleep(0.2)
    raise AssertionError(f"{needle!r} not in the logs of {container} within {timeout} s: {logs!r}")


def http_get(url: str, timeout: float = 15.0) -> str:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                return answer.read().decode()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def web_capsule(name: str, port: int | None = None) -> Capsule:
    fetch = "until wget -qO- http://127.0.0.1:8080/; do sleep 0.2; done; exec sleep 3600"
    return Capsule(
        name,
        (
            box("web", HTTPD, ports=(Port(8080, port),)),
            box("client", ("sh", "-c", fetch),
                resources=Resources(ResourceAmounts(0.1, 16 << 20), ResourceAmounts(0.5, 64 << 20))),
        ),
    )


# ---------------------------------------------------------------- a capsule that works


async def test_members_share_localhost_and_host_port_answers(
    engine: EngineClient, docker_engine: Any, name: str
) -> None:
    port = free_port()
    built = await build(engine, web_capsule(name, port))
    assert {c.member for c in built.members} == {"web", "client"} and built.sandbox is not None
    # Member to member over localhost: the client fetched the web member's page.
    assert f"hello-from-{name}" in wait_for_logs(docker_engine, f"{name}.client", "hello-from-")
    # The host port, published by the sandbox, answers from the host.
    assert http_get(f"http://127.0.0.1:{port}/").strip() == f"hello-from-{name}"
    client = docker_engine.client
    sandbox = client.containers.get(name).attrs
    assert sandbox["HostConfig"]["IpcMode"] == "shareable"
    assert sandbox["HostConfig"]["RestartPolicy"]["Name"] == "always"
    member = client.containers.get(f"{name}.client").attrs["HostConfig"]
    assert member["NetworkMode"] == f"container:{sandbox['Id']}"
    assert member["NanoCpus"] == 500_000_000 and member["Memory"] == 64 << 20
    seen = {c.name: c for c in await observe_host(engine, "local")}
    assert seen[name].ip == sandbox["NetworkSettings"]["IPAddress"] and seen[name].ip
    assert {c.role for c in seen[name].containers} == {"sandbox", "member"}

    summary = await remove_capsule(engine, host="local", name=name)
    assert sorted(summary.containers) == sorted([name, f"{name}.web", f"{name}.client"])
    assert leftovers(docker_engine, name) == ([], [])


async def test_init_output_volumes_config_and_secret_files(engine: EngineClient, docker_engine: Any, name: str) -> None:
    secrets = SecretStore()
    secrets.add("creds", {"token": b"tok-SECRET-4711"})
    claim = f"{name}-claim"
    mounts = (
        VolumeMount("work", "/work"),
        VolumeMount("conf", "/etc/app"),
        VolumeMount("creds", "/run/creds"),
        VolumeMount("data", "/ro", read_only=True),
        VolumeMount("fast", "/fast"),
        VolumeMount("claim", "/claim"),
    )
    capsule = Capsule(
        name,
        (box("main", ("sh", "-c", "cat /work/marker; exec sleep 3600"), volume_mounts=mounts),),
        init_containers=(
            box("setup", ("sh", "-c", "echo init-ran-first > /work/marker"), volume_mounts=(mounts[0],)),
        ),
        volumes=(
            Volume("work", EmptyDirVolume()),
            Volume("conf", ConfigMapVolume("conf", (("app.conf", "color=blue\n"), ("sub/x.txt", "nested\n")))),
            Volume("creds", SecretVolume("creds", default_mode=0o440)),
            Volume("data", NamedVolume()),
            Volume("fast", EmptyDirVolume("Memory", 8 << 20)),
            Volume("claim", PersistentVolume(claim)),
        ),
    )
    await build(engine, capsule, secrets)
    main = f"{name}.main"
    assert "init-ran-first" in wait_for_logs(docker_engine, main, "init-ran-first")
    assert exec_in(docker_engine, main, "cat", "/etc/app/app.conf") == (0, "color=blue\n")
    assert exec_in(docker_engine, main, "cat", "/etc/app/sub/x.txt") == (0, "nested\n")
    assert exec_in(docker_engine, main, "cat", "/run/creds/token") == (0, "tok-SECRET-4711")
    assert exec_in(docker_engine, main, "stat", "-c", "%a", "/run/creds/token") == (0, "440\n")
    code, output = exec_in(docker_engine, main, "sh", "-c", "echo x > /ro/file")
    assert code != 0 and "Read-only file system" in output
    assert exec_in(docker_engine, main, "sh", "-c", "echo x > /work/file")[0] == 0
    code, output = exec_in(docker_engine, main, "sh", "-c", "grep ' /fast ' /proc/mounts")
    assert code == 0 and output.startswith("tmpfs ")
    client = docker_engine.client
    everything = client.containers.list(ignore_removed=True, all=True, filters={"label": f"capsule.name={name}"})
    assert {c.labels["capsule.role"] for c in everything} == {"sandbox", "member", "init"}
    for container in everything:
        labels = json.dumps(container.labels)
        assert "tok-SECRET-4711" not in labels
        assert "tok-SECRET-4711" not in container.labels["capsule.spec"]
    assert client.volumes.get(claim).attrs["Labels"]["capsule.scope"] == "persistent"

    summary = await remove_capsule(engine, host="local", name=name, grace=0)
    assert summary.kept_volumes == [claim]
    containers, volumes = leftovers(docker_engine, name)
    assert containers == [] and volumes == [claim]  # the claim outlives the capsule
    client.volumes.get(claim).remove()


async def test_persistent_claim_is_reused_with_its_data(engine: EngineClient, docker_engine: Any, name: str) -> None:
    claim = f"{name}-db"
    writer = Capsule(name, (box("w", ("sh", "-c", "echo kept > /db/f; exec sleep 3600"),
                                volume_mounts=(VolumeMount("db", "/db"),)),),
                     volumes=(Volume("db", PersistentVolume(claim)),))
    await build(engine, writer)
    wait_for_logs(docker_engine, f"{name}.w", "")  # started
    deadline = time.monotonic() + 10
    while exec_in(docker_engine, f"{name}.w", "cat", "/db/f")[1] != "kept\n" and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    await remove_capsule(engine, host="local", name=name, grace=0)
    await build(engine, writer)
    assert exec_in(docker_engine, f"{name}.w", "cat", "/db/f") == (0, "kept\n")


# ---------------------------------------------------------------- failures leave nothing


async def test_missing_image_under_never_fails_clearly(engine: EngineClient, docker_engine: Any, name: str) -> None:
    image = f"capsule-test/absent:{name}"
    capsule = Capsule(name, (Container("app", image, image_pull_policy="Never"),),
                      volumes=(Volume("data", NamedVolume()),))
    with pytest.raises(BuildFailed) as caught:
        await build(engine, capsule)
    assert caught.value.reason == (
        f"image {image} not found on host local and imagePullPolicy is Never; build or load it there, "
        f"or set imagePullPolicy: IfNotPresent"
    )
    assert leftovers(docker_engine, name) == ([], [])


async def test_host_port_already_taken_fails_and_leaves_nothing(
    engine: EngineClient, docker_engine: Any, name: str, session_labels: dict[str, str]
) -> None:
    port = free_port()
    holder = docker_engine.client.containers.run(
        BUSYBOX, ["sleep", "3600"], detach=True, ports={"8080/tcp": port}, labels=session_labels
    )
    try:
        capsule = web_capsule(name, port)
        capsule = Capsule(name, capsule.containers, volumes=(Volume("data", NamedVolume()),))
        with pytest.raises(BuildFailed) as caught:
            await build(engine, capsule)
        assert caught.value.reason == f"port {port} is already allocated on host local"
        assert leftovers(docker_engine, name) == ([], [])
    finally:
        holder.remove(force=True)


async def test_member_image_gone_after_sandbox_exists(engine: EngineClient, docker_engine: Any, name: str) -> None:
    image = f"capsule-test/vanishing:{name}"
    repository, tag = image.split(":")
    docker_engine.client.images.get(BUSYBOX).tag(repository, tag)
    events: list[ProgressEvent] = []

    def on_progress(event: ProgressEvent) -> None:
        events.append(event)
        if event.kind == "sandbox":  # the sandbox runs: now take the member's image away
            docker_engine.client.images.remove(image)

    capsule = Capsule(name, (box("ok"), Container("gone", image, image_pull_policy="Never", command=SLEEP)),
                      volumes=(Volume("data", NamedVolume()),))
    try:
        with pytest.raises(BuildFailed) as caught:
            await build(engine, capsule, on_progress=on_progress)
    finally:
        if docker_engine.client.images.list(name=image):
            docker_engine.client.images.remove(image)
    assert caught.value.reason == f"image {image} not found on host local"
    assert any(e.kind == "sandbox" for e in events) and any(e.kind == "cleanup" for e in events)
    assert leftovers(docker_engine, name) == ([], [])


async def test_init_failure_under_never_names_container_and_code(
    engine: EngineClient, docker_engine: Any, name: str
) -> None:
    capsule = Capsule(name, (box("main"),), restart_policy="Never",
                      init_containers=(box("migrate", ("sh", "-c", "echo schema-broken; exit 3")),))
    with pytest.raises(BuildFailed) as caught:
        await build(engine, capsule)
    reason = caught.value.reason
    assert "init container migrate" in reason and "exited with code 3" in reason and "schema-broken" in reason
    assert leftovers(docker_engine, name) == ([], [])


async def test_init_retried_with_backoff_under_on_failure(engine: EngineClient, docker_engine: Any, name: str) -> None:
    work = (VolumeMount("work", "/work"),)
    flaky = "echo try >> /work/tries; [ $(wc -l < /work/tries) -ge 2 ]"  # fails once, then succeeds
    capsule = Capsule(name, (box("main", ("sh", "-c", "wc -l < /work/tries; exec sleep 3600"), volume_mounts=work),),
                      restart_policy="OnFailure", volumes=(Volume("work", EmptyDirVolume()),),
                      init_containers=(box("flaky", ("sh", "-c", flaky), volume_mounts=work),))
    await build(engine, capsule, init_backoff=0.05)
    assert wait_for_logs(docker_engine, f"{name}.main", "2").strip() == "2"
    await remove_capsule(engine, host="local", name=name, grace=0)

    broken = Capsule(name, (box("main"),), restart_policy="Always",
                     init_containers=(box("broken", ("sh", "-c", "exit 7")),))
    started = time.monotonic()
    with pytest.raises(BuildFailed, match="exited with code 7 on each of 2 attempts"):
        await build(engine, broken, init_attempts=2, init_backoff=0.05)
    assert time.monotonic() - started < 20
    assert leftovers(docker_engine, name) == ([], [])


def container_events(docker_engine: Any, capsule: str, since: float) -> list[dict]:
    """What the engine logged for the capsule's containers since `since` (whole seconds, with margin)."""
    return list(docker_engine.client.events(
        since=int(since) - 1, until=int(time.time()) + 1, decode=True,
        filters={"type": "container", "label": f"capsule.name={capsule}"}))


async def test_privileged_refused_without_the_option(
    engine: EngineClient, docker_engine: Any, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    capsule = Capsule(name, (box("root", security_context=SecurityContext(privileged=True)),))
    started, progress = time.time(), []
    with pytest.raises(BuildRefused, match="--allow-privileged"):
        await build(engine, capsule, on_progress=progress.append)
    # Refused before anything was made, not made and undone: no step began (not even
    # getting images), and the engine logged nothing of the capsule.
    assert progress == [] and container_events(docker_engine, name, started) == []
    assert leftovers(docker_engine, name) == ([], [])

    # With the option the privileged body goes to the engine. An engine inside an
    # unprivileged container (as on these machines) cannot start it, so what the engine
    # made is read just before each start, whether or not the start then works.
    privileged_at_start: dict[str, bool] = {}
    start = engine.start

    async def start_noting_privileged(container_id: str) -> None:
        attrs = docker_engine.client.containers.get(container_id).attrs
        privileged_at_start[attrs["Name"].lstrip("/")] = attrs["HostConfig"]["Privileged"]
        await start(container_id)

    monkeypatch.setattr(engine, "start", start_noting_privileged)
    try:
        await build(engine, capsule, allow_privileged=True)
    except BuildRefused:
        raise
    except BuildFailed as failure:
        assert failure.reason.startswith(f"starting member root of capsule {name} on host local failed: ")
        assert leftovers(docker_engine, name) == ([], [])
    else:
        assert docker_engine.client.containers.get(f"{name}.root").attrs["State"]["Running"] is True
    assert privileged_at_start == {name: False, f"{name}.root": True}  # the member only, never the sandbox


@pytest.mark.parametrize("delay", [0.0, 0.05, 0.15, 0.3, 0.6])
async def test_cancellation_mid_build_leaves_nothing(
    engine: EngineClient, docker_engine: Any, name: str, delay: float
) -> None:
    capsule = Capsule(
        name,
        (box("a"), box("b"), box("c")),
        init_containers=(box("pause", ("sleep", "0.3")),),
        volumes=(Volume("conf", ConfigMapVolume("conf", (("f", "x"),))), Volume("data", NamedVolume())),
    )
    task = asyncio.ensure_future(build(engine, capsule))
    await asyncio.sleep(delay)
    task.cancel()
    try:
        await task
    except BuildCancelled as cancelled:
        assert cancelled.reason.endswith("was interrupted; what it had made was removed"), cancelled.reason
    except asyncio.CancelledError:
        pass  # cancelled before the build began: nothing was made
    else:
        await remove_capsule(engine, host="local", name=name, grace=0)  # finished first: fine too
    assert leftovers(docker_engine, name) == ([], [])


async def test_same_name_twice_one_wins(engine: EngineClient, docker_engine: Any, name: str) -> None:
    capsule = Capsule(name, (box("a"),))
    outcomes = await asyncio.gather(build(engine, capsule), build(engine, capsule), return_exceptions=True)
    won = [o for o in outcomes if isinstance(o, ObservedCapsule)]
    lost = [o for o in outcomes if isinstance(o, BuildFailed)]
    assert len(won) == 1 and len(lost) == 1, outcomes
    assert "already exists on host local" in lost[0].reason
    uuids = {c.labels["capsule.uuid"] for c in docker_engine.client.containers.list(
        ignore_removed=True, all=True, filters={"label": f"capsule.name={name}"})}
    assert uuids == {won[0].uuid}
    assert docker_engine.client.containers.get(name).status == "running"


# ---------------------------------------------------------------- images


@pytest.fixture
def pulled(docker_engine: Any) -> Iterator[list[str]]:
    """Image references a test pulled or tagged; removed afterwards."""
    refs: list[str] = []
    yield refs
    for ref in refs:
        if docker_engine.client.images.list(name=ref):
            docker_engine.client.images.remove(ref, force=True)


async def test_pull_with_credentials_and_progress(
    engine: EngineClient, docker_engine: Any, capsule_home: Any, session_labels: dict[str, str], pulled: list[str]
) -> None:
    password = uuidlib.uuid4().hex
    with FakeRegistry(labels=session_labels, username="capsule", password=password) as registry:
        ref = f"{registry.address}/capsule-test/tiny:1"
        pulled.append(ref)
        login = base64.b64encode(f"capsule:{password}".encode()).decode()
        config = os.path.join(os.environ["DOCKER_CONFIG"], "config.json")
        with open(config, "w") as out:
            json.dump({"auths": {registry.address: {"auth": login}}}, out)
        events: list[ProgressEvent] = []
        await ensure_images(engine, {ref: "IfNotPresent"}, host="local", timeout=60, on_progress=events.append)
        assert any(a and a.startswith("Basic ") for a in registry.authorizations)
    assert docker_engine.client.images.get(ref).labels["capsule.test-session"] == session_labels["capsule.test-session"]
    texts = [e.text for e in events if e.kind == "pull" and e.container == ref]
    assert texts[0].startswith("pulling ") and texts[-1] == f"pulled {ref}" and len(texts) > 2
    assert password not in json.dumps([e.text for e in events])


async def test_unknown_image_and_failed_pull_under_always(
    engine: EngineClient, docker_engine: Any, name: str, capsule_home: Any, session_labels: dict[str, str],
    pulled: list[str],
) -> None:
    with FakeRegistry(labels=session_labels) as registry:
        ref = f"{registry.address}/capsule-test/nope:1"
        with pytest.raises(BuildFailed) as caught:
            await ensure_images(engine, {ref: "IfNotPresent"}, host="local", timeout=60)
    assert caught.value.reason.startswith(f"image {ref} not found on host local and pulling it failed (")
    # Always: a copy on the host does not help when the pull fails, but the reason says how to use it.
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))  # bound, not listening: the "registry" refuses connections
        ref = f"127.0.0.1:{holder.getsockname()[1]}/capsule-test/box:{name}"
        repository, tag = ref.rsplit(":", 1)
        docker_engine.client.images.get(BUSYBOX).tag(repository, tag)
        pulled.append(ref)
        capsule = Capsule(name, (Container("app", ref, image_pull_policy="Always", command=SLEEP),),
                          volumes=(Volume("data", NamedVolume()),))
        with pytest.raises(BuildFailed) as caught:
            await build(engine, capsule)
    reason = caught.value.reason
    assert reason.startswith(f"pulling image {ref} on host local failed (") and "\n" not in reason
    assert "imagePullPolicy is Always" in reason and "IfNotPresent" in reason
    assert leftovers(docker_engine, name) == ([], [])


# ---------------------------------------------------------------- removal and lifecycle


async def test_remove_half_gone_capsule_and_absent_one(engine: EngineClient, docker_engine: Any, name: str) -> None:
    await build(engine, Capsule(name, (box("a"), box("b")), volumes=(Volume("data", NamedVolume()),)))
    docker_engine.client.containers.get(f"{name}.a").remove(force=True)  # behind our back
    summary = await remove_capsule(engine, host="local", name=name)
    assert sorted(summary.containers) == sorted([name, f"{name}.b"]) and len(summary.volumes) == 1
    assert leftovers(docker_engine, name) == ([], [])
    again = await remove_capsule(engine, host="local", name=name)
    assert not again.found


async def test_restart_rejoins_members_and_added_container_joins(
    engine: EngineClient, docker_engine: Any, name: str
) -> None:
    port = free_port()
    await build(engine, web_capsule(name, port))
    wait_for_logs(docker_engine, f"{name}.client", "hello-from-")
    client = docker_engine.client

    def addresses(member: str) -> str:
        return exec_in(docker_engine, member, "ip", "-4", "-o", "addr")[1]

    def joined(member: str) -> bool:
        # In the sandbox's current namespace: the member sees the sandbox's address.
        sandbox_ip = client.containers.get(name).attrs["NetworkSettings"]["IPAddress"]
        return bool(sandbox_ip) and f" {sandbox_ip}/" in addresses(member)

    def localhost_works(member: str) -> bool:
        return exec_in(docker_engine, member, "wget", "-qO-", "http://127.0.0.1:8080/")[0] == 0

    # The pitfall: the sandbox restarts behind our back and the members lose the network.
    client.containers.get(name).restart(timeout=1)
    assert not joined(f"{name}.web") and "eth0" not in addresses(f"{name}.web")
    observed = await observe_capsule(engine, "local", name=name)
    assert observed is not None
    assert {m.member for m in await stale_members(engine, observed)} == {"web", "client"}
    await start_capsule(engine, observed, grace=1)
    assert joined(f"{name}.web") and joined(f"{name}.client")
    assert http_get(f"http://127.0.0.1:{port}/").strip() == f"hello-from-{name}"
    assert await wait_until(lambda: localhost_works(f"{name}.client"))
    assert await stale_members(engine, observed) == []

    await stop_capsule(engine, observed, grace=1)
    assert {c.status for c in client.containers.list(ignore_removed=True, all=True, filters={"label": f"capsule.name={name}"})} == {"exited"}
    await start_capsule(engine, observed, grace=1)
    assert joined(f"{name}.web") and joined(f"{name}.client")
    assert http_get(f"http://127.0.0.1:{port}/").strip() == f"hello-from-{name}"
    assert await wait_until(lambda: localhost_works(f"{name}.client"))

    await pause_capsule(engine, observed)
    assert docker_engine.client.containers.get(f"{name}.web").status == "paused"
    await unpause_capsule(engine, observed)
    assert docker_engine.client.containers.get(f"{name}.web").status == "running"

    observed = await observe_capsule(engine, "local", name=name)
    added = await add_container(engine, observed, box("extra"), options=BuildOptions())
    assert added.role == "member" and added.labels["capsule.uuid"] == observed.uuid
    assert await wait_until(lambda: localhost_works(f"{name}.extra"))
    summary = await remove_capsule(engine, host="local", name=name, grace=0)
    assert f"{name}.extra" in summary.containers
    assert leftovers(docker_engine, name) == ([], [])


async def wait_until(check, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        await asyncio.sleep(0.2)
    return False
