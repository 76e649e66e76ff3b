"""Faults of an ssh:// host: its SSH server hangs, or goes away while a stream is open.

A hung server (SIGSTOP: its port still accepts, nothing answers) costs `capsule list`
one connect timeout and shows the host and its capsule Unknown, and the other host's
capsules are listed as usual; a server that goes away, open sessions included, ends a
`logs -f` with a clear error, no traceback, within a bound. Afterwards, the usual
invariants (tests/support/invariants.py) hold once the server is back.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest

from support.capsule_cli import capsule_command, cli
from support.capsule_files import busybox_capsule
from support.invariants import settle_and_check
from support.ssh_server import SshServer

pytestmark = pytest.mark.multihost


def create_on_box(server: SshServer, name: str, folder: Path, app: list[str] | None = None) -> None:
    assert cli("hosts", "add", "box", server.url(), "--no-check").returncode == 0
    path = busybox_capsule(folder, name, app=app or ["sleep", "3600"])
    created = cli("create", "-f", str(path), "--host", "box")
    assert created.returncode == 0, created.stderr


@pytest.mark.fault("the SSH server hung (SIGSTOP)", "list")
def test_a_hung_ssh_server_costs_one_connect_timeout_and_shows_unknown(ssh_server: SshServer, ssh_home: Path,
                                                                      name: str, capsule_home: Path,
                                                                      tmp_path: Path) -> None:
    create_on_box(ssh_server, name, tmp_path)
    ssh_server.pause()
    try:
        began = time.monotonic()
        listed = cli("list", "-o", "json", timeout=60)
        took = time.monotonic() - began
    finally:
        ssh_server.resume()
    assert listed.returncode == 0, listed.stderr
    rows = [r for r in json.loads(listed.stdout)["items"] if r["name"] == name]
    assert [(r["host"], r["status"]) for r in rows] == [("box", "Unknown")], rows
    assert "no SSH login" in rows[0]["reason"], rows[0]["reason"]
    assert took < 3 + 5, f"list took {took:.1f} s with a 3 s connect timeout"
    assert settle_and_check(ssh_server.host.client, name, capsule_home, outputs=(listed.stdout, listed.stderr)) == []


@pytest.mark.fault("the SSH server gone, its sessions too", "logs -f")
def test_a_stream_ends_with_an_error_when_the_ssh_server_goes_away(ssh_server: SshServer, ssh_home: Path,
                                                                  name: str, capsule_home: Path,
                                                                  tmp_path: Path) -> None:
    create_on_box(ssh_server, name, tmp_path, app=["sh", "-c", "while true; do echo tick; sleep 0.2; done"])
    follow = subprocess.Popen(capsule_command() + ["logs", "-f", name], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
    assert "tick" in follow.stdout.readline()  # type: ignore[union-attr]
    ssh_server.stop(sessions=True)
    try:
        out, err = follow.communicate(timeout=60)
    finally:
        ssh_server.ensure_running()
    assert follow.returncode not in (0, None) and "Traceback" not in err, err
    assert "box" in err, err
    assert settle_and_check(ssh_server.host.client, name, capsule_home, outputs=(out, err)) == []
