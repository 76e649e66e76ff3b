"""`capsule gc` after a killed create: what belongs to no capsule goes, nothing else does.

A create is killed outright (SIGKILL: no clean-up runs) once its first volume exists.
`capsule gc` then removes what it left, whether this machine's store knows the create
died (its row) or not (another machine, a lost database: then only once it is older
than the grace), and leaves a bystander alone. Checked on the engine through the docker
package, an independent client.
"""

from __future__ import annotations

import json
import signal
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from support.capsule_cli import capsule_command, cli
from support.fault_manifests import manifest
from support.invariants import on_engine
from support.waiting import wait_until

pytestmark = pytest.mark.docker


def containers_and_volumes(client: Any, name: str) -> tuple[list[str], list[str]]:
    found = on_engine(client, name)
    return found["containers"], found["volumes"]


def listed(name: str) -> dict | None:
    result = cli("list", "-o", "json")
    assert result.returncode == 0, result.stderr
    return next((i for i in json.loads(result.stdout)["items"] if i["name"] == name), None)


STAGES: dict[str, Callable[[list[str], list[str], str], bool]] = {
    "first volume": lambda containers, volumes, name: bool(volumes),
    "sandbox": lambda containers, volumes, name: name in containers,
    "init container": lambda containers, volumes, name: f"{name}.wait" in containers,
}


def kill_at(stage: str, path: Path, client: Any, name: str) -> None:
    process = subprocess.Popen(capsule_command() + ["create", "-f", str(path)], stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert wait_until(lambda: STAGES[stage](*containers_and_volumes(client, name), name)), f"never reached: {stage}"
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    assert any(containers_and_volumes(client, name)), "the kill left nothing: this test would prove nothing"


@pytest.mark.fault("SIGKILL during create, then capsule gc", "its first volume")
def test_gc_removes_what_a_killed_create_left_and_nothing_else(name, docker_engine, tmp_path, session_labels):
    client = docker_engine.client
    kill_at("first volume", manifest(tmp_path, name, init_seconds=30), client, name)
    # Something of another capsule, alive and well, and a plain volume of the user's: both must stay.
    bystander = client.volumes.create(labels=session_labels)
    try:
        seen = cli("gc", "--dry-run", "-o", "json")
        assert seen.returncode == 0, seen.stderr
        found = [item for host in json.loads(seen.stdout) for item in host["leftovers"] if item["name"] == name]
        assert found and found[0]["volumes"], seen.stdout
        assert any(containers_and_volumes(client, name)), "a dry run removed something"
        swept = cli("gc")
        assert swept.returncode == 0 and name in swept.stdout, swept.stdout + swept.stderr
        assert containers_and_volumes(client, name) == ([], [])
        client.volumes.get(bystander.name)  # still there
    finally:
        bystander.remove(force=True)


@pytest.mark.fault("SIGKILL during create, then gc from another store", "its first volume")
def test_gc_of_another_machine_removes_what_no_capsule_claims_once_old_enough(name, docker_engine, tmp_path):
    """Without the store that knew the create (another machine, a lost database): a uuid with no
    sandbox, older than the grace, belongs to no capsule; younger than the grace, it is let be."""
    client = docker_engine.client
    kill_at("first volume", manifest(tmp_path, name, init_seconds=30), client, name)
    elsewhere = {"CAPSULE_HOME": str(tmp_path / "another-machine")}
    patient = cli("gc", "--grace", "3600", env=elsewhere)
    assert patient.returncode == 0 and any(containers_and_volumes(client, name)), patient.stdout + patient.stderr
    swept = cli("gc", "--grace", "0", env=elsewhere)
    assert swept.returncode == 0, swept.stderr
    assert containers_and_volumes(client, name) == ([], [])
