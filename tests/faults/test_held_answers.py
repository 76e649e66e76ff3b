"""An engine whose answers are held back (a proxy on 127.0.0.1 in front of the real engine) at a
point of a create: the create gives up at its deadline, and once answers flow again nothing
it made is left.

The proxy (tests/support/holding_proxy.py) forwards a TCP port on 127.0.0.1 to the local
engine's unix socket; while held, the requests still reach the engine but no answer comes
back. The proxied engine is a host of its own in the inventory, and the capsule is created
on it with --host.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from support.capsule_cli import capsule_command, cli
from support.capsule_files import busybox_capsule
from support.holding_proxy import HoldingProxy
from support.invariants import on_engine, settle_and_check

pytestmark = pytest.mark.docker


@pytest.fixture
def proxy(docker_engine: Any) -> Iterator[HoldingProxy]:
    assert docker_engine.url.startswith("unix://"), docker_engine.url
    held = HoldingProxy(docker_engine.url.removeprefix("unix://"))
    yield held
    held.close()


def capsule_file(folder: Path, name: str) -> Path:
    return busybox_capsule(folder, name, init=["sleep", "2"])


@pytest.mark.fault("engine answers held back by a proxy", "its init container")
def test_answers_held_during_the_build_end_the_create_at_its_deadline(proxy, name, docker_engine, capsule_home,
                                                                      tmp_path):
    client = docker_engine.client
    assert cli("hosts", "add", "slow", f"tcp://127.0.0.1:{proxy.port}", "--no-check").returncode == 0
    began = time.monotonic()
    process = subprocess.Popen(capsule_command() + ["create", "-f", str(capsule_file(tmp_path, name)), "--host",
                                                    "slow", "--timeout", "4"],
                               text=True, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while f"{name}.wait" not in on_engine(client, name)["containers"]:
        assert time.monotonic() < deadline and process.poll() is None, process.communicate()
        time.sleep(0.02)
    proxy.hold()
    time.sleep(6)  # the fault: answers held for longer than the create's --timeout
    proxy.release()
    out, err = process.communicate(timeout=90)
    took = time.monotonic() - began
    assert process.returncode == 1, err
    assert "Traceback" not in err and "did not finish within 4 s" in err, err
    assert took < 45, f"create took {took:.1f} s with --timeout 4"
    assert on_engine(client, name) == {"containers": [], "volumes": [], "networks": []}
    assert settle_and_check(client, name, capsule_home, outputs=(out, err)) == []


@pytest.mark.fault("engine answers held back by a proxy", "the name check")
def test_a_host_that_holds_its_answers_from_the_start_is_reported_in_bounded_time(proxy, name, docker_engine,
                                                                                  capsule_home, tmp_path):
    assert cli("hosts", "add", "slow", f"tcp://127.0.0.1:{proxy.port}", "--no-check").returncode == 0
    proxy.hold()
    began = time.monotonic()
    result = cli("create", "-f", str(capsule_file(tmp_path, name)), "--host", "slow", timeout=90)
    took = time.monotonic() - began
    proxy.release()
    assert result.returncode == 1, result.stderr
    assert "slow" in result.stderr and "Traceback" not in result.stderr, result.stderr
    assert took < 15, f"create took {took:.1f} s"
    assert settle_and_check(docker_engine.client, name, capsule_home, outputs=(result.stdout, result.stderr)) == []
