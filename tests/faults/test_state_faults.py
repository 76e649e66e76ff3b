"""The state database damaged under a running capsule: the store is a cache of what the hosts say.

Random bytes over state.db, or garbage after an intact header: the next command moves
the broken file aside (kept, and named in a warning), starts a fresh database, and the
capsule comes back from its containers' labels, Running. Then the usual invariants.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from support.capsule_cli import cli
from support.capsule_files import busybox_capsule
from support.invariants import settle_and_check

pytestmark = pytest.mark.docker


def damage(database: Path, how: str) -> None:
    data = database.read_bytes()
    noise = random.Random(7).randbytes(max(len(data), 8192))
    for extra in database.parent.glob(database.name + "-*"):
        extra.unlink()  # the write-ahead log would put pages back
    database.write_bytes(noise if how == "random bytes" else data[:100] + noise[100:len(data)])


@pytest.mark.fault("state database damaged")
@pytest.mark.parametrize("point", ["random bytes", "garbage after the header"])
def test_a_damaged_database_is_moved_aside_and_the_capsule_comes_back_from_its_host(point, name, docker_engine,
                                                                                    capsule_home, tmp_path):
    path = busybox_capsule(tmp_path, name, file_name="web")
    assert cli("create", "-f", str(path)).returncode == 0
    database = capsule_home / "state.db"
    damage(database, point)
    listed = cli("list", "-o", "json")
    assert listed.returncode == 0, listed.stderr
    assert "damaged" in listed.stderr and ".broken-" in listed.stderr, listed.stderr
    [item] = [i for i in json.loads(listed.stdout)["items"] if i["name"] == name]
    assert item["status"] == "Running"
    assert list(capsule_home.glob("state.db.broken-*")), "the broken copy was not kept"
    assert settle_and_check(docker_engine.client, name, capsule_home, outputs=(listed.stdout, listed.stderr)) == []
