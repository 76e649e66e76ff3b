"""Faults during `capsule update`: a stop signal or SIGKILL while the old revision is set aside, and
while the new one is being built.

A stop signal restores the old revision (the switch-over's restore runs to its end,
shielded) and exits 128 + the signal; SIGKILL cannot restore, and what it leaves (the
old revision set aside under other names, a half-built new one) is still removed by one
`capsule delete`. After each, the same invariants as every fault
(tests/support/invariants.py). Stages are seen through the docker package.
"""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from support.capsule_cli import capsule_command, cli
from support.capsule_files import busybox_capsule
from support.holding_proxy import HoldingProxy
from support.invariants import on_engine, settle_and_check
from support.waiting import wait_until

pytestmark = pytest.mark.docker


def revision(folder: Path, name: str, text: str, init_seconds: int) -> Path:
    return busybox_capsule(folder, name, init=["sleep", str(init_seconds)], file_name=f"{name}-{text}",
                           app=["sh", "-c", f"trap 'exit 0' TERM; echo {text}; sleep 3600 & wait"])


STAGES: dict[str, Callable[[dict[str, list[str]], str], bool]] = {
    # The old revision's containers wait under other names ('_' is in no capsule name).
    "the old revision set aside": lambda seen, name: any("_r" in c for c in seen["containers"]),
    # The new revision's init container runs under the capsule's own names.
    "the new revision's init container": lambda seen, name: (
        f"{name}.wait" in seen["containers"] and any("_r" in c for c in seen["containers"])),
}


def update_until(point: str, client: Any, name: str, path: Path) -> subprocess.Popen:
    process = subprocess.Popen(capsule_command() + ["update", name, "-f", str(path), "--settle", "1"], text=True,
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while not STAGES[point](on_engine(client, name), name):
        assert process.poll() is None, f"update ended before {point}: {process.communicate()}"
        assert time.monotonic() < deadline, f"never reached: {point}"
        time.sleep(0.02)
    return process


@pytest.mark.fault("{signum} during update")
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGKILL], ids=lambda s: s.name)
@pytest.mark.parametrize("point", list(STAGES))
def test_an_interrupted_update_restores_or_leaves_what_one_delete_removes(signum, point, name, docker_engine,
                                                                         capsule_home, tmp_path):
    client = docker_engine.client
    created = cli("create", "-f", str(revision(tmp_path, name, "first", 0)))
    assert created.returncode == 0, created.stderr
    process = update_until(point, client, name, revision(tmp_path, name, "second", 5))
    process.send_signal(signum)
    out, err = process.communicate(timeout=60)
    assert "Traceback" not in err
    if signum != signal.SIGKILL:
        assert process.returncode == 128 + signum, err
        # The old revision serves again, under its own names.
        assert sorted(on_engine(client, name)["containers"]) == sorted([name, f"{name}.app", f"{name}.wait"]), err
        assert "first" in cli("logs", name).stdout
    else:
        assert process.returncode == -signal.SIGKILL
    assert settle_and_check(client, name, capsule_home, outputs=(out, err)) == []


@pytest.mark.fault("SIGTERM during update", "a rename done, its answer lost")
def test_a_signal_while_a_rename_goes_unanswered_still_gives_every_name_back(name, docker_engine, capsule_home,
                                                                              tmp_path):
    """The signal lands after the engine renamed the old sandbox but before the answer came
    back: the restore asks the engine which names to give back (it once trusted a list that
    only a finished rename step returned, and left the old revision set aside)."""
    client = docker_engine.client
    proxy = HoldingProxy(docker_engine.url.removeprefix("unix://"), hold_on=b"/rename?")
    try:
        assert cli("hosts", "add", "slow", f"tcp://127.0.0.1:{proxy.port}", "--no-check").returncode == 0
        created = cli("create", "-f", str(revision(tmp_path, name, "first", 0)), "--host", "slow")
        assert created.returncode == 0, created.stderr
        process = subprocess.Popen(capsule_command() + ["update", name, "-f", str(revision(tmp_path, name, "second", 5))],
                                   text=True, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert proxy.triggered.wait(60), process.communicate(timeout=60)
        assert wait_until(lambda: f"{name}_r1" in " ".join(on_engine(client, name)["containers"]), 10), \
            "the engine never did the held rename"
        process.send_signal(signal.SIGTERM)
        time.sleep(1)  # the signal is taken while the rename's answer is still held
        proxy.release()
        out, err = process.communicate(timeout=60)
        assert process.returncode == 128 + signal.SIGTERM and "Traceback" not in err, err
        assert sorted(on_engine(client, name)["containers"]) == sorted([name, f"{name}.app", f"{name}.wait"]), err
        assert "first" in cli("logs", name).stdout
        assert settle_and_check(client, name, capsule_home, outputs=(out, err)) == []  # the host must still answer
    finally:
        proxy.close()


@pytest.mark.fault("delete racing update")
@pytest.mark.parametrize("point", ["0.3 s", "1 s", "2.5 s", "5 s", "7 s"])
def test_a_delete_racing_an_update_wins_and_nothing_comes_back(point, name, docker_engine, capsule_home, tmp_path):
    """The later request wins: once `delete` said "deleted", the update does not bring the capsule
    back (it used to, once in 8 runs), whatever it was doing; the update says so."""
    client = docker_engine.client
    assert cli("create", "-f", str(revision(tmp_path, name, "first", 0))).returncode == 0
    process = subprocess.Popen(capsule_command() + ["update", name, "-f", str(revision(tmp_path, name, "second", 3)),
                                                    "--settle", "1"],
                               text=True, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(float(point.split()[0]))  # the offset is the fault's point, not a synchronisation
    deleted = cli("delete", name)
    out, err = process.communicate(timeout=120)
    assert "Traceback" not in err + deleted.stderr and "internal error" not in err, err
    assert deleted.returncode == 0 and f"capsule {name} deleted" in deleted.stdout, deleted.stderr
    assert on_engine(client, name) == {"containers": [], "volumes": [], "networks": []}, err
    assert process.returncode == 0 or "deleted while being updated" in err, err
    listed = cli("list", "-o", "json")
    assert name not in listed.stdout, "the capsule came back after the delete"
    assert settle_and_check(client, name, capsule_home, outputs=(out, err)) == []
