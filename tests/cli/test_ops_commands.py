"""The operation commands (logs, exec, top, cp, start/stop/restart/pause/unpause, run) as a
user runs them: the real `capsule` command in a subprocess, against a real engine.

Capsules are made with `capsule create -f` of a file the test writes. Every check
goes through an independent path: the docker package (`docker_engine.client`) for
container states, labels and file contents, /proc for namespaces, and HTTP to
127.0.0.1 for a published port (which only answers when the member serving it is in
the sandbox's current network namespace).
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from runtime.ops.logs import timestamp_key
from support.capsule_cli import capsule_command, free_port

pytestmark = pytest.mark.docker

# PID 1 ignores SIGTERM unless it traps it; with the trap and a waited-for
# background child, members stop at once and the tests do not wait out a grace period.
SERVE = "trap 'exit 0' TERM; {before}mkdir -p /www && echo hello-from-web > /www/index.html && httpd -f -p 8080 -h /www & wait"
IDLE = "trap 'exit 0' TERM; {before}sleep 3600 & wait"


def cli(*args: str, stdin: bytes | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    command = capsule_command()
    return subprocess.run(
        command + list(args), input=stdin if stdin is not None else b"", capture_output=True, timeout=timeout
    )


def text(result: subprocess.CompletedProcess) -> str:
    return result.stdout.decode()


def err(result: subprocess.CompletedProcess) -> str:
    return result.stderr.decode()


def wait_for(check: Callable[[], Any], timeout: float = 20, interval: float = 0.2) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


def page(port: int) -> str:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
            return response.read().decode()
    except OSError:
        return ""


def write_capsule(folder: Path, name: str, *, web: str, sidecar: str, policy: str = "Always",
                  port: int | None = None) -> Path:
    ports = f"""
      ports:
        - containerPort: 8080
          hostPort: {port}""" if port else ""
    path = folder / f"{name}.yaml"
    path.write_text(f"""\
apiVersion: beta
kind: capsule
metadata:
  name: {name}
spec:
  restartPolicy: {policy}
  containers:
    - name: web
      image: busybox:1.36
      command: ["sh", "-c", {json.dumps(web)}]{ports}
    - name: sidecar
      image: busybox:1.36
      command: ["sh", "-c", {json.dumps(sidecar)}]
""")
    return path


def containers_of(client: Any, name: str) -> list[Any]:
    return client.containers.list(ignore_removed=True, all=True, filters={"label": f"capsule.name={name}"})


def states(client: Any, name: str) -> dict[str, str]:
    return {c.name: c.status for c in containers_of(client, name)}


def net_namespace(client: Any, container: str) -> str:
    pid = client.containers.get(container).attrs["State"]["Pid"]
    return os.readlink(f"/proc/{pid}/ns/net")


@pytest.fixture
def name(unique_name: str, docker_engine: Any, capsule_home: Path) -> Iterator[str]:
    yield unique_name
    for container in containers_of(docker_engine.client, unique_name):
        container.remove(force=True)
    for volume in docker_engine.client.volumes.list(filters={"label": f"capsule.name={unique_name}"}):
        volume.remove(force=True)


def create(path: Path) -> None:
    created = cli("create", "-f", str(path))
    assert created.returncode == 0, err(created)


# -- logs -------------------------------------------------------------------------------------


def test_logs_merged_with_prefixes_member_tail_and_follow(name, docker_engine, tmp_path):
    # Each member writes its lines, then waits for the test to let it write its last one and exit.
    gate = "while [ ! -e /tmp/go ]; do sleep 0.1; done"
    web = f"echo web-1; echo web-2; echo web-3; {gate}; echo web-end"
    sidecar = f"echo sidecar-1; echo sidecar-2 >&2; {gate}; echo sidecar-end"
    create(write_capsule(tmp_path, name, web=web, sidecar=sidecar, policy="Never"))

    def merged() -> list[str]:
        result = cli("logs", name)
        assert result.returncode == 0, err(result)
        lines = text(result).splitlines()
        return lines if len(lines) >= 5 else []

    lines = wait_for(merged, 10)
    # Each line prefixed by its member, names padded to one width (compose's layout).
    assert sorted(lines) == sorted([
        "web     | web-1", "web     | web-2", "web     | web-3", "sidecar | sidecar-1", "sidecar | sidecar-2",
    ])
    assert [line for line in lines if line.startswith("web")] == ["web     | web-1", "web     | web-2", "web     | web-3"]

    one = cli("logs", name, "-c", "sidecar")
    assert one.returncode == 0, err(one)
    # stderr included, no prefix (the engine reads stdout and stderr apart, so
    # their relative order is not guaranteed).
    assert sorted(text(one).splitlines()) == ["sidecar-1", "sidecar-2"]

    tail = cli("logs", name, "--tail", "1")
    assert len(text(tail).splitlines()) == 2
    assert "web     | web-3" in text(tail).splitlines()

    stamped = cli("logs", name, "--timestamps")
    stamps = [line.split("| ", 1)[1].split(" ", 1)[0] for line in text(stamped).splitlines()]
    assert len(stamps) == 5 and stamps == sorted(stamps, key=timestamp_key)

    # Follow: both members' streams at once; it ends by itself once both have exited.
    command = capsule_command()
    follower = subprocess.Popen([*command, "logs", name, "-f"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        first = follower.stdout.readline().decode()
        assert first.startswith(("web     | ", "sidecar | "))
        assert follower.poll() is None  # still following
        for member in ("web", "sidecar"):
            docker_engine.client.containers.get(f"{name}.{member}").exec_run(["touch", "/tmp/go"])
        out, errors = follower.communicate(timeout=30)
    finally:
        if follower.poll() is None:
            follower.kill()
    assert follower.returncode == 0, errors.decode()
    assert {"web     | web-end", "sidecar | sidecar-end"} <= set((first + out.decode()).splitlines())


def test_logs_unknown_capsule_and_member(name, tmp_path):
    missing = cli("logs", f"{name}-nope")
    assert missing.returncode == 1
    assert err(missing).strip() == (
        f"capsule logs: error: capsule '{name}-nope' not found on any host (capsule list shows what exists)"
    )
    create(write_capsule(tmp_path, name, web=IDLE.format(before=""), sidecar=IDLE.format(before="")))
    wrong = cli("logs", name, "-c", "nope")
    assert wrong.returncode == 1
    assert "has no member 'nope'; its members are: web, sidecar" in err(wrong)


# -- exec, top, cp ------------------------------------------------------------------------------


def test_exec_top_and_cp(name, docker_engine, tmp_path):
    client = docker_engine.client
    create(write_capsule(tmp_path, name, web=SERVE.format(before=""), sidecar=IDLE.format(before="")))

    # Output streamed and the command's exit code made ours; first member by default.
    result = cli("exec", name, "--", "sh", "-c", "hostname >/dev/null; echo out; echo err >&2; exit 3")
    assert result.returncode == 3
    assert text(result) == "out\n" and err(result) == "err\n"
    assert cli("exec", name, "--", "sh", "-c", "exit 0").returncode == 0
    # -c picks a member; the members share localhost.
    fetched = wait_for(lambda: cli("exec", name, "-c", "sidecar", "--", "wget", "-qO-", "http://127.0.0.1:8080/"))
    assert text(fetched) == "hello-from-web\n"
    piped = cli("exec", name, "-c", "sidecar", "--", "cat", stdin=b"through stdin\n")
    assert text(piped) == "through stdin\n"
    unknown = cli("exec", name, "-c", "nope", "--", "true")
    assert unknown.returncode == 1 and "its members are: web, sidecar" in err(unknown)

    top = cli("top", name)
    assert top.returncode == 0, err(top)
    header, *rows = text(top).splitlines()
    assert header.split()[:2] == ["MEMBER", "UID"] and "CMD" in header
    by_member = {row.split()[0] for row in rows}
    assert by_member == {"web", "sidecar"}
    assert any(row.startswith("web") and "httpd -f -p 8080" in row for row in rows)
    assert any(row.startswith("sidecar") and "sleep 3600" in row for row in rows)
    processes = json.loads(text(cli("top", name, "-o", "json")))["processes"]
    assert {p["MEMBER"] for p in processes} == {"web", "sidecar"}

    # cp out: a file into a folder, and under a new name.
    out = tmp_path / "out"
    out.mkdir()
    copied = cli("cp", f"{name}:web:/www/index.html", str(out))
    assert copied.returncode == 0, err(copied)
    assert (out / "index.html").read_text() == "hello-from-web\n"
    assert cli("cp", f"{name}:web:/www", str(out / "site")).returncode == 0
    assert (out / "site" / "index.html").read_text() == "hello-from-web\n"

    # cp in: a file and a folder; read back through the docker package, not capsule.
    local = tmp_path / "note.txt"
    local.write_text("copied in\n")
    assert cli("cp", str(local), f"{name}:sidecar:/tmp/").returncode == 0
    assert cli("cp", str(local), f"{name}:sidecar:/tmp/renamed.txt").returncode == 0
    folder = tmp_path / "bundle"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "deep.txt").write_text("deep\n")
    assert cli("cp", str(folder), f"{name}::/tmp/").returncode == 0  # empty MEMBER: the first (web)
    sidecar = client.containers.get(f"{name}.sidecar")
    assert sidecar.exec_run(["cat", "/tmp/note.txt"]).output == b"copied in\n"
    assert sidecar.exec_run(["cat", "/tmp/renamed.txt"]).output == b"copied in\n"
    assert client.containers.get(f"{name}.web").exec_run(["cat", "/tmp/bundle/sub/deep.txt"]).output == b"deep\n"

    missing = cli("cp", f"{name}:web:/no/such/file", str(out))
    assert missing.returncode == 1 and "no file or folder '/no/such/file'" in err(missing)
    both_local = cli("cp", str(local), str(out))
    assert both_local.returncode == 2 and "NAME:MEMBER:PATH" in err(both_local)


# -- lifecycle ----------------------------------------------------------------------------------


def test_stop_start_restart_pause_unpause(name, docker_engine, tmp_path):
    client = docker_engine.client
    port = free_port()
    create(write_capsule(tmp_path, name, web=SERVE.format(before=""), sidecar=IDLE.format(before=""), port=port))
    everything = {name, f"{name}.web", f"{name}.sidecar"}
    assert wait_for(lambda: page(port)) == "hello-from-web\n"

    def joined() -> bool:
        # The pitfall: after the sandbox restarts, members must be in its *new* namespace.
        sandbox = net_namespace(client, name)
        return net_namespace(client, f"{name}.web") == sandbox == net_namespace(client, f"{name}.sidecar")

    def reachable() -> bool:
        inside = client.containers.get(f"{name}.sidecar").exec_run(["wget", "-qO-", "http://127.0.0.1:8080/"])
        return inside.output == b"hello-from-web\n" and page(port) == "hello-from-web\n"

    stopped = cli("stop", name)
    assert stopped.returncode == 0, err(stopped)
    assert set(states(client, name)) == everything
    assert all(state == "exited" for state in states(client, name).values())

    started = cli("start", name)
    assert started.returncode == 0, err(started)
    assert all(state == "running" for state in states(client, name).values())
    assert joined()
    assert wait_for(reachable)

    restarted = cli("restart", name)
    assert restarted.returncode == 0, err(restarted)
    assert all(state == "running" for state in states(client, name).values())
    assert joined()
    assert wait_for(reachable)

    # The sandbox restarted behind capsule's back leaves the members in a dead
    # namespace; `capsule start` re-joins them.
    client.containers.get(name).restart(timeout=1)
    assert not joined()
    assert cli("start", name).returncode == 0
    assert joined()
    assert wait_for(reachable)

    paused = cli("pause", name)
    assert paused.returncode == 0, err(paused)
    assert all(state == "paused" for state in states(client, name).values())
    refused = cli("exec", name, "--", "true")
    assert refused.returncode == 1 and "capsule unpause" in err(refused)
    unpaused = cli("unpause", name)
    assert unpaused.returncode == 0, err(unpaused)
    assert all(state == "running" for state in states(client, name).values())
    assert wait_for(reachable)

    assert cli("stop", f"{name}-nope").returncode == 1


# -- run ----------------------------------------------------------------------------------------


def test_run_adds_member_that_joins_the_capsule_and_goes_with_delete(name, docker_engine, tmp_path):
    client = docker_engine.client
    create(write_capsule(tmp_path, name, web=SERVE.format(before=""), sidecar=IDLE.format(before="")))
    probe = "trap 'exit 0' TERM; wget -qO- http://127.0.0.1:8080/; sleep 3600 & wait"
    added = cli("run", "--capsule", name, "busybox:1.36", "--name", "probe", "-e", "MODE=probe",
                "--", "sh", "-c", probe)
    assert added.returncode == 0, err(added)
    assert text(added).strip() == "probe"

    container = client.containers.get(f"{name}.probe")
    sandbox = client.containers.get(name)
    assert container.status == "running"
    assert container.labels["capsule.name"] == name
    assert container.labels["capsule.role"] == "member"
    assert container.labels["capsule.member"] == "probe"
    assert container.labels["capsule.uuid"] == sandbox.labels["capsule.uuid"]
    assert container.attrs["HostConfig"]["NetworkMode"] == f"container:{sandbox.id}"
    assert "MODE=probe" in container.attrs["Config"]["Env"]
    # It reaches a member over 127.0.0.1: from its own output and through the docker package.
    assert wait_for(lambda: b"hello-from-web" in container.logs())
    assert container.exec_run(["wget", "-qO-", "http://127.0.0.1:8080/"]).output == b"hello-from-web\n"

    described = cli("describe", name)
    assert described.returncode == 0, err(described)
    assert f"{name}.probe" in text(described)
    assert "probe   | hello-from-web" in text(cli("logs", name))

    again = cli("run", "--capsule", name, "busybox:1.36", "--name", "probe")
    assert again.returncode == 1 and "already has a container named probe" in err(again)
    bad = cli("run", "--capsule", name, "busybox:1.36", "--name", "Not_Valid")
    assert bad.returncode == 2 and "DNS-1123" in err(bad)

    deleted = cli("delete", name)
    assert deleted.returncode == 0, err(deleted)
    assert containers_of(client, name) == []
