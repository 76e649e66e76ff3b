"""ssh:// connections kept between commands (runtime/engine/ssh/keep.py and keeper.py).

With $CAPSULE_SSH_KEEP set, the first command logs in itself and starts a keeper; the
commands after it go through the keeper's socket (0600, in a 0700 folder) without a
login of their own and without importing asyncssh. The keeper ends after its idle
time; a keeper killed (its socket left behind) or one that refuses a channel makes
the command connect directly, with the direct connection's results and messages.
Whatever a test starts is stopped at its end (`keepers` fixture), by pid.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from runtime.engine.ssh.keep import READY, KeptBackend, SshKeep, socket_path, start_keeper
from runtime.engine.ssh.target import parse_ssh_url
from support.capsule_cli import capsule_command, cli, remove_capsule_leftovers
from support.capsule_files import busybox_capsule
from support.ssh_server import SshServer
from support.waiting import wait_until

KEEP = {"CAPSULE_SSH_KEEP": "30"}


def keeper_pids(capsule_home: Path) -> list[int]:
    """The keepers whose socket is under this test's CAPSULE_HOME (no one else's)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            args = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"runtime.engine.ssh.keeper" in args and any(a.startswith(os.fsencode(capsule_home)) for a in args):
            found.append(int(entry.name))
    return found


def sockets(capsule_home: Path) -> list[Path]:
    return sorted((capsule_home / "ssh").glob("*.sock"))


def answers(path: Path) -> bool:
    """A keeper listens behind the socket."""
    with socket.socket(socket.AF_UNIX) as sock:
        try:
            sock.connect(str(path))
        except OSError:
            return False
    return True


@pytest.fixture
def keepers(capsule_home: Path) -> Iterator[Path]:
    yield capsule_home
    for pid in keeper_pids(capsule_home):
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            continue
    wait_until(lambda: not keeper_pids(capsule_home), 10)


def add_box(server: SshServer, **kwargs: str) -> None:
    added = cli("hosts", "add", "box", server.url(**kwargs), "--no-check")
    assert added.returncode == 0, added.stderr


def listed(env: dict[str, str] | None = None) -> dict[str, dict]:
    result = cli("list", "-o", "json", env={**KEEP, **(env or {})})
    assert result.returncode == 0, result.stderr
    return {row["name"]: row for row in json.loads(result.stdout)["items"]}


def first_keeper(home: Path) -> Path:
    assert wait_until(lambda: len(sockets(home)) == 1 and answers(sockets(home)[0]), 20), list(home.rglob("*"))
    return sockets(home)[0]


@pytest.mark.multihost
def test_later_commands_use_the_kept_connection_without_a_login_or_asyncssh(
        ssh_server: SshServer, ssh_home: Path, keepers: Path, unique_name: str, tmp_path: Path) -> None:
    add_box(ssh_server)
    listed()  # logs in itself, and starts the keeper
    path = first_keeper(keepers)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert len(keeper_pids(keepers)) == 1

    logins = ssh_server.logins()
    try:
        created = cli("create", "-f", str(busybox_capsule(tmp_path, unique_name)), "--host", "box", env=KEEP)
        assert created.returncode == 0, created.stderr
        assert listed()[unique_name]["status"] == "Running"
        # exec with stdin: the half-close (EOF) goes through the keeper too.
        ran = subprocess.run(capsule_command() + ["exec", unique_name, "--", "sh", "-c", "cat; exit 7"],
                             input="in-through-the-keeper\n", capture_output=True, text=True, timeout=60,
                             env={**os.environ, **KEEP})
        assert ran.returncode == 7 and "in-through-the-keeper" in ran.stdout, ran.stderr
        code = ("import sys; from capsule_tui.cli import main; code = main(['list', '-o', 'json']); "
                "print('asyncssh' in sys.modules, code, file=sys.stderr)")
        looked = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                                env={**os.environ, **KEEP})
        assert looked.stderr.split()[-2:] == ["False", "0"], looked.stderr
        deleted = cli("delete", unique_name, env=KEEP)
        assert deleted.returncode == 0, deleted.stderr
    finally:
        remove_capsule_leftovers(ssh_server.host.client, unique_name)
    assert ssh_server.logins() == logins  # not one login since the keeper's
    assert len(keeper_pids(keepers)) == 1


@pytest.mark.multihost
def test_the_keeper_ends_after_its_idle_time_and_removes_its_socket(ssh_server: SshServer, ssh_home: Path,
                                                                   keepers: Path) -> None:
    add_box(ssh_server)
    listed({"CAPSULE_SSH_KEEP": "1"})
    assert wait_until(lambda: bool(keeper_pids(keepers)) or bool(sockets(keepers)), 20)
    assert wait_until(lambda: not keeper_pids(keepers) and not sockets(keepers), 20), \
        (keeper_pids(keepers), sockets(keepers))


@pytest.mark.multihost
def test_a_killed_keeper_leaves_a_stale_socket_and_the_next_command_connects_directly(
        ssh_server: SshServer, ssh_home: Path, keepers: Path) -> None:
    add_box(ssh_server)
    listed()
    path = first_keeper(keepers)
    [killed] = keeper_pids(keepers)
    os.kill(killed, signal.SIGKILL)
    assert wait_until(lambda: not answers(path), 10)
    assert path.exists()  # what a killed keeper leaves behind

    logins = ssh_server.logins()
    listed()
    assert ssh_server.logins() > logins  # its own login: it did not wait on the dead socket
    # ... and a new keeper took the socket over.
    assert wait_until(lambda: answers(path) and keeper_pids(keepers) not in ([], [killed]), 20)


@pytest.mark.multihost
def test_a_channel_the_keeper_cannot_open_is_explained_as_without_it(ssh_server: SshServer, ssh_home: Path,
                                                                       keepers: Path, unique_name: str,
                                                                       tmp_path: Path) -> None:
    # A keeper for a path with no engine: it logs in, but refuses every channel.
    url = ssh_server.url(socket_path="/run/capsule-test-no-engine.sock")
    add_box(ssh_server, socket_path="/run/capsule-test-no-engine.sock")
    path = socket_path(SshKeep(keepers / "ssh"), url)
    assert path is not None
    start_keeper(path, url=url, name="box", idle=30, connect_timeout=3)
    assert wait_until(lambda: answers(path), 20)

    logins = ssh_server.logins()
    # A create goes through the keeper (`hosts check` always logs in itself).
    created = cli("create", "-f", str(busybox_capsule(tmp_path, unique_name)), "--host", "box", env=KEEP)
    text = " ".join((created.stdout + created.stderr).split())
    assert created.returncode == 1, text
    assert "there is no Docker engine socket at /run/capsule-test-no-engine.sock" in text, text
    assert ssh_server.logins() == logins + 1  # the command's own login, after the keeper refused
    assert answers(path)  # a refused channel is no reason to end the keeper


@pytest.mark.multihost
def test_a_hung_server_behind_a_keeper_costs_at_most_one_and_a_half_connect_timeouts(
        ssh_server: SshServer, ssh_home: Path, keepers: Path) -> None:
    add_box(ssh_server)
    listed()
    first_keeper(keepers)
    ssh_server.pause()  # the keeper's session too: its channel never opens
    try:
        began = time.monotonic()
        result = cli("list", "-o", "json", env=KEEP, timeout=60)
        took = time.monotonic() - began
    finally:
        ssh_server.resume()
    assert result.returncode == 0, result.stderr
    assert took < 1.5 * 3 + 3, f"list took {took:.1f} s with a 3 s connect timeout"
    # The keeper gave up its connection (it could not open a channel in time) and ended.
    assert wait_until(lambda: not keeper_pids(keepers) and not sockets(keepers), 15)


def test_a_socket_that_others_may_use_is_never_trusted(tmp_path: Path) -> None:
    folder = tmp_path / "ssh"
    folder.mkdir(mode=0o700)
    url = "ssh://me@box.invalid"
    keep = SshKeep(folder)
    path = socket_path(keep, url)
    assert path is not None

    async def attempt(mode: int) -> bool:
        async def greet(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            writer.write(READY)
            await writer.drain()

        server = await asyncio.start_unix_server(greet, path=str(path))
        os.chmod(path, mode)
        backend = KeptBackend(keep, parse_ssh_url(url), name="box", url=url)
        try:
            stream = await backend._through_keeper(1.0)
            if stream is not None:
                await stream.aclose()
            return stream is not None
        finally:
            server.close()
            path.unlink()

    assert asyncio.run(attempt(0o600)) is True
    assert asyncio.run(attempt(0o666)) is False  # another user could have put it there, or reach the engine by it
    folder.chmod(0o755)
    assert asyncio.run(attempt(0o600)) is False


def test_the_keepers_socket_changes_with_the_trusted_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / ".ssh").mkdir()
    keep = SshKeep(tmp_path / "keep")
    before = socket_path(keep, "ssh://me@box")
    (tmp_path / ".ssh" / "known_hosts").write_text("box ssh-ed25519 AAAA\n")
    assert socket_path(keep, "ssh://me@box") != before  # a known_hosts edit is not served by an old keeper
    assert socket_path(keep, "ssh://me@box") != socket_path(keep, "ssh://you@box")
    assert socket_path(SshKeep(tmp_path / ("x" * 120)), "ssh://me@box") is None  # too long for a unix socket
