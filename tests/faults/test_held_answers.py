"""An engine whose answers are held back (a proxy on 127.0.0.1 in front of the real engine) at a
point of a create: the create gives up at its deadline, and once answers flow again nothing
it made is left.

The proxy forwards a TCP port on 127.0.0.1 to the local engine's unix socket; while
`held`, it forwards nothing from the engine back (the requests still reach the engine,
so the engine really acts on them, as a slow or wedged network in front of it does).
The proxied engine is a host of its own in the inventory, and the capsule is created
on it with --host.
"""

from __future__ import annotations

import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from support.capsule_cli import capsule_command, cli
from support.capsule_files import busybox_capsule
from support.invariants import on_engine, settle_and_check

pytestmark = pytest.mark.docker


class HoldingProxy:
    """127.0.0.1:port → the engine's socket; `held` stops the engine's answers, `release` lets them go."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(64)
        self.server.settimeout(0.2)
        self.port = self.server.getsockname()[1]
        self.flowing = threading.Event()
        self.flowing.set()
        self.closed = threading.Event()
        self.sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def hold(self) -> None:
        self.flowing.clear()

    def release(self) -> None:
        self.flowing.set()

    def close(self) -> None:
        self.closed.set()
        self.flowing.set()
        for sock in [self.server, *self.sockets]:
            sock.close()

    def _accept(self) -> None:
        while not self.closed.is_set():
            try:
                client, _ = self.server.accept()
            except OSError:
                continue
            engine = socket.socket(socket.AF_UNIX)
            engine.connect(self.target)
            self.sockets += [client, engine]
            threading.Thread(target=self._pump, args=(client, engine, False), daemon=True).start()
            threading.Thread(target=self._pump, args=(engine, client, True), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, answers: bool) -> None:
        try:
            while data := source.recv(65536):
                if answers:
                    self.flowing.wait()
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


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
