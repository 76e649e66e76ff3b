"""Every command that needs the hosts reads the inventory, and a broken one stops them all.

No engine is needed: the hosts are never reached when the file cannot be read, and
the happy path is checked on the settings the service would use.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from runtime.errors import InventoryFileError
from runtime.hosts.inventory import load_hosts, load_reserve
from runtime.hosts.reserve import MiB, Reserve
from runtime.hosts.settings import HostSettings, local_host
from runtime.service import CapsuleService

BROKEN = """hosts:
  - name: web1
    url: tcp://127.0.0.1:23750
  - name: web2
    url: tcp://127.0.0.1:23751
    tsl: {ca: ca.pem}
"""

CAPSULE = """apiVersion: beta
kind: capsule
metadata: {name: web}
spec:
  containers:
    - {name: main, image: busybox:1.36, command: [sleep, "60"]}
"""


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "capsule_tui.cli", *args], capture_output=True, text=True,
                          env=os.environ.copy(), timeout=60, stdin=subprocess.DEVNULL)


def test_the_hosts_are_the_inventory(capsule_home: Path) -> None:
    assert load_hosts() == [local_host()]  # no inventory: the local engine alone
    assert load_reserve() == Reserve()
    (capsule_home / "hosts.yaml").write_text(
        "hosts:\n  - {name: web1, url: 'tcp://127.0.0.1:23750', labels: {zone: a}}\n"
        "reserve: {cpu: 0.5, memory: 512Mi}\n")
    expected = [HostSettings("web1", "tcp://127.0.0.1:23750", {"zone": "a"})]
    assert load_hosts() == expected
    assert load_reserve() == Reserve(0.5, 512 * MiB)
    service = CapsuleService()
    assert (service.hosts, service.reserve) == (expected, Reserve(0.5, 512 * MiB))


def test_a_broken_inventory_raises_with_file_and_line(capsule_home: Path) -> None:
    (capsule_home / "hosts.yaml").write_text(BROKEN)
    with pytest.raises(InventoryFileError) as caught:
        CapsuleService()
    assert str(caught.value).splitlines()[1].startswith(f"{capsule_home / 'hosts.yaml'}:6:5: error: hosts[1].tsl: is not a field")


@pytest.mark.parametrize("command", [
    ("list",), ("list", "-o", "json"), ("describe", "web"), ("delete", "web"), ("events",),
    ("create", "-f", "CAPSULE"), ("create", "-f", "CAPSULE", "--dry-run"),
    ("logs", "web"), ("exec", "web", "--", "true"), ("stop", "web"),
])
def test_every_command_needing_hosts_exits_2_on_a_broken_inventory(capsule_home: Path, command) -> None:  # type: ignore[no-untyped-def]
    (capsule_home / "hosts.yaml").write_text(BROKEN)
    (capsule_home / "web.yaml").write_text(CAPSULE)
    args = [str(capsule_home / "web.yaml") if a == "CAPSULE" else a for a in command]
    result = cli(*args)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert f"{capsule_home / 'hosts.yaml'}:6:5: error: hosts[1].tsl: is not a field of a host" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (capsule_home / "state.db").exists()  # stopped before anything was opened


def test_create_flags_refuse_an_unknown_strategy(capsule_home: Path) -> None:
    (capsule_home / "web.yaml").write_text(CAPSULE)
    result = cli("create", "-f", str(capsule_home / "web.yaml"), "--strategy", "random", "--dry-run")
    assert result.returncode == 2
    assert "invalid choice: 'random'" in result.stderr
