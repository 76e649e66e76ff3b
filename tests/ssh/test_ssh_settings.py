"""ssh:// URLs and the known-hosts policy, without a server."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from runtime.engine.ssh.host_keys import trusted_files
from runtime.engine.ssh.target import DEFAULT_REMOTE_SOCKET, SshTarget, parse_ssh_url, ssh_url_problem


@pytest.mark.parametrize(("url", "target"), [
    ("ssh://box", SshTarget("box")),
    ("ssh://me@box:2222", SshTarget("box", "me", 2222)),
    ("ssh://me@box/run/user/1000/docker.sock", SshTarget("box", "me", None, "/run/user/1000/docker.sock")),
    ("ssh://me@[2001:db8::7]:22", SshTarget("2001:db8::7", "me", 22)),
    ("ssh://box/", SshTarget("box", socket=DEFAULT_REMOTE_SOCKET)),
])
def test_ssh_urls_are_taken_apart_as_docker_writes_them(url: str, target: SshTarget) -> None:
    assert parse_ssh_url(url) == target


def test_the_command_a_user_can_try_is_real_ssh_syntax() -> None:
    assert SshTarget("box", "me", 2222).ssh_command == "ssh -p 2222 me@box"
    assert SshTarget("box").ssh_command == "ssh box"


@pytest.mark.parametrize(("url", "problem"), [
    ("ssh://", "names no host"),
    ("ssh://me:hunter2@box", "carries a password"),
    ("ssh://box:99999", "bad port"),
    ("ssh://box#x", "query or fragment"),
])
def test_unusable_ssh_urls_are_explained(url: str, problem: str) -> None:
    assert problem in (ssh_url_problem(url) or "")
    with pytest.raises(ValueError):
        parse_ssh_url(url)


def test_known_hosts_checking_cannot_be_turned_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / ".ssh").mkdir()
    mine = tmp_path / ".ssh" / "known_hosts"
    mine.write_text("")
    other = tmp_path / "other_known_hosts"
    other.write_text("")
    # `UserKnownHostsFile none` resolves to None, /dev/null to that path: both fall back to the defaults.
    assert str(mine) in trusted_files(None)
    assert str(mine) in trusted_files(["/dev/null"])
    assert trusted_files([str(other)]) == [str(other)]
    assert trusted_files([str(tmp_path / "missing")]) == []  # as ssh: a configured file that is missing is empty
    mine.unlink()
    assert str(mine) not in trusted_files(None)  # no file: nothing trusted, never "no checking"


def test_unix_and_tcp_hosts_never_import_asyncssh() -> None:
    code = ("import sys, runtime.engine.client, runtime.hosts.connect, runtime.hosts.url_policy; "
            "from runtime.engine.transport import build_client; build_client('unix:///x.sock'); "
            "build_client('tcp://127.0.0.1:1'); print('asyncssh' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_a_whole_command_without_an_ssh_host_never_imports_asyncssh(tmp_path: Path) -> None:
    code = ("import sys; from capsule_tui.cli import main; code = main(['list', '-o', 'json']); "
            "print('asyncssh' in sys.modules, code, file=sys.stderr)")
    env = {**os.environ, "CAPSULE_HOME": str(tmp_path), "DOCKER_HOST": f"unix://{tmp_path}/no-engine.sock"}
    env.pop("DOCKER_CONTEXT", None)
    ran = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert ran.stderr.split()[-2:] == ["False", "0"], ran.stderr


def test_asyncssh_offers_the_same_algorithms_without_its_slow_search_for_liboqs() -> None:
    # runtime/engine/ssh/library.py answers "no liboqs" at once only where it surely is not installed.
    show = ("import ctypes.util, asyncssh.crypto.pq as pq, asyncssh.kex as kex; "
            "print(pq.mlkem_available, pq.sntrup_available, kex.get_default_kex_algs(), "
            "ctypes.util.find_library.__module__)")
    plain = subprocess.run([sys.executable, "-c", f"import asyncssh; {show}"], capture_output=True, text=True,
                           check=True).stdout
    ours = subprocess.run([sys.executable, "-c", f"from runtime.engine.ssh.library import asyncssh; {show}"],
                          capture_output=True, text=True, check=True).stdout
    assert ours == plain and plain.split()[-1] == "ctypes.util"  # and find_library is ctypes' own again
