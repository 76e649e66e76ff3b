"""`capsule update`, `history`, `rollback` and `apply` against a real engine.

The real `capsule` command runs as a subprocess. What the engine holds is checked
with the docker package (a second client); what the capsule serves, with HTTP to
the published host port on 127.0.0.1. Each test removes what it made by label.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from support.capsule_cli import capsule_command, cli, free_port, remove_capsule_leftovers
from support.capsule_cli import capsule_containers as containers

pytestmark = pytest.mark.docker


def write_capsule(folder: Path, name: str, content: str, port: int, *, command: str | None = None,
                  claim: str | None = None, env_secret: str | None = None, file_name: str | None = None) -> Path:
    """A capsule serving `content` on `port` (busybox httpd), with a sidecar and an emptyDir."""
    serve = command or f"mkdir -p /www; echo {content} > /www/index.html; exec httpd -f -p 8080 -h /www"
    claim_volume = f"\n    - name: keep\n      persistentVolumeClaim: {{claimName: {claim}}}" if claim else ""
    claim_mount = "\n        - {name: keep, mountPath: /keep}" if claim else ""
    env = (f"\n      env:\n        - name: TOKEN\n          valueFrom: {{secretKeyRef: {{name: {env_secret}, "
           f"key: token}}}}") if env_secret else ""
    secret_doc = (f"\n---\napiVersion: v1\nkind: Secret\nmetadata: {{name: {env_secret}}}\n"
                  f"stringData: {{token: s3cr3t-{content}}}\n") if env_secret else ""
    text = f"""\
apiVersion: beta
kind: capsule
metadata:
  name: {name}
spec:
  containers:
    - name: web
      image: busybox:1.36
      command: ["sh", "-c", "{serve}"]{env}
      ports:
        - containerPort: 8080
          hostPort: {port}
      volumeMounts:
        - {{name: scratch, mountPath: /scratch}}{claim_mount}
    - name: sidecar
      image: busybox:1.36
      command: ["sleep", "3600"]
  volumes:
    - name: scratch
      emptyDir: {{}}{claim_volume}
{secret_doc}"""
    path = folder / (file_name or f"{name}-{content}.yaml")
    path.write_text(text)
    return path


def fetch(port: int) -> str | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
            return response.read().decode().strip()
    except (urllib.error.URLError, OSError):
        return None


def served(port: int, expected: str, timeout: float = 15) -> str | None:
    """What the port serves once it serves `expected`, or the last answer after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        answer = fetch(port)
        if answer == expected or time.monotonic() > deadline:
            return answer
        time.sleep(0.2)


def fingerprint(client: Any, name: str) -> dict[str, tuple[str, str, str]]:
    """Docker name -> (id, StartedAt, revision label) of every container of the capsule."""
    found = {}
    for container in containers(client, name):
        container.reload()
        found[container.name] = (container.id, container.attrs["State"]["StartedAt"],
                                 container.labels.get("capsule.revision", ""))
    return found


@pytest.fixture
def name(unique_name: str, docker_engine: Any, capsule_home: Path) -> Iterator[str]:
    yield unique_name
    remove_capsule_leftovers(docker_engine.client, unique_name)


def test_update_switches_over_restores_on_failure_and_rolls_back(name, docker_engine, tmp_path):
    client = docker_engine.client
    port = free_port()
    claim = f"{name}-keep"
    v1 = write_capsule(tmp_path, name, "v1", port, claim=claim)
    v2 = write_capsule(tmp_path, name, "v2", port, claim=claim)
    v3 = write_capsule(tmp_path, name, "v3", port, claim=claim, command="echo broken; exit 1")

    created = cli("create", "-f", str(v1))
    assert created.returncode == 0, created.stderr
    assert served(port, "v1") == "v1"
    rev1 = fingerprint(client, name)
    assert set(rev1) == {name, f"{name}.web", f"{name}.sidecar"}
    rev1_volumes = {v.name for v in client.volumes.list(filters={"label": f"capsule.name={name}"})}
    assert claim in rev1_volumes and len(rev1_volumes) == 2  # the claim and the emptyDir

    updated = cli("update", name, "-f", str(v2), "--settle", "1", "-o", "json")
    assert updated.returncode == 0, updated.stderr
    outcome = json.loads(updated.stdout)
    assert (outcome["previous_revision"], outcome["revision"]) == (1, 2)
    assert fetch(port) == "v2"
    rev2 = fingerprint(client, name)
    assert set(rev2) == set(rev1)  # the capsule's own names again, nothing set aside left
    assert not {cid for cid, _, _ in rev1.values()} & {cid for cid, _, _ in rev2.values()}
    assert {label for _, _, label in rev2.values()} == {"2"}
    for old_id, _, _ in rev1.values():  # v1's containers are gone from the engine
        with pytest.raises(Exception, match="(?i)no such container|not found"):
            client.containers.get(old_id)
    volumes = {v.name for v in client.volumes.list(filters={"label": f"capsule.name={name}"})}
    assert claim in volumes  # persistent: kept
    assert not (rev1_volumes - {claim}) & volumes  # v1's emptyDir: removed

    broken = cli("update", name, "-f", str(v3), "--timeout", "5", "--settle", "1")
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert "not ready within 5 s" in broken.stderr and "revision 2 was restored" in broken.stderr
    assert served(port, "v2") == "v2"
    after = fingerprint(client, name)
    assert {n: cid for n, (cid, _, _) in after.items()} == {n: cid for n, (cid, _, _) in rev2.items()}
    assert {label for _, _, label in after.values()} == {"2"}  # no v3 container remains
    assert client.containers.get(name).attrs["State"]["Running"]

    history = cli("history", name, "-o", "json")
    assert history.returncode == 0, history.stderr
    rows = {r["revision"]: r for r in json.loads(history.stdout)}
    assert [rows[n]["outcome"] for n in (1, 2, 3)] == ["replaced", "serving", "failed"]
    assert rows[3]["source"] == "update" and "not ready" in rows[3]["reason"]
    assert rows[1]["images"] == ["busybox:1.36"]
    table = cli("history", name)
    assert table.returncode == 0 and "REVISION" in table.stdout and "failed" in table.stdout

    rolled = cli("rollback", name, "--to-revision", "1", "--settle", "1", "-o", "json")
    assert rolled.returncode == 0, rolled.stderr
    assert json.loads(rolled.stdout)["revision"] == 4
    assert served(port, "v1") == "v1"
    rows = {r["revision"]: r for r in json.loads(cli("history", name, "-o", "json").stdout)}
    assert rows[4]["source"] == "rollback to revision 1" and rows[4]["outcome"] == "serving"
    assert rows[2]["outcome"] == "replaced"

    # Deleted: the history outlives it, and no revision claims to serve any more.
    assert cli("delete", name).returncode == 0
    rows = {r["revision"]: r for r in json.loads(cli("history", name, "-o", "json").stdout)}
    assert [rows[n]["outcome"] for n in (1, 2, 3, 4)] == ["replaced", "replaced", "failed", "deleted"]
    assert rows[4]["reason"] == "the capsule was deleted"


def test_update_pulls_first_and_touches_nothing_when_an_image_is_missing(name, docker_engine, tmp_path):
    client = docker_engine.client
    port = free_port()
    v1 = write_capsule(tmp_path, name, "v1", port)
    assert cli("create", "-f", str(v1)).returncode == 0
    before = fingerprint(client, name)
    bad = tmp_path / "bad.yaml"
    bad.write_text(v1.read_text().replace("image: busybox:1.36\n      command: [\"sh\"",
                                          "image: capsule-test/absent:9\n      imagePullPolicy: Never\n"
                                          "      command: [\"sh\""))
    result = cli("update", name, "-f", str(bad))
    assert result.returncode == 1
    assert "capsule-test/absent:9" in result.stderr and "nothing was changed: revision 1 still serves" in result.stderr
    assert fingerprint(client, name) == before  # not even stopped: same ids, same StartedAt
    assert fetch(port) == "v1"


def test_update_of_an_unknown_capsule_or_wrong_file(name, docker_engine, tmp_path):
    path = write_capsule(tmp_path, name, "v1", free_port())
    missing = cli("update", name, "-f", str(path))
    assert missing.returncode == 1 and f"capsule '{name}' not found on any host" in missing.stderr
    wrong = cli("update", "other-name", "-f", str(path))
    assert wrong.returncode == 2 and f"does not define capsule other-name (it defines: {name})" in wrong.stderr


def test_apply_leaves_identical_alone_updates_changed_creates_absent(name, docker_engine, tmp_path):
    client = docker_engine.client
    other = f"{name}-b"
    port_a, port_b = free_port(), free_port()
    folder = tmp_path / "manifests"
    folder.mkdir()
    a_v1 = write_capsule(folder, name, "a1", port_a, file_name="a.yaml")
    assert cli("create", "-f", str(a_v1)).returncode == 0
    before = fingerprint(client, name)
    try:
        write_capsule(folder, other, "b1", port_b, file_name="b.yaml")
        first = cli("apply", "-f", str(folder), "-o", "json")
        assert first.returncode == 0, first.stderr
        actions = {r["name"]: r["action"] for r in json.loads(first.stdout)}
        assert actions == {name: "unchanged", other: "created"}
        assert fingerprint(client, name) == before  # no container touched: ids and StartedAt as they were
        assert served(port_b, "b1") == "b1"

        write_capsule(folder, name, "a2", port_a, file_name="a.yaml")
        b_before = fingerprint(client, other)
        second = cli("apply", "-f", str(folder), "--settle", "1")
        assert second.returncode == 0, second.stderr
        assert f"{name}  " in second.stdout and "updated" in second.stdout and "unchanged" in second.stdout
        assert served(port_a, "a2") == "a2"
        assert fingerprint(client, other) == b_before
        assert {label for _, _, label in fingerprint(client, name).values()} == {"2"}
    finally:
        for container in containers(client, other):
            container.remove(force=True)
        for volume in client.volumes.list(filters={"label": f"capsule.name={other}"}):
            volume.remove(force=True)


def test_rollback_reads_stored_secrets_and_asks_for_the_ones_it_cannot_have(name, docker_engine, tmp_path):
    client = docker_engine.client
    port = free_port()
    secret = f"{name}-token"
    v1 = write_capsule(tmp_path, name, "v1", port, env_secret=secret)
    v2 = write_capsule(tmp_path, name, "v2", port, env_secret=secret)
    assert cli("create", "-f", str(v1)).returncode == 0
    updated = cli("update", name, "-f", str(v2), "--settle", "1")
    assert updated.returncode == 0, updated.stderr
    # update -f stores the input's Secret as create does (replacing v1's value).
    assert f"secret/{secret} stored in namespace default" in updated.stderr
    stored = json.loads(cli("list", "secrets", "-o", "json").stdout)["items"]
    assert [(s["name"], s["keys"]) for s in stored] == [(secret, ["token"])]
    before = fingerprint(client, name)
    assert cli("delete", f"secret/{secret}").returncode == 0
    refused = cli("rollback", name)
    assert refused.returncode == 2
    assert f"refers to the Secret(s) {secret}" in refused.stderr and "-f SECRETS.yaml" in refused.stderr
    assert "s3cr3t" not in refused.stderr + refused.stdout
    assert fingerprint(client, name) == before
    done = cli("rollback", name, "-f", str(v1), "--settle", "1")
    assert done.returncode == 0, done.stderr
    assert served(port, "v1") == "v1"
    web = client.containers.get(f"{name}.web")
    assert "TOKEN=s3cr3t-v1" in web.attrs["Config"]["Env"]
    assert json.loads(cli("list", "secrets", "-o", "json").stdout)["items"] == []  # rollback -f stores nothing

    # Stored again (by update -f v2), the Secret is what a rollback without -f reads, as
    # kubectl rollout undo reads the Secret as it is now.
    assert cli("update", name, "-f", str(v2), "--settle", "1").returncode == 0
    back = cli("rollback", name, "--settle", "1")
    assert back.returncode == 0, back.stderr
    assert served(port, "v1") == "v1"
    assert "TOKEN=s3cr3t-v2" in client.containers.get(f"{name}.web").attrs["Config"]["Env"]
    assert "s3cr3t" not in back.stderr + back.stdout


def test_update_whose_build_fails_restores_the_old_capsule(name, docker_engine, tmp_path):
    """v2 also publishes a port a host process holds: the build fails after v1 was set aside."""
    client = docker_engine.client
    port, held = free_port(), free_port()
    v1 = write_capsule(tmp_path, name, "v1", port)
    assert cli("create", "-f", str(v1)).returncode == 0
    before = fingerprint(client, name)
    v2 = tmp_path / "v2.yaml"
    v2.write_text(v1.read_text().replace(
        f"hostPort: {port}", f"hostPort: {port}\n        - containerPort: 9090\n          hostPort: {held}"))
    with socket.socket() as holder:
        holder.bind(("0.0.0.0", held))
        holder.listen()
        result = cli("update", name, "-f", str(v2), "--timeout", "20")
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"port {held}" in result.stderr and "revision 1 was restored" in result.stderr
    assert served(port, "v1") == "v1"
    after = fingerprint(client, name)
    assert {n: cid for n, (cid, _, _) in after.items()} == {n: cid for n, (cid, _, _) in before.items()}
    assert all(after[n][1] != before[n][1] for n in after)  # stopped and started again: new StartedAt
    rows = json.loads(cli("history", name, "-o", "json").stdout)
    assert [(r["revision"], r["outcome"]) for r in rows] == [(1, "serving"), (2, "failed")]


def test_ctrl_c_during_an_update_restores_the_old_capsule(name, docker_engine, tmp_path):
    client = docker_engine.client
    port = free_port()
    v1 = write_capsule(tmp_path, name, "v1", port)
    v2 = write_capsule(tmp_path, name, "v2", port, command="echo slow; exec sleep 3600")
    assert cli("create", "-f", str(v1)).returncode == 0
    before = fingerprint(client, name)
    command = capsule_command()
    update = subprocess.Popen(command + ["update", name, "-f", str(v2), "--settle", "60"],
                              stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        seen = []
        assert update.stderr is not None
        for line in update.stderr:  # wait until the new revision is built and being awaited
            seen.append(line)
            if "waiting until revision 2 is ready" in line:
                break
        assert any("waiting until revision 2" in line for line in seen), "".join(seen)
        second = cli("update", name, "-f", str(v1))  # one switch-over at a time
        assert second.returncode == 1 and "being created or updated by another command" in second.stderr
        update.send_signal(signal.SIGINT)
        _, rest = update.communicate(timeout=60)
    finally:
        if update.poll() is None:
            update.kill()
    assert update.returncode == 130, "".join(seen) + rest
    assert served(port, "v1") == "v1"
    after = fingerprint(client, name)
    assert {n: cid for n, (cid, _, _) in after.items()} == {n: cid for n, (cid, _, _) in before.items()}
    rows = json.loads(cli("history", name, "-o", "json").stdout)
    assert [(r["revision"], r["outcome"]) for r in rows] == [(1, "serving"), (2, "failed")]
    assert rows[1]["reason"] == "the update was interrupted"


def test_update_whose_readiness_probe_fails_is_undone(name, docker_engine, tmp_path):
    """v2 runs (httpd serves), but its httpGet readiness probe asks for a page it lacks."""
    client = docker_engine.client
    port = free_port()
    v1 = write_capsule(tmp_path, name, "v1", port)
    assert cli("create", "-f", str(v1)).returncode == 0
    before = fingerprint(client, name)
    v2 = write_capsule(tmp_path, name, "v2", port)
    v2.write_text(v2.read_text().replace(
        f"hostPort: {port}\n",
        f"hostPort: {port}\n      readinessProbe:\n        httpGet: {{path: /missing, port: 8080}}\n"
        f"        periodSeconds: 1\n"))
    assert "readinessProbe" in v2.read_text()
    result = cli("update", name, "-f", str(v2), "--timeout", "8")
    assert result.returncode == 1, result.stdout + result.stderr
    # The reason names the probe; its last answer is the 404 (or, on a loaded machine, not yet listening).
    assert "readiness probe" in result.stderr and "/missing" in result.stderr, result.stderr
    assert "revision 1 was restored" in result.stderr
    assert served(port, "v1") == "v1"
    after = fingerprint(client, name)
    assert {n: cid for n, (cid, _, _) in after.items()} == {n: cid for n, (cid, _, _) in before.items()}
