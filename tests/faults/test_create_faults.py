"""Faults during `capsule create`: every stop signal and SIGKILL at every stage, and a delete racing it.

The real `capsule create` runs as a process on a capsule with a Secret (in a member's
environment), a ConfigMap volume (filled by a helper container), an emptyDir, an init
container and a member with a readiness probe. The stages are seen from outside
through the docker package: its first volume, its sandbox, its init container, its
member up while create waits for readiness. At each, a signal; then the same
invariants (tests/support/invariants.py): after `capsule list` and one `capsule delete`,
nothing of the capsule is left, no row is Starting, no secret anywhere.
Ctrl-C, SIGTERM and SIGHUP also clean up on their own while the capsule is being built
(before the delete), and leave the capsule in place once it is built (create was only
waiting for it), saying so.
"""

from __future__ import annotations

import signal
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from support.capsule_cli import capsule_command, cli
from support.fault_manifests import SECRET, manifest
from support.invariants import on_engine, settle_and_check
from support.waiting import wait_until

pytestmark = pytest.mark.docker


class Create:
    """`capsule create -f PATH` as a process; what it has written to stderr so far, line by line."""

    def __init__(self, path: Path) -> None:
        self.process = subprocess.Popen(capsule_command() + ["create", "-f", str(path)], text=True,
                                        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line)

    def said(self, text: str) -> bool:
        return any(text in line for line in self.lines)

    def end(self, timeout: float = 60) -> tuple[str, str]:
        assert self.process.stdout is not None
        out = self.process.stdout.read()
        self.process.wait(timeout=timeout)
        self._reader.join(timeout=timeout)
        return out, "".join(self.lines)


def _on_engine(check: Callable[[dict[str, list[str]], str], bool]) -> Callable[[Any, str, Create], bool]:
    return lambda client, name, create: check(on_engine(client, name), name)


# Each stage as seen from outside: on the engine, or (once the build is done) in what create says.
STAGES: dict[str, Callable[[Any, str, Create], bool]] = {
    "its first volume": _on_engine(lambda seen, name: bool(seen["volumes"])),
    "its sandbox": _on_engine(lambda seen, name: name in seen["containers"]),
    "its init container": _on_engine(lambda seen, name: f"{name}.wait" in seen["containers"]),
    "waiting for readiness": lambda client, name, create: create.said("waiting for the readiness probes"),
}
BUILT = {"waiting for readiness"}  # the build is done there: an interrupt stops only the waiting
STOPS = {signal.SIGINT: "SIGINT", signal.SIGTERM: "SIGTERM", signal.SIGHUP: "SIGHUP", signal.SIGKILL: "SIGKILL"}


def create_until(point: str, path: Path, client: Any, name: str) -> Create:
    create = Create(path)
    if not wait_until(lambda: STAGES[point](client, name, create) or create.process.poll() is not None):
        create.process.kill()
        pytest.fail(f"never reached: {point}")
    assert create.process.poll() is None, f"create ended before {point}: {create.end()}"
    return create


@pytest.mark.fault("{signum} during create")
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=lambda s: s.name)
@pytest.mark.parametrize("point", list(STAGES))
def test_a_stop_signal_cleans_up_or_leaves_a_built_capsule_and_says_so(signum, point, name, docker_engine,
                                                                      capsule_home, tmp_path):
    client = docker_engine.client
    create = create_until(point, manifest(tmp_path, name), client, name)
    create.process.send_signal(signum)
    out, err = create.end()
    assert create.process.returncode == 128 + signum, err
    assert "Traceback" not in err and "interrupted" in err, err
    if point in BUILT:
        assert f"capsule {name} was built and is left on host local" in err, err
        assert name in on_engine(client, name)["containers"]
    else:
        assert on_engine(client, name) == {"containers": [], "volumes": [], "networks": []}
    assert settle_and_check(client, name, capsule_home, secret=SECRET, outputs=(out, err)) == []


@pytest.mark.fault("SIGKILL during create")
@pytest.mark.parametrize("point", list(STAGES))
def test_a_killed_create_leaves_nothing_capsule_cannot_find_and_remove(point, name, docker_engine, capsule_home,
                                                                       tmp_path):
    client = docker_engine.client
    create = create_until(point, manifest(tmp_path, name), client, name)
    create.process.send_signal(signal.SIGKILL)
    out, err = create.end()
    assert create.process.returncode == -signal.SIGKILL
    assert any(on_engine(client, name).values()), "the kill left nothing: this case would prove nothing"
    assert settle_and_check(client, name, capsule_home, secret=SECRET, outputs=(out, err)) == []


@pytest.mark.fault("SIGKILL during create, then the next create")
@pytest.mark.parametrize("point", ["its first volume", "its init container"])
def test_after_a_killed_create_the_next_create_of_the_name_just_works(point, name, docker_engine, capsule_home,
                                                                      tmp_path):
    client = docker_engine.client
    create = create_until(point, manifest(tmp_path, name), client, name)
    create.process.send_signal(signal.SIGKILL)
    create.end()
    again = cli("create", "-f", str(manifest(tmp_path, name, init_seconds=0)))
    assert again.returncode == 0, again.stderr
    assert settle_and_check(client, name, capsule_home, secret=SECRET, outputs=(again.stdout, again.stderr)) == []


@pytest.mark.fault("delete racing create")
@pytest.mark.parametrize("point", ["0.2 s", "0.6 s", "1.2 s", "2.5 s", "4 s"])
def test_a_delete_racing_a_create_is_true_and_leaves_no_phantom(point, name, docker_engine, capsule_home,
                                                                tmp_path):
    """The later request wins: a delete that says "deleted" leaves nothing once the create ends
    (the create says it was deleted while being created); a delete before the create's row
    existed finds nothing, and the create goes on."""
    client = docker_engine.client
    create = Create(manifest(tmp_path, name))
    time.sleep(float(point.split()[0]))  # the offset is the fault's point, not a synchronisation
    deleted = cli("delete", name)
    out, err = create.end(timeout=120)
    process = create.process
    assert "Traceback" not in err + deleted.stderr and "internal error" not in err, err
    if f"capsule {name} deleted" in deleted.stdout:
        assert on_engine(client, name) == {"containers": [], "volumes": [], "networks": []}, (err, deleted.stdout)
        assert process.returncode == 0 or "deleted while being created" in err, err
        listed = cli("list", "-o", "json")
        assert name not in listed.stdout, "a phantom row came back after the delete"
    else:
        assert deleted.returncode == 1 and "not found" in deleted.stderr, deleted.stderr
        assert process.returncode == 0, err
    assert settle_and_check(client, name, capsule_home, secret=SECRET, outputs=(out, err, deleted.stdout)) == []
