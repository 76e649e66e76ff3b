"""What an ssh:// host refuses, and what capsule refuses of it, each with its own message.

A host key that is unknown or changed is refused with its fingerprint (checked against
ssh-keygen's own computation) and never written to known_hosts, whatever ~/.ssh/config
says; a key the server does not accept, a path with no engine, and a user without
permission on the socket each say so at `hosts add` and `hosts check`. Nothing is
left by a create that such a host refused, and the inventory holds no secret.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from support.capsule_cli import cli
from support.capsule_files import busybox_capsule
from support.ssh_server import SshServer, fingerprint
from support.ssh_server import home as make_home

pytestmark = pytest.mark.multihost


def check(server: SshServer, *, user: str = "root", socket_path: str | None = None) -> tuple[int, str]:
    added = cli("hosts", "add", "box", server.url(user, socket_path=socket_path))
    assert added.returncode == 0, added.stderr  # added, with a warning that it cannot be used now
    checked = cli("hosts", "check", "box")
    return checked.returncode, " ".join((added.stderr + checked.stdout + checked.stderr).split())


def test_an_unknown_host_key_is_refused_with_its_fingerprint_and_never_recorded(
        ssh_server: SshServer, ssh_home: Path) -> None:
    known = make_home(ssh_home, ssh_server, known_hosts="") / ".ssh" / "known_hosts"
    # What would make ssh itself accept silently must not make capsule accept.
    (ssh_home / ".ssh" / "config").write_text("Host *\n  StrictHostKeyChecking no\n  UserKnownHostsFile /dev/null\n")
    code, text = check(ssh_server)
    assert code == 1
    assert "is not known" in text and fingerprint(Path(f"{ssh_server.host_key}.pub")) in text, text
    assert "capsule never accepts a host key by itself" in text
    assert f"ssh -p 2222 root@{ssh_server.address}" in text
    assert known.read_text() == ""
    known.unlink()  # no known_hosts file at all: still nothing is trusted, and none is written
    again = cli("hosts", "check", "box")
    assert again.returncode == 1 and "is not known" in again.stdout + again.stderr, again.stdout + again.stderr
    assert not known.exists()


def test_a_changed_host_key_is_refused_as_changed(ssh_server: SshServer, ssh_home: Path) -> None:
    make_home(ssh_home, ssh_server, known_hosts=ssh_server.known_hosts_line(ssh_server.stranger))
    code, text = check(ssh_server)
    assert code == 1
    assert "has CHANGED" in text and fingerprint(Path(f"{ssh_server.host_key}.pub")) in text, text
    assert f"ssh-keygen -R '[{ssh_server.address}]:2222'" in text


def test_a_key_the_server_does_not_accept_is_refused_without_a_password_prompt(
        ssh_server: SshServer, ssh_home: Path) -> None:
    make_home(ssh_home, ssh_server, key=ssh_server.stranger)
    began = time.monotonic()
    code, text = check(ssh_server)
    assert code == 1 and "refused root's keys" in text and "never a password" in text, text
    assert time.monotonic() - began < 30


def test_a_path_without_an_engine_is_named(ssh_server: SshServer, ssh_home: Path) -> None:
    code, text = check(ssh_server, socket_path="/run/capsule-test-no-engine.sock")
    assert code == 1 and "there is no Docker engine socket at /run/capsule-test-no-engine.sock" in text, text


def test_a_user_without_permission_on_the_socket_is_told_which_group(ssh_server: SshServer, ssh_home: Path) -> None:
    code, text = check(ssh_server, user="nobody")
    assert code == 1 and f"user nobody cannot use the Docker engine socket {ssh_server.host.socket_path}" in text
    assert "add the user to the socket's group" in text, text


def test_a_create_on_a_refused_host_leaves_nothing_and_the_inventory_holds_no_secret(
        ssh_server: SshServer, ssh_home: Path, capsule_home: Path, unique_name: str, tmp_path: Path) -> None:
    make_home(ssh_home, ssh_server, known_hosts="")
    assert cli("hosts", "add", "box", ssh_server.url(), "--no-check").returncode == 0
    created = cli("create", "-f", str(busybox_capsule(tmp_path, unique_name)), "--host", "box")
    assert created.returncode != 0 and "is not known" in created.stderr, created.stderr
    label = {"label": f"capsule.name={unique_name}"}
    assert ssh_server.host.client.containers.list(ignore_removed=True, all=True, filters=label) == []
    assert ssh_server.host.client.volumes.list(filters=label) == []
    assert unique_name not in json.dumps(json.loads(cli("list", "-o", "json").stdout)["items"])
    private = ssh_server.authorized.read_bytes()
    for path in capsule_home.rglob("*"):
        if path.is_file():
            assert b"PRIVATE KEY" not in path.read_bytes() and private not in path.read_bytes(), path
