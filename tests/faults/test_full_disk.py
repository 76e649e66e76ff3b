"""The disk holding the state database fills up in the middle of a create.

Before: the capsule was built and running, then `internal error: OperationalError:
database or disk is full (this is a bug)`, exit 70, and a retry said "already exists".
Now: exit 1 with a message that says the capsule runs and where, and once there is room
again `capsule list` shows it Running (its create finished; only the record was late).

CAPSULE_HOME is a 2 MiB tmpfs of the test's own (root is needed to mount it; the test
skips with the reason without it, fails under CI), filled with a file while the create's init
container runs, that is after the create has written its row and before it records
that the capsule came up.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from support.capsule_cli import capsule_command, cli, remove_capsule_leftovers
from support.capsule_files import busybox_capsule
from support.requirements import unavailable

pytestmark = pytest.mark.docker


@pytest.fixture
def small_home(tmp_path: Path) -> Iterator[Path]:
    home = tmp_path / "small-home"
    home.mkdir(mode=0o700)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m,mode=0700", "tmpfs", str(home)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        unavailable(f"cannot mount a tmpfs for a full disk here (needs root): {mounted.stderr.strip()}")
    try:
        yield home
    finally:
        subprocess.run(["umount", "-l", str(home)], check=False)


def fill(folder: Path) -> Path:
    """Take every free byte of the file system holding `folder`."""
    filler = folder / "filler"
    with open(filler, "wb") as out:
        try:
            while True:
                out.write(b"\0" * 65536)
                out.flush()
        except OSError:
            pass
    return filler


@pytest.mark.fault("a full disk under the state database", "after the build")
def test_a_full_disk_after_the_build_says_the_capsule_runs_and_list_catches_up(small_home, unique_name,
                                                                             docker_engine: Any, tmp_path):
    name = unique_name
    path = busybox_capsule(tmp_path, name, init=["sleep", "3"], init_name="pause", file_name="web")
    env = {**os.environ, "CAPSULE_HOME": str(small_home)}
    try:
        process = subprocess.Popen(capsule_command() + ["create", "-f", str(path)], env=env, text=True,
                                   stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        client = docker_engine.client
        deadline = time.monotonic() + 30
        while not client.containers.list(ignore_removed=True, all=True, filters={"label": f"capsule.name={name}", "name": "pause"}):
            assert time.monotonic() < deadline and process.poll() is None, process.communicate()
            time.sleep(0.05)
        filler = fill(small_home)
        out, err = process.communicate(timeout=60)
        assert process.returncode == 1, err
        assert "Traceback" not in err and "internal error" not in err
        assert f"capsule {name} was built and runs on host local" in err and "free space" in err, err
        assert client.containers.get(name).status == "running"  # it really runs

        filler.unlink()  # room again: the record catches up with the host
        listed = cli("list", "-o", "json", env={"CAPSULE_HOME": str(small_home)})
        assert listed.returncode == 0, listed.stderr
        [item] = [i for i in json.loads(listed.stdout)["items"] if i["name"] == name]
        assert item["status"] == "Running", item
        deleted = cli("delete", name, env={"CAPSULE_HOME": str(small_home)})
        assert deleted.returncode == 0, deleted.stderr
    finally:
        remove_capsule_leftovers(docker_engine.client, name)
