"""The engine client against the real local Docker engine.

Every check goes through the engine: what the client did is confirmed with the
docker package (`docker_engine.client`) as an independent second client, or by
real traffic between containers. Each test labels what it makes with
`capsule.test-session=<unique tag>`, removes it itself, and the `tag` fixture
removes anything a failed test left behind (by that label, nothing else).
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
import socket
import tarfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import aclosing
from typing import Any

import docker.errors
import pytest

from runtime.engine.client import MAX_API_VERSION, EngineClient, parse_api_version
from runtime.engine.errors import (
    Conflict,
    ContainerNotFound,
    EngineServerError,
    EngineTimeout,
    HostUnreachable,
    ImageNotFound,
    ImagePullError,
    NetworkNotFound,
    NotFound,
    VolumeNotFound,
)
from runtime.engine.registry_auth import auth_for_image
from support.fake_registry import FakeRegistry

BUSYBOX = "busybox:1.36"
SESSION_LABEL = "capsule.test-session"

docker_test = pytest.mark.docker


@pytest.fixture
def tag(docker_engine: Any) -> Iterator[str]:
    """A label value unique to this test; whatever carries it is removed afterwards."""
    value = f"engine-{uuid.uuid4().hex[:10]}"
    yield value
    client = docker_engine.client
    for container in client.containers.list(ignore_removed=True, all=True, filters={"label": f"{SESSION_LABEL}={value}"}):
        container.remove(force=True, v=True)
    for volume in client.volumes.list(filters={"label": f"{SESSION_LABEL}={value}"}):
        volume.remove(force=True)


def box(tag: str, cmd: list[str], **extra: Any) -> dict[str, Any]:
    """A busybox container config carrying the test's label."""
    return {"Image": BUSYBOX, "Cmd": cmd, "Labels": {SESSION_LABEL: tag}, **extra}


async def run(engine: EngineClient, tag: str, cmd: list[str], name: str | None = None, **extra: Any) -> str:
    container = await engine.create_container(box(tag, cmd, **extra), name)
    await engine.start(container)
    return container


def status(docker_engine: Any, container: str) -> str:
    return docker_engine.client.containers.get(container).status


def tar_of(name: str, data: bytes) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        info = tarfile.TarInfo(name)
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def closed_local_port() -> tuple[socket.socket, int]:
    """A 127.0.0.1 port that refuses connections; keep the socket to keep it so."""
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))  # bound, never listening: connects are refused
    return holder, holder.getsockname()[1]


# -- connecting ---------------------------------------------------------------


@docker_test
async def test_connect_negotiates_the_engine_api_version(engine: EngineClient, docker_engine: Any) -> None:
    engine_api = docker_engine.client.version()["ApiVersion"]
    expected = min(parse_api_version(engine_api), MAX_API_VERSION)
    assert parse_api_version(engine.api_version) == expected
    assert await engine.ping() is True
    assert (await engine.version())["ApiVersion"] == engine_api
    assert (await engine.info())["NCPU"] == docker_engine.client.info()["NCPU"]


async def test_missing_unix_socket_is_host_unreachable(tmp_path: Any) -> None:
    url = f"unix://{tmp_path}/no-engine-here.sock"
    with pytest.raises(HostUnreachable) as caught:
        await EngineClient.connect(url, name="laptop")
    assert caught.value.host == "laptop" and caught.value.url == url
    assert "'laptop'" in str(caught.value) and "No such file" in str(caught.value)


async def test_closed_tcp_port_is_host_unreachable_quickly() -> None:
    holder, port = closed_local_port()
    with holder:
        started = time.monotonic()
        with pytest.raises(HostUnreachable) as caught:
            await EngineClient.connect(f"tcp://127.0.0.1:{port}", name="far", timeout=2.0)
        assert time.monotonic() - started < 5
    assert "'far'" in str(caught.value) and "refused" in str(caught.value)


# -- container lifecycle ---------------------------------------------------------


@docker_test
async def test_create_start_inspect_stop_remove(engine: EngineClient, docker_engine: Any, tag: str) -> None:
    name = f"{tag}-life"
    container = await engine.create_container(box(tag, ["sleep", "300"]), name)
    assert status(docker_engine, container) == "created"
    assert docker_engine.client.containers.get(name).labels[SESSION_LABEL] == tag

    await engine.start(container)
    details = await engine.inspect(container)
    assert details["State"]["Running"] and details["Name"] == f"/{name}"
    assert status(docker_engine, container) == "running"
    listed = await engine.list_containers(filters={"label": f"{SESSION_LABEL}={tag}"})
    assert [c["Id"] for c in listed] == [container]
    assert "sleep" in json.dumps((await engine.top(container))["Processes"])

    await engine.pause(container)
    assert status(docker_engine, container) == "paused"
    await engine.unpause(container)
    assert status(docker_engine, container) == "running"

    started_at = details["State"]["StartedAt"]
    await engine.restart(container, timeout=0)
    assert docker_engine.client.containers.get(container).attrs["State"]["StartedAt"] != started_at

    await engine.stop(container, timeout=1)
    assert status(docker_engine, container) == "exited"
    await engine.stop(container, timeout=1)  # stopping a stopped container is not an error

    await engine.remove(container)
    with pytest.raises(docker.errors.NotFound):
        docker_engine.client.containers.get(container)


@docker_test
async def test_name_in_use_is_conflict(engine: EngineClient, tag: str) -> None:
    name = f"{tag}-taken"
    first = await engine.create_container(box(tag, ["true"]), name)
    with pytest.raises(Conflict) as caught:
        await engine.create_container(box(tag, ["true"]), name)
    assert "already in use" in (caught.value.engine_message or "")
    await engine.remove(first)


@docker_test
async def test_wait_kill_and_exit_codes(engine: EngineClient, docker_engine: Any, tag: str) -> None:
    quitter = await run(engine, tag, ["sh", "-c", "exit 3"])
    assert await engine.wait(quitter, timeout=20) == 3
    assert docker_engine.client.containers.get(quitter).attrs["State"]["ExitCode"] == 3

    sleeper = await run(engine, tag, ["sleep", "300"])
    with pytest.raises(EngineTimeout):
        await engine.wait(sleeper, timeout=0.5)
    await engine.kill(sleeper)
    assert await engine.wait(sleeper, timeout=20) == 137
    with pytest.raises(Conflict):
        await engine.kill(sleeper)  # no longer running
    for container in (quitter, sleeper):
        await engine.remove(container)


@docker_test
async def test_not_found_errors_name_the_object_and_host(engine: EngineClient, tag: str) -> None:
    with pytest.raises(ContainerNotFound) as caught:
        await engine.inspect(f"{tag}-missing")
    assert "No such container" in (caught.value.engine_message or "")
    assert caught.value.host == "local" and "'local'" in str(caught.value)

    with pytest.raises(ImageNotFound):
        await engine.create_container({"Image": "capsule-test/absent:0", "Labels": {SESSION_LABEL: tag}})
    assert await engine.inspect_image("capsule-test/absent:0") is None
    assert (await engine.inspect_image(BUSYBOX))["RepoTags"]
    with pytest.raises(VolumeNotFound):
        await engine.remove_volume(f"{tag}-missing")
    with pytest.raises(NetworkNotFound):
        await engine.inspect_network(f"{tag}-missing")
    assert (await engine.inspect_network("bridge"))["Driver"] == "bridge"
    assert "bridge" in [n["Name"] for n in await engine.list_networks()]


@docker_test
async def test_port_already_allocated_keeps_the_engine_message(
    engine: EngineClient, docker_engine: Any, tag: str
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    published = {
        "ExposedPorts": {"80/tcp": {}},
        "HostConfig": {"PortBindings": {"80/tcp": [{"HostIp": "127.0.0.1", "HostPort": str(port)}]}},
    }
    holder = await run(engine, tag, ["sleep", "300"], **published)
    second = await engine.create_container(box(tag, ["sleep", "300"], **published))
    with pytest.raises(EngineServerError) as caught:
        await engine.start(second)
    assert "port is already allocated" in (caught.value.engine_message or "")
    assert "port is already allocated" in str(caught.value) and "'local'" in str(caught.value)
    assert status(docker_engine, second) == "created"
    for container in (holder, second):
        await engine.remove(container, force=True)


# -- sandbox and members -------------------------------------------------------


@docker_test
async def test_member_reaches_sandbox_httpd_over_localhost(
    engine: EngineClient, docker_engine: Any, tag: str
) -> None:
    serve = "mkdir -p /www && echo hello-from-sandbox > /www/index.html && exec httpd -f -p 127.0.0.1:8080 -h /www"
    sandbox = await run(engine, tag, ["sh", "-c", serve])
    member = await run(engine, tag, ["sleep", "300"], HostConfig={"NetworkMode": f"container:{sandbox}"})
    outsider = await run(engine, tag, ["sleep", "300"])
    assert docker_engine.client.containers.get(member).attrs["HostConfig"]["NetworkMode"] == f"container:{sandbox}"

    # (busybox 1.35's static wget crashes with -T, so the exec's own timeout bounds it)
    fetch = ["wget", "-q", "-O", "-", "http://127.0.0.1:8080/"]
    deadline = time.monotonic() + 15
    while (result := await engine.exec_run(member, fetch, timeout=10)).exit_code != 0 and time.monotonic() < deadline:
        await asyncio.sleep(0.2)  # httpd may not listen yet
    assert result.exit_code == 0, result.stderr_text
    assert result.stdout_text.strip() == "hello-from-sandbox"
    # A container outside the sandbox's namespace has its own 127.0.0.1.
    assert (await engine.exec_run(outsider, fetch, timeout=10)).exit_code != 0
    for container in (member, outsider, sandbox):
        await engine.remove(container, force=True)


# -- logs -----------------------------------------------------------------------


@docker_test
async def test_logs_split_streams_and_follow_ends_with_container(
    engine: EngineClient, docker_engine: Any, tag: str
) -> None:
    script = "echo out1; echo err1 >&2; sleep 1; echo out2; echo err2 >&2; sleep 0.2; printf 'no newline' >&2"
    container = await run(engine, tag, ["sh", "-c", script])

    async def follow() -> list[Any]:
        return [line async for line in engine.logs(container, follow=True)]

    lines = await asyncio.wait_for(follow(), timeout=30)
    assert [line.text for line in lines if line.stream == "stdout"] == ["out1", "out2"]
    # (a last line without newline may or may not reach a follower: the engine races there)
    assert [line.text for line in lines if line.stream == "stderr"][:2] == ["err1", "err2"]
    assert status(docker_engine, container) == "exited"  # follow ended because the container did
    assert docker_engine.client.containers.get(container).logs(stderr=False) == b"out1\nout2\n"

    last = [line async for line in engine.logs(container, tail=1, timestamps=True)]
    assert [(line.stream, line.text) for line in last] == [("stderr", "no newline")]
    assert last[0].timestamp and last[0].timestamp.startswith("20")
    await engine.remove(container)


@docker_test
async def test_logs_of_tty_container_are_raw_stdout(engine: EngineClient, tag: str) -> None:
    container = await run(engine, tag, ["sh", "-c", "echo to-out; echo to-err >&2"], Tty=True)
    assert await engine.wait(container, timeout=20) == 0
    lines = [line async for line in engine.logs(container)]
    assert [(line.stream, line.text) for line in lines] == [("stdout", "to-out"), ("stdout", "to-err")]
    await engine.remove(container)


# -- files and exec --------------------------------------------------------------


@docker_test
async def test_put_archive_then_read_back_and_get_archive(engine: EngineClient, tag: str) -> None:
    container = await run(engine, tag, ["sleep", "300"])
    await engine.put_archive(container, "/tmp", tar_of("config.txt", b"key=value\n"))
    assert (await engine.exec_run(container, ["cat", "/tmp/config.txt"])).stdout == b"key=value\n"

    assert (await engine.exec_run(container, "printf made-by-exec > /tmp/by-exec.txt")).exit_code == 0
    archive, stat = await engine.get_archive(container, "/tmp/by-exec.txt")
    assert stat["name"] == "by-exec.txt" and stat["size"] == len(b"made-by-exec")
    with tarfile.open(fileobj=io.BytesIO(archive)) as unpacked:
        assert unpacked.extractfile("by-exec.txt").read() == b"made-by-exec"

    with pytest.raises(NotFound) as caught:
        await engine.put_archive(container, "/no/such/dir", tar_of("x", b""))
    assert not isinstance(caught.value, ContainerNotFound)
    await engine.remove(container, force=True)


@docker_test
async def test_exec_exit_codes_streams_and_options(engine: EngineClient, docker_engine: Any, tag: str) -> None:
    container = await run(engine, tag, ["sleep", "300"])
    ok = await engine.exec_run(container, ["sh", "-c", "echo to-out; echo to-err >&2"])
    assert (ok.exit_code, ok.stdout, ok.stderr) == (0, b"to-out\n", b"to-err\n")
    assert (await engine.exec_run(container, ["sh", "-c", "exit 7"])).exit_code == 7
    missing = await engine.exec_run(container, ["no-such-command"])
    assert missing.exit_code in (126, 127) and b"no-such-command" in missing.stdout + missing.stderr

    options = await engine.exec_run(
        container, "echo $GREETING; pwd; id -u", env={"GREETING": "hi"}, workdir="/tmp", user="65534"
    )
    assert options.stdout_text.split() == ["hi", "/tmp", "65534"]
    piped = await engine.exec_run(container, ["wc", "-c"], stdin=b"x" * 100_000)
    assert (piped.exit_code, piped.stdout.strip()) == (0, b"100000")
    tty = await engine.exec_run(container, ["sh", "-c", "echo one; echo two >&2"], tty=True)
    assert tty.stdout == b"one\r\ntwo\r\n" and tty.stderr == b""

    stream = engine.exec_stream(container, ["sh", "-c", "echo first; sleep 1.5; echo second"])
    seen = []
    async for chunk in stream:
        if not seen:  # the first chunk arrives while the process still runs
            assert docker_engine.client.api.exec_inspect(stream.exec_id)["Running"] is True
        seen.append(chunk.data)
    assert b"".join(seen) == b"first\nsecond\n" and stream.exit_code == 0

    with pytest.raises(ContainerNotFound):
        await engine.exec_run(f"{tag}-missing", ["true"])
    await engine.stop(container, timeout=0)
    with pytest.raises(Conflict):
        await engine.exec_run(container, ["true"])
    await engine.remove(container)


# -- events ----------------------------------------------------------------------


@docker_test
async def test_events_stream_sees_container_start(engine: EngineClient, tag: str) -> None:
    since = time.time() - 1

    async def first_start() -> dict[str, Any]:
        filters = {"type": "container", "event": "start", "label": f"{SESSION_LABEL}={tag}"}
        async with aclosing(engine.events(since=since, filters=filters)) as events:
            async for event in events:
                return event
        raise AssertionError("the event stream ended")

    watcher = asyncio.ensure_future(first_start())
    container = await run(engine, tag, ["sleep", "300"])
    event = await asyncio.wait_for(watcher, timeout=20)
    assert (event["Action"], event["Actor"]["ID"]) == ("start", container)
    bounded = [e async for e in engine.events(since=since, until=time.time() + 0.5,
                                              filters={"label": f"{SESSION_LABEL}={tag}"})]
    assert {"create", "start"} <= {e["Action"] for e in bounded}
    await engine.remove(container, force=True)


# -- volumes ---------------------------------------------------------------------


@docker_test
async def test_volumes_create_list_remove(engine: EngineClient, docker_engine: Any, tag: str) -> None:
    name = f"{tag}-data"
    options = {"type": "tmpfs", "device": "tmpfs", "o": "size=1m"}
    created = await engine.create_volume(name, "local", options, {SESSION_LABEL: tag})
    assert created["Name"] == name
    seen = docker_engine.client.volumes.get(name).attrs
    assert seen["Options"] == options and seen["Labels"][SESSION_LABEL] == tag
    assert (await engine.inspect_volume(name))["Driver"] == "local"
    assert [v["Name"] for v in await engine.list_volumes({"label": f"{SESSION_LABEL}={tag}"})] == [name]

    user = await engine.create_container(box(tag, ["true"], HostConfig={"Binds": [f"{name}:/data"]}))
    with pytest.raises(Conflict):
        await engine.remove_volume(name)
    await engine.remove(user)
    await engine.remove_volume(name)
    with pytest.raises(docker.errors.NotFound):
        docker_engine.client.volumes.get(name)


# -- image pulls (from an in-process registry on 127.0.0.1) ------------------------


@pytest.fixture
def pulled(docker_engine: Any) -> Iterator[list[str]]:
    """Image references a test pulled; removed afterwards."""
    refs: list[str] = []
    yield refs
    for ref in refs:
        try:
            docker_engine.client.images.remove(ref, force=True)
        except docker.errors.ImageNotFound:
            pass


async def drain(events: AsyncIterator[dict[str, Any]]) -> list[dict[str, Any]]:
    return [event async for event in events]


@docker_test
async def test_pull_of_unknown_image_is_image_not_found(engine: EngineClient, tag: str) -> None:
    with FakeRegistry(labels={SESSION_LABEL: tag}) as registry:
        ref = f"{registry.address}/capsule-test/nope:1"
        with pytest.raises(ImageNotFound) as caught:
            await asyncio.wait_for(drain(engine.pull_image(ref, timeout=10)), timeout=30)
    assert "manifest unknown" in (caught.value.engine_message or "")
    assert ref in str(caught.value) and "'local'" in str(caught.value)


@docker_test
async def test_pull_from_unreachable_registry_fails_in_bounded_time(engine: EngineClient) -> None:
    holder, port = closed_local_port()
    with holder:
        with pytest.raises(ImagePullError) as caught:
            await asyncio.wait_for(drain(engine.pull_image(f"127.0.0.1:{port}/capsule-test/x:1", timeout=10)), 30)
    assert "connection refused" in (caught.value.engine_message or "")


@docker_test
async def test_pull_error_inside_the_stream(engine: EngineClient, docker_engine: Any, tag: str) -> None:
    progress: list[dict[str, Any]] = []
    with FakeRegistry(labels={SESSION_LABEL: tag}) as registry:
        ref = f"{registry.address}/capsule-test/broken:1"
        with pytest.raises(ImagePullError):
            async for event in engine.pull_image(ref, timeout=10):
                progress.append(event)
    assert progress, "the engine reported progress before the failure (a 200 answer)"
    assert await engine.inspect_image(ref) is None


@docker_test
async def test_pull_with_credentials_from_docker_config(
    engine: EngineClient, docker_engine: Any, tag: str, tmp_path: Any, pulled: list[str]
) -> None:
    secret = uuid.uuid4().hex
    with FakeRegistry(labels={SESSION_LABEL: tag}, username="capsule", password=secret) as registry:
        ref = f"{registry.address}/capsule-test/tiny:1"
        pulled.append(ref)
        config = tmp_path / "config.json"
        login = base64.b64encode(f"capsule:{secret}".encode()).decode()
        config.write_text(json.dumps({"auths": {registry.address: {"auth": login}}}))

        with pytest.raises((ImageNotFound, ImagePullError)):  # no credentials: refused
            await drain(engine.pull_image(ref, timeout=10))

        auth = auth_for_image(ref, config_path=str(config))
        assert auth is not None and secret not in repr(auth) and secret not in str(auth)
        events = await asyncio.wait_for(drain(engine.pull_image(ref, auth, timeout=10)), timeout=30)
    assert any("Downloaded newer image" in event.get("status", "") for event in events)
    assert f"Basic {login}" in registry.authorizations
    image = docker_engine.client.images.get(ref)
    assert image.labels[SESSION_LABEL] == tag
    assert (await engine.inspect_image(ref))["Id"] == image.id
