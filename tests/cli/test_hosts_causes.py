"""A host that cannot be used says why in a few words, in the table and in the UI's hosts screen
(issue 13, item 12: it used to say "unreachable: unreachable")."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from capsule_tui.screens.host_list import host_row
from runtime.hosts.settings import HostSettings
from runtime.placement.host_facts import gather_facts
from support.capsule_cli import cli, free_port


def test_the_hosts_table_says_connection_refused_and_no_such_socket(capsule_home: Path) -> None:
    port = free_port()
    assert cli("hosts", "add", "dead", f"tcp://127.0.0.1:{port}", "--no-check").returncode == 0
    assert cli("hosts", "add", "nosock", "unix:///run/capsule-test-no-such.sock", "--no-check").returncode == 0
    listed = cli("hosts", "list")
    lines = {line.split()[0]: line for line in listed.stdout.splitlines() if line.strip()}
    assert "Unreachable (connection refused)" in lines["dead"], listed.stdout
    assert "Unreachable (no such file or directory)" in lines["nosock"], listed.stdout
    rows = {r["name"]: r for r in json.loads(cli("hosts", "list", "-o", "json").stdout)}
    assert rows["dead"]["problem"] == "connection refused"


def test_the_hosts_screen_row_says_the_cause_not_the_class() -> None:
    dead = HostSettings("dead", "tcp://127.0.0.1:1")
    [facts] = asyncio.run(gather_facts([dead], connect_timeout=3))
    assert str(host_row(facts)[1]) == "unreachable: connection refused"
