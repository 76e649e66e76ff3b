"""Every wait of `capsule create` has a deadline: --timeout bounds the build's init containers too.

An init container that never ends used to hold `create --timeout 10` for as long as the
user waited (75 s until interrupted), `--no-wait` too. Now the create gives up at its
deadline, removes what it made, and says which init container did not finish. The
bound asserted is generous (a loaded machine), yet far below the old behaviour.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from support.capsule_cli import capsule_containers, cli, remove_capsule_leftovers
from support.capsule_files import busybox_capsule

pytestmark = pytest.mark.docker


def stuck(folder: Path, name: str) -> Path:
    return busybox_capsule(folder, name, init=["sh", "-c", "echo still going; sleep 3600"], init_name="forever")


@pytest.fixture
def name(unique_name: str, docker_engine: Any, capsule_home: Path) -> Iterator[str]:
    yield unique_name
    remove_capsule_leftovers(docker_engine.client, unique_name)


@pytest.mark.parametrize("wait", [True, False], ids=["wait", "no-wait"])
def test_an_init_container_that_never_ends_cannot_hold_create_past_its_timeout(wait, name, docker_engine,
                                                                               tmp_path):
    args = ["create", "-f", str(stuck(tmp_path, name)), "--timeout", "4"] + ([] if wait else ["--no-wait"])
    began = time.monotonic()
    result = cli(*args, timeout=120)
    took = time.monotonic() - began
    assert result.returncode == 1, result.stderr
    assert "init container forever" in result.stderr and "did not finish within 4 s" in result.stderr
    assert "still going" in result.stderr  # its last output says what it was doing
    assert took < 30, f"create took {took:.1f} s with --timeout 4"
    assert capsule_containers(docker_engine.client, name) == []
    assert docker_engine.client.volumes.list(filters={"label": f"capsule.name={name}"}) == []


def test_a_refused_create_is_bad_input_and_leaves_no_failed_row(name, docker_engine, tmp_path):
    path = tmp_path / "privileged.yaml"
    path.write_text(f"""\
apiVersion: beta
kind: capsule
metadata: {{name: {name}}}
spec:
  containers:
    - name: app
      image: busybox:1.36
      command: ["sleep", "3600"]
      securityContext: {{privileged: true}}
""")
    result = cli("create", "-f", str(path))
    assert result.returncode == 2 and "--allow-privileged" in result.stderr, result.stderr
    listed = cli("list", "-o", "json")
    assert name not in listed.stdout  # the error said it all: no Failed row to clean up
    assert capsule_containers(docker_engine.client, name) == []
