"""Capsule names that are DNS subdomains (`my.app.v2`), as Kubernetes names pods, against a
real engine: created, listed, stored and deleted, with engine names that meet no other
capsule's, even a capsule whose member name completes the dotted one.

Checked through the docker package (names, hostname) and sqlite3 (the store).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from support.capsule_cli import capsule_containers, cli, remove_capsule_leftovers

pytestmark = pytest.mark.docker


def pod(name: str, member: str) -> str:
    return f"""\
apiVersion: v1
kind: Pod
metadata: {{name: {name}}}
spec:
  containers:
    - name: {member}
      image: busybox:1.36
      command: [sh, -c, "hostname > /tmp/h; exec sleep 3600"]
"""


@pytest.fixture
def names(unique_name: str, docker_engine: Any, capsule_home: Path) -> Iterator[tuple[str, str]]:
    # `dotted` has a member `main`; `plain` has a member named like dotted's last part, so its
    # member's engine name, `<plain>.web`, is the dotted capsule's own name.
    dotted, plain = f"{unique_name}.web", unique_name
    yield dotted, plain
    for name in (dotted, plain):
        remove_capsule_leftovers(docker_engine.client, name)


def store_names(home: Path, *names: str) -> list[str]:
    """Which of `names` the store has (it also caches other capsules the engine runs)."""
    db = sqlite3.connect(home / "state.db")
    try:
        return sorted(row[0] for row in db.execute("SELECT name FROM capsules") if row[0] in names)
    finally:
        db.close()


def test_a_dotted_name_is_created_listed_stored_and_deleted_beside_a_capsule_it_could_meet(
    names: tuple[str, str], docker_engine: Any, capsule_home: Path, tmp_path: Path
) -> None:
    dotted, plain = names
    client = docker_engine.client
    (tmp_path / "pods.yaml").write_text(pod(dotted, "main") + "---\n" + pod(plain, "web"))
    created = cli("create", "-f", str(tmp_path / "pods.yaml"))
    assert created.returncode == 0, created.stderr

    assert sorted(c.name for c in capsule_containers(client, dotted)) == [f"{dotted}.main", f"{dotted}_sandbox"]
    assert sorted(c.name for c in capsule_containers(client, plain)) == [plain, f"{plain}.web"]
    assert client.containers.get(f"{plain}.web").labels["capsule.name"] == plain
    member = client.containers.get(f"{dotted}.main")
    assert member.status == "running"
    assert client.containers.get(f"{dotted}_sandbox").attrs["Config"]["Hostname"] == dotted
    listed = {i["name"]: i for i in json.loads(cli("list", "-o", "json").stdout)["items"]}
    assert listed[dotted]["status"] == "Running" and listed[plain]["status"] == "Running"
    assert store_names(capsule_home, dotted, plain) == sorted([dotted, plain])
    shown = cli("describe", dotted)
    assert shown.returncode == 0 and f"{dotted}.main" in shown.stdout, shown.stderr

    deleted = cli("delete", dotted)
    assert deleted.returncode == 0, deleted.stderr
    assert capsule_containers(client, dotted) == []
    assert sorted(c.name for c in capsule_containers(client, plain)) == [plain, f"{plain}.web"]
    assert store_names(capsule_home, dotted, plain) == [plain]
    assert cli("delete", plain).returncode == 0
    assert capsule_containers(client, plain) == []
