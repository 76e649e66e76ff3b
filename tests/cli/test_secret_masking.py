"""A secret value that a container prints never reaches the user's screen, the store or the events.

The reproduction of issue 15: an init container that prints a value from a Secret
(secretKeyRef) and exits 1. Its last output becomes the create's failure reason, which
used to carry the value into `create`'s error, `describe`'s reason, `list -o json`, and
the state database. Every path is read independently: the command's own output, and
the database file itself (sqlite3 and its raw bytes).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from support.capsule_cli import capsule_containers, cli, remove_capsule_leftovers
from translate.secrets import MASK, SecretMask, SecretStore

pytestmark = pytest.mark.docker

SECRET = "hunter2-is-not-a-good-password"


def manifest(folder: Path, name: str) -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(f"""\
apiVersion: v1
kind: Secret
metadata:
  name: {name}-db
stringData:
  password: {SECRET}
---
apiVersion: v1
kind: Pod
metadata:
  name: {name}
spec:
  restartPolicy: Never
  initContainers:
    - name: setup
      image: busybox:1.36
      command: ["sh", "-c", "echo connecting with $PASSWORD failed; exit 1"]
      env:
        - name: PASSWORD
          valueFrom:
            secretKeyRef: {{name: {name}-db, key: password}}
  containers:
    - name: app
      image: busybox:1.36
      command: ["sleep", "3600"]
""")
    return path


@pytest.fixture
def name(unique_name: str, docker_engine: Any, capsule_home: Path) -> Iterator[str]:
    yield unique_name
    remove_capsule_leftovers(docker_engine.client, unique_name)


def every_text_in(database: Path) -> str:
    """Every value of every row of every table, as text (a second client: sqlite3 itself)."""
    db = sqlite3.connect(database)
    try:
        tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return "\n".join(str(row) for table in tables for row in db.execute(f'SELECT * FROM "{table}"'))
    finally:
        db.close()


def test_a_secret_printed_by_a_failed_init_container_is_masked_everywhere(name, docker_engine, capsule_home,
                                                                         tmp_path):
    result = cli("create", "-f", str(manifest(tmp_path, name)))
    assert result.returncode == 1, result.stderr
    # The reason quotes the init container's last output: the value is there, masked.
    assert "connecting with" in result.stderr and MASK in result.stderr, result.stderr
    assert SECRET not in result.stderr + result.stdout
    assert capsule_containers(docker_engine.client, name) == []  # the failed build left nothing

    described = cli("describe", name)
    assert MASK in described.stdout, described.stdout + described.stderr
    listed = cli("list", "-o", "json")
    [item] = [i for i in json.loads(listed.stdout)["items"] if i["name"] == name]
    assert item["status"] == "Failed" and MASK in item["reason"]
    events = cli("events", name, "-o", "json")
    for output in (described.stdout + described.stderr, listed.stdout, events.stdout + events.stderr):
        assert SECRET not in output

    database = capsule_home / "state.db"
    stored = every_text_in(database)
    assert MASK in stored and SECRET not in stored
    for path in capsule_home.glob("state.db*"):  # the raw bytes too, write-ahead log included
        assert SECRET.encode() not in path.read_bytes(), path


def probed_manifest(folder: Path, name: str) -> Path:
    """A member whose readiness probe prints the secret and fails: create gives up on readiness."""
    path = folder / f"{name}.yaml"
    path.write_text(f"""\
apiVersion: v1
kind: Secret
metadata:
  name: {name}-db
stringData:
  password: {SECRET}
---
apiVersion: v1
kind: Pod
metadata:
  name: {name}
spec:
  containers:
    - name: app
      image: busybox:1.36
      command: ["sleep", "3600"]
      env:
        - name: PASSWORD
          valueFrom:
            secretKeyRef: {{name: {name}-db, key: password}}
      readinessProbe:
        exec:
          command: ["sh", "-c", "echo checking with $PASSWORD; exit 1"]
        periodSeconds: 1
""")
    return path


def test_a_secret_printed_by_a_failing_readiness_probe_is_masked(name, docker_engine, capsule_home, tmp_path):
    """Here the build succeeds: only the create's own mask stands between the probe's output and the user."""
    result = cli("create", "-f", str(probed_manifest(tmp_path, name)), "--timeout", "4")
    assert result.returncode == 1, result.stderr
    assert "checking with" in result.stderr and MASK in result.stderr, result.stderr
    assert SECRET not in result.stderr + result.stdout
    described = cli("describe", name)
    assert described.returncode == 0 and SECRET not in described.stdout + described.stderr
    assert MASK in every_text_in(capsule_home / "state.db")  # the note of why create gave up
    for path in capsule_home.glob("state.db*"):
        assert SECRET.encode() not in path.read_bytes(), path
    assert cli("delete", name).returncode == 0


def test_the_mask_hides_every_value_and_the_longest_first() -> None:
    secrets = SecretStore()
    secrets.add("db", {"password": b"abcdefgh", "prefix": b"abcd", "short": b"no"})
    mask = SecretMask()
    assert not mask and mask("abcdefgh") == "abcdefgh"
    mask.hide(secrets)
    assert mask("pw=abcdefgh; p=abcd; no") == f"pw={MASK}; p={MASK}; no"  # too short to mask: "no"
    assert "abcd" not in repr(mask)
