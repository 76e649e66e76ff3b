"""The real `capsule` command (create, list, describe, delete, events) against a real engine.

Every check goes through an independent path: the docker package (`docker_engine.client`)
for what exists on the engine, HTTP to 127.0.0.1 for the hostPort, sqlite3 for the
store file. Capsules are named by `unique_name`; each test removes what it made by
label at its end (the session sweep catches the rest).
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import sqlite3
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from runtime.labels import LABEL_MANAGED_BY, LABEL_MEMBER, LABEL_NAME, LABEL_ROLE, MANAGED_BY
from support.capsule_cli import CAPSULE, capsule_command, cli, free_port

pytestmark = pytest.mark.docker


def capsule_file(folder: Path, name: str, *, policy: str = "Always", port: int | None = None,
                 image: str = "busybox:1.36", pull: str | None = None, labels: dict | None = None) -> Path:
    port_block = f"""
      ports:
        - containerPort: 8080
          hostPort: {port}""" if port else ""
    pull_line = f"\n      imagePullPolicy: {pull}" if pull else ""
    label_text = json.dumps({"suite": "runtime-cli", **(labels or {})})
    text = f"""\
apiVersion: beta
kind: capsule
metadata:
  name: {name}
  labels: {label_text}
spec:
  restartPolicy: {policy}
  containers:
    - name: web
      image: {image}{pull_line}
      command: ["sh", "-c", "mkdir -p /www && echo hello-from-{name} > /www/index.html && exec httpd -f -p 8080 -h /www"]{port_block}
      volumeMounts:
        - name: data
          mountPath: /data
    - name: sidecar
      image: busybox:1.36
      command: ["sleep", "3600"]
      volumeMounts:
        - name: data
          mountPath: /data
  volumes:
    - name: data
      emptyDir: {{}}
"""
    path = folder / f"{name}.yaml"
    path.write_text(text)
    return path


def containers_of(client: Any, name: str) -> list[Any]:
    return client.containers.list(ignore_removed=True, all=True, filters={"label": f"capsule.name={name}"})


def volumes_of(client: Any, name: str) -> list[Any]:
    return client.volumes.list(filters={"label": f"capsule.name={name}"})


def listed(name: str, env: dict[str, str] | None = None) -> dict | None:
    result = cli("list", "-o", "json", env=env)
    assert result.returncode == 0, result.stderr
    items = [i for i in json.loads(result.stdout)["items"] if i["name"] == name]
    return items[0] if items else None


def store_rows(home: Path, name: str) -> list[sqlite3.Row]:
    db = sqlite3.connect(home / "state.db")
    db.row_factory = sqlite3.Row
    try:
        return db.execute("SELECT * FROM capsules WHERE name = ?", (name,)).fetchall()
    finally:
        db.close()


def wait_for(check, timeout: float = 30, interval: float = 0.3):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


@pytest.fixture
def name(unique_name: str, docker_engine: Any, capsule_home: Path) -> Iterator[str]:
    yield unique_name
    client = docker_engine.client
    for container in containers_of(client, unique_name):
        container.remove(force=True)
    for volume in volumes_of(client, unique_name):
        volume.remove(force=True)


def test_create_list_describe_delete(name, docker_engine, capsule_home, tmp_path):
    client = docker_engine.client
    port = free_port()
    created = cli("create", "-f", str(capsule_file(tmp_path, name, port=port)))
    assert created.returncode == 0, created.stderr
    assert name in created.stdout and "Running" in created.stdout
    assert "member web" in created.stderr  # progress on stderr

    containers = containers_of(client, name)
    assert sorted(c.name for c in containers) == sorted([name, f"{name}.web", f"{name}.sidecar"])
    uuids = {c.labels["capsule.uuid"] for c in containers}
    assert len(uuids) == 1
    assert {c.labels["capsule.role"] for c in containers} == {"sandbox", "member"}
    assert all(c.labels["capsule.managed-by"] == "capsule" for c in containers)
    assert all(c.status == "running" for c in containers)
    assert len(volumes_of(client, name)) == 1

    def page() -> str:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
                return response.read().decode()
        except OSError:
            return ""

    assert wait_for(page, 15) == f"hello-from-{name}\n"

    item = listed(name)
    assert item["status"] == "Running" and item["ready"] == "2/2" and item["host"] == "local"
    assert item["uuid"] in uuids and item["ip"]
    assert f"{port}->8080/TCP (web)" in item["ports"]

    described = cli("describe", name)
    assert described.returncode == 0, described.stderr
    assert "Status:           Running" in described.stdout
    assert f"IP:               {item['ip']}" in described.stdout
    assert "busybox:1.36" in described.stdout and f"{name}.sidecar" in described.stdout
    assert "data: emptyDir" in described.stdout
    assert "Placement:        placed on local: the only host, and it passes every filter" in described.stdout

    deleted = cli("delete", name)
    assert deleted.returncode == 0, deleted.stderr
    assert f"capsule {name} deleted" in deleted.stdout
    assert containers_of(client, name) == []
    assert volumes_of(client, name) == []
    assert listed(name) is None
    assert store_rows(capsule_home, name) == []
    events = cli("events", name, "-o", "json")
    kinds = [json.loads(line)["kind"] for line in events.stdout.splitlines()]
    assert kinds == ["created", "started", "deleted"]


def test_member_killed_under_never_shows_failed(name, docker_engine, tmp_path):
    client = docker_engine.client
    assert cli("create", "-f", str(capsule_file(tmp_path, name, policy="Never"))).returncode == 0
    assert listed(name)["status"] == "Running"
    client.containers.get(f"{name}.web").kill()
    wait_for(lambda: client.containers.get(f"{name}.web").status == "exited", 10)
    item = listed(name)
    assert item["status"] == "Failed"
    assert item["reason"] == "member web exited with code 137"
    assert item["ready"] == "1/2"
    kinds = [json.loads(line)["kind"] for line in cli("events", name, "-o", "json").stdout.splitlines()]
    assert "member_exited" in kinds and kinds[-1] == "failed"


def test_member_killed_under_always_restarts_and_counts(name, docker_engine, tmp_path):
    client = docker_engine.client
    assert cli("create", "-f", str(capsule_file(tmp_path, name, policy="Always"))).returncode == 0
    # Killed from outside the engine (the process itself): the engine restarts it.
    # (`docker kill` would mark it stopped by hand, and the engine would leave it.)
    web = client.containers.get(f"{name}.web")
    os.kill(web.attrs["State"]["Pid"], signal.SIGKILL)

    def restarted() -> dict | None:
        item = listed(name)
        return item if item and item["restarts"] >= 1 and item["status"] == "Running" else None

    item = wait_for(restarted, 30, 0.5)
    assert item, listed(name)
    assert client.containers.get(f"{name}.web").attrs["RestartCount"] >= 1

    # `docker kill` is a stop by hand: the engine does not restart it, and the status says so.
    client.containers.get(f"{name}.sidecar").kill()
    wait_for(lambda: client.containers.get(f"{name}.sidecar").status == "exited", 10)
    item = listed(name)
    assert item["status"] == "Failed"
    assert item["reason"] == "member sidecar exited with code 137 and is not being restarted"


def test_member_exiting_1_under_always_shows_crash_loop_in_list(name, docker_engine, tmp_path):
    """Issue 13, item 5: the row said Starting or Running by turns while restarts climbed."""
    path = tmp_path / f"{name}.yaml"
    path.write_text(f"""\
apiVersion: beta
kind: capsule
metadata:
  name: {name}
  labels: {{suite: runtime-cli}}
spec:
  restartPolicy: Always
  containers:
    - name: web
      image: busybox:1.36
      command: ["sh", "-c", "exit 1"]
""")
    assert cli("create", "--no-wait", "-f", str(path)).returncode == 0

    def status_column() -> str:
        # By the header: the NAMESPACE and WORKLOAD columns show only when some capsule on the
        # engine has them (another session's, a developer's), which moves STATUS.
        lines = cli("list").stdout.splitlines()
        if not lines:
            return ""
        at = lines[0].split().index("STATUS")
        rows = [line.split() for line in lines[1:]]
        return next((row[at] for row in rows if row[0] == name and len(row) > at), "")

    assert wait_for(lambda: status_column() == "CrashLoopBackOff", 30, 0.3), cli("list").stdout

    def looping() -> dict | None:
        item = listed(name)
        return item if item and item["display"] == "CrashLoopBackOff" and item["restarts"] >= 1 else None

    item = wait_for(looping, 30, 0.3)
    assert item, listed(name)
    assert item["status"] == "Starting"  # the phase keeps its meaning
    assert "member web is restarting" in item["reason"]
    # The why, one flag away (polled: between two runs of the member there is none).
    assert wait_for(lambda: "member web is restarting" in cli("list", "-o", "wide").stdout, 30, 0.3)


def test_removed_behind_the_tools_back_is_gone_from_list_and_store(name, docker_engine, capsule_home, tmp_path):
    client = docker_engine.client
    assert cli("create", "-f", str(capsule_file(tmp_path, name)), "--no-wait").returncode == 0
    assert len(store_rows(capsule_home, name)) == 1
    for container in containers_of(client, name):
        container.remove(force=True)
    assert listed(name) is None
    assert store_rows(capsule_home, name) == []
    last = json.loads(cli("events", name, "-o", "json").stdout.splitlines()[-1])
    assert (last["kind"], last["message"]) == ("deleted", "deleted outside capsule")


def test_capsule_created_from_another_home_shows_up(name, docker_engine, capsule_home, tmp_path):
    client = docker_engine.client
    assert cli("create", "-f", str(capsule_file(tmp_path, name))).returncode == 0
    other = {"CAPSULE_HOME": str(tmp_path / "other-machine")}
    item = listed(name, env=other)
    assert item is not None and item["status"] == "Running" and item["ready"] == "2/2"
    assert "created outside" in cli("events", name, env=other).stdout
    described = cli("describe", name, env=other)
    assert described.returncode == 0 and "Status:           Running" in described.stdout
    assert "Placement:        created elsewhere; placed by its creator on host local" in described.stdout
    assert cli("delete", name, env=other).returncode == 0
    assert containers_of(client, name) == []
    # The first home learns of it too: the hosts are the truth.
    assert listed(name) is None


def test_delete_by_name_looks_up_only_that_capsule(name, docker_engine, capsule_home, tmp_path):
    # `delete NAME` asks the host for NAME's containers by label, not for every
    # capsule: a home that never saw either capsule deletes the one it names and
    # learns nothing of the other (a full refresh would have recorded it).
    client = docker_engine.client
    neighbour = f"{name}-n"
    try:
        for each in (name, neighbour):
            assert cli("create", "-f", str(capsule_file(tmp_path, each)), "--no-wait").returncode == 0
        other_home = tmp_path / "other-machine"
        deleted = cli("delete", name, env={"CAPSULE_HOME": str(other_home)})
        assert deleted.returncode == 0, deleted.stderr
        assert containers_of(client, name) == [] and volumes_of(client, name) == []
        assert store_rows(other_home, name) == [] and store_rows(other_home, neighbour) == []
        assert len(containers_of(client, neighbour)) == 3
        item = listed(neighbour)
        assert item is not None and item["status"] in ("Starting", "Running")
        assert listed(name) is None
    finally:
        for container in containers_of(client, neighbour):
            container.remove(force=True)
        for volume in volumes_of(client, neighbour):
            volume.remove(force=True)


@pytest.mark.parametrize("homes", ["shared", "separate"])
def test_concurrent_creates_of_one_name_exactly_one_wins(name, docker_engine, capsule_home, tmp_path, homes):
    path = capsule_file(tmp_path, name)
    command = capsule_command()
    envs = [os.environ.copy(), os.environ.copy()]
    if homes == "separate":  # two machines: only the engine's 409 on the sandbox name decides
        envs[1]["CAPSULE_HOME"] = str(tmp_path / "second-home")
    procs = [subprocess.Popen(command + ["create", "-f", str(path)], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for env in envs]
    outcomes = [(p.wait(timeout=180), p.stderr.read()) for p in procs]
    for p in procs:
        p.stdout.close()
        p.stderr.close()
    codes = sorted(code for code, _ in outcomes)
    assert codes == [0, 1], outcomes
    loser = next(err for code, err in outcomes if code == 1)
    assert f"capsule {name} already exists on host local" in loser
    containers = containers_of(docker_engine.client, name)
    assert len({c.labels["capsule.uuid"] for c in containers}) == 1
    assert sorted(c.name for c in containers) == sorted([name, f"{name}.web", f"{name}.sidecar"])
    assert listed(name)["status"] == "Running"


def test_failed_create_leaves_nothing_and_records_why(name, docker_engine, capsule_home, tmp_path):
    client = docker_engine.client
    path = capsule_file(tmp_path, name, image="capsule-test/absent:1", pull="Never")
    result = cli("create", "-f", str(path))
    assert result.returncode == 1, result.stderr
    assert "capsule-test/absent:1" in result.stderr and "host local" in result.stderr
    assert "Traceback" not in result.stderr
    assert containers_of(client, name) == []
    assert volumes_of(client, name) == []
    [row] = store_rows(capsule_home, name)
    assert row["status"] == "Failed" and "capsule-test/absent:1" in row["status_reason"]
    item = listed(name)
    assert item["status"] == "Failed" and "not found" in item["reason"]
    # The failed record gives way to a corrected create of the same name.
    assert cli("create", "-f", str(capsule_file(tmp_path, name))).returncode == 0
    assert listed(name)["status"] == "Running"


def test_create_folder_makes_every_capsule_and_delete_by_selector(unique_name, docker_engine, capsule_home,
                                                                  tmp_path):
    client = docker_engine.client
    names = [f"{unique_name}-a", f"{unique_name}-b"]
    folder = tmp_path / "many"
    folder.mkdir()
    try:
        for each in names:
            capsule_file(folder, each, labels={"batch": unique_name})
        result = cli("create", "-f", str(folder), "-o", "json")
        assert result.returncode == 0, result.stderr
        assert sorted(r["name"] for r in json.loads(result.stdout)) == names
        assert all(len(containers_of(client, n)) == 3 for n in names)
        listed_names = json.loads(cli("list", "-l", f"batch={unique_name}", "-o", "json").stdout)["items"]
        assert sorted(i["name"] for i in listed_names) == names
        deleted = cli("delete", "-l", f"batch={unique_name}")
        assert deleted.returncode == 0, deleted.stderr
        assert all(containers_of(client, n) == [] and volumes_of(client, n) == [] for n in names)
    finally:
        for each in names:
            for container in containers_of(client, each):
                container.remove(force=True)
            for volume in volumes_of(client, each):
                volume.remove(force=True)


class Receiver:
    def __init__(self) -> None:
        self.bodies: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                receiver.bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/events"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_webhook_gets_the_commands_events_and_a_dead_one_is_only_a_warning(name, docker_engine, tmp_path):
    receiver = Receiver()
    try:
        hook = {"CAPSULE_WEBHOOK_URL": receiver.url}
        assert cli("create", "-f", str(capsule_file(tmp_path, name)), env=hook).returncode == 0
        assert cli("delete", name, env=hook).returncode == 0
    finally:
        receiver.close()
    # Other capsules on a shared engine may add "found on host" events of their own.
    mine = [b for b in receiver.bodies if b["capsule"] == name]
    assert [b["kind"] for b in mine] == ["created", "started", "deleted"]
    assert all(b["host"] == "local" and b["uuid"] for b in mine)
    dead = {"CAPSULE_WEBHOOK_URL": f"http://127.0.0.1:{free_port()}/events"}
    result = cli("create", "-f", str(capsule_file(tmp_path, name)), env=dead)
    assert result.returncode == 0, result.stderr
    assert "webhook" in result.stderr and "did not take" in result.stderr
    assert listed(name)["status"] == "Running"


def probe_exit(client: Any, name: str, member: str) -> None:
    """A short-lived container labelled as a member of capsule `name`: its `die` can reach the log
    only through a follower's engine watch (no store row knows it, nothing reconciles meanwhile)."""
    client.containers.run("busybox:1.36", ["true"], detach=True, labels={
        LABEL_MANAGED_BY: MANAGED_BY, LABEL_NAME: name, LABEL_ROLE: "member", LABEL_MEMBER: member})


def test_events_follow_reports_a_member_exit(name, docker_engine, tmp_path):
    client = docker_engine.client
    assert cli("create", "-f", str(capsule_file(tmp_path, name, policy="Never"))).returncode == 0
    command = capsule_command()
    follower = subprocess.Popen(command + ["events", name, "-f", "-o", "json"], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
    seen: list[dict] = []
    errors: list[str] = []
    # Both pipes are read to their end (the process closing them), so stderr holds all it wrote.
    reader = threading.Thread(target=lambda: [seen.append(json.loads(line)) for line in follower.stdout],
                              daemon=True)
    error_reader = threading.Thread(target=lambda: errors.extend(follower.stderr), daemon=True)
    reader.start()
    error_reader.start()

    def exits(member: str) -> list[dict]:
        return [e for e in seen if e["kind"] == "member_exited" and e["message"].startswith(f"member {member} ")]

    try:
        assert wait_for(lambda: any(e["kind"] == "started" for e in seen), 15)  # the history came first
        # The follower's engine watch begins a moment after the history: it is live once it
        # reports a container exit that happened after the follower started (a probe's; one
        # that died before the watch began is missed, so try a new one until one shows).
        deadline = time.monotonic() + 30
        for attempt in itertools.count(1):
            probe_exit(client, name, f"probe-{attempt}")
            if wait_for(lambda member=f"probe-{attempt}": exits(member), 3):
                break
            assert time.monotonic() < deadline, f"the follower's engine watch never reported a probe: {seen}"
        client.containers.get(f"{name}.web").kill()
        exited = wait_for(lambda: exits("web"), 20)
        assert exited and exited[0]["message"] == "member web exited with code 137"
        others = [e for e in seen if e["kind"] == "member_exited" and not e["message"].startswith("member probe-")]
        assert others == exited, others  # the sidecar still runs
        follower.send_signal(signal.SIGINT)
        follower.wait(timeout=15)
        reader.join(timeout=15)
        error_reader.join(timeout=15)
    finally:
        if follower.poll() is None:
            follower.kill()
            follower.wait()
    assert not reader.is_alive() and not error_reader.is_alive(), "the follower's pipes did not close"
    err = "".join(errors)
    assert follower.returncode == 130, err  # 128 + SIGINT, as a shell reports Ctrl-C
    assert "Traceback" not in err, err


def test_bad_input_exits_2_and_touches_nothing(name, docker_engine, tmp_path):
    missing = cli("create", "-f", str(tmp_path / "nope.yaml"))
    assert missing.returncode == 2 and "nope.yaml" in missing.stderr
    unknown_host = cli("create", "-f", str(capsule_file(tmp_path, name)), "--host", "elsewhere")
    assert unknown_host.returncode == 2 and "elsewhere" in unknown_host.stderr
    assert containers_of(docker_engine.client, name) == []
    everything = subprocess.run([str(CAPSULE), "delete", "--all"], capture_output=True, text=True,
                                stdin=subprocess.DEVNULL, timeout=60)
    assert everything.returncode == 2 and "--yes" in everything.stderr
    not_found = cli("describe", name)
    assert not_found.returncode == 1 and f"capsule '{name}' not found on any host" in not_found.stderr
    assert cli("delete", name).returncode == 1
    assert cli("list", "-l", "bad selector=").returncode == 2


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=lambda s: s.name)
def test_a_stop_signal_during_create_leaves_nothing_and_records_failed(signum, name, docker_engine, capsule_home,
                                                                        tmp_path):
    """Ctrl-C, `kill`/`timeout`/a CI cancel (SIGTERM) and a closed terminal (SIGHUP) clean up alike."""
    path = tmp_path / "slow.yaml"
    path.write_text(f"""\
apiVersion: beta
kind: capsule
metadata: {{name: {name}}}
spec:
  restartPolicy: Never
  initContainers:
    - {{name: wait, image: "busybox:1.36", command: ["sleep", "30"]}}
  containers:
    - {{name: web, image: "busybox:1.36", command: ["sleep", "3600"]}}
""")
    command = capsule_command()
    process = subprocess.Popen(command + ["create", "-f", str(path)], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    client = docker_engine.client
    assert wait_for(lambda: any(c.name == f"{name}.wait" for c in containers_of(client, name)), 30)
    process.send_signal(signum)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 128 + signum, err
    assert "Traceback" not in err and "interrupted" in err
    assert containers_of(client, name) == [] and volumes_of(client, name) == []
    [row] = store_rows(capsule_home, name)
    assert row["status"] == "Failed" and "interrupted" in row["status_reason"]
    assert "what it had made was removed" in row["status_reason"]


def test_secret_values_stay_out_of_every_output_and_the_store(unique_name, docker_engine, capsule_home, tmp_path):
    name, value = unique_name, "s3cr3t-Value-42"
    path = tmp_path / "pod.yaml"
    path.write_text(f"""\
apiVersion: v1
kind: Secret
metadata: {{name: db}}
stringData: {{password: {value}}}
---
apiVersion: v1
kind: Pod
metadata: {{name: {name}}}
spec:
  restartPolicy: Never
  containers:
  - name: app
    image: busybox:1.36
    command: ["sh", "-c", "echo the password is $PASSWORD > /tmp/seen; sleep 3600"]
    env:
    - name: PASSWORD
      valueFrom: {{secretKeyRef: {{name: db, key: password}}}}
""")
    client = docker_engine.client
    try:
        created = cli("create", "-f", str(path))
        assert created.returncode == 0, created.stderr
        # The member really got it (so the checks below are not vacuous) ...
        seen = wait_for(lambda: client.containers.get(f"{name}.app").exec_run("cat /tmp/seen").output, 10)
        assert value.encode() in seen
        # ... and nothing capsule prints or stores shows it.
        outputs = [created.stdout + created.stderr]
        for args in (("describe", name), ("describe", name, "-o", "json"), ("list", "-o", "yaml"),
                     ("events", name, "-o", "json")):
            result = cli(*args)
            assert result.returncode == 0, result.stderr
            outputs.append(result.stdout + result.stderr)
        assert "PASSWORD=<secret db/password>" in outputs[1]
        assert all(value not in text for text in outputs)
        for file in capsule_home.rglob("*"):  # state.db, its WAL, the host lock files, ...
            if file.is_file():
                assert value.encode() not in file.read_bytes(), file
        assert cli("delete", name).returncode == 0
    finally:
        for container in containers_of(client, name):
            container.remove(force=True)
