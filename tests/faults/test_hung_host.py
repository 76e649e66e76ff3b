"""A host that accepts connections and never answers costs a bounded, short time, and only where
it must: a command about one capsule asks only that capsule's host.

The hung host is a listener on 127.0.0.1 that accepts every connection and never
sends a byte (what a wedged engine, or a proxy in front of a dead one, looks like).
It is in the inventory beside the real local engine. Before: `capsule list` took
10.5 s, `create` 13.5 s, and `logs`, `exec`, `top` of a capsule on the healthy host
30.6 s each. The bounds asserted are loose (a loaded machine) but below all of those.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from support.capsule_cli import cli
from support.capsule_files import busybox_capsule

pytestmark = pytest.mark.docker


@pytest.fixture
def hung_port() -> Iterator[int]:
    """A TCP listener that accepts everything and answers nothing, until the test ends."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    server.settimeout(0.2)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            held.append(conn)  # kept open, never read from, never written to

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join(timeout=5)
    for conn in held:
        conn.close()
    server.close()


def timed(*args: str) -> tuple[Any, float]:
    began = time.monotonic()
    result = cli(*args, timeout=120)
    return result, time.monotonic() - began


def capsule_file(folder: Path, name: str) -> Path:
    return busybox_capsule(folder, name, app=["sh", "-c", f"echo hello from {name}; sleep 3600"])


@pytest.mark.fault("a hung host (accepts, never answers)", "list, create, logs, exec, top")
def test_a_hung_host_costs_little_and_only_where_it_must(hung_port, name, docker_engine, capsule_home, tmp_path):
    added = cli("hosts", "add", "hung", f"tcp://127.0.0.1:{hung_port}", "--no-check")
    assert added.returncode == 0, added.stderr
    assert "local" in cli("hosts", "list", "-o", "json", "--timeout", "1").stdout  # the local engine stays

    # create: the hung host is asked once (the name check), then reported as not answering.
    created, took = timed("create", "-f", str(capsule_file(tmp_path, name)))
    assert created.returncode == 0, created.stderr
    assert took < 11, f"create took {took:.1f} s"

    listed, took = timed("list", "-o", "json")
    assert listed.returncode == 0, listed.stderr
    assert took < 9, f"list took {took:.1f} s"
    [item] = [i for i in json.loads(listed.stdout)["items"] if i["name"] == name]
    assert item["status"] == "Running" and item["host"] == "local"

    # A command about one capsule asks its host only: the hung one costs nothing here.
    for args in (("logs", name), ("exec", name, "--", "true"), ("top", name)):
        result, took = timed(*args)
        assert result.returncode == 0, (args, result.stderr)
        assert took < 4, f"{' '.join(args)} took {took:.1f} s"
    assert f"hello from {name}" in cli("logs", name).stdout

    deleted = cli("delete", name)
    assert deleted.returncode == 0, deleted.stderr
