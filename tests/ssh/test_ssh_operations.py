"""Every operation over ssh:// against a real engine behind a real sshd (tests/support/ssh_server.py).

The engine is the first extra host's; sshd runs in its network namespace, in front of
its unix socket. What capsule did is checked through another path: the docker package
over the host's tcp port (`host.client`), and sshd's own log for how many logins it took.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from capsule_tui.backend import Backend
from capsule_tui.screens.confirm_delete import ConfirmDeleteScreen
from runtime.hosts.settings import HostSettings
from runtime.service import CapsuleService
from runtime.watch.watcher import Watcher
from support.capsule_cli import capsule_command, cli, remove_capsule_leftovers
from support.capsule_files import busybox_capsule
from support.ssh_server import SSH_PORT, SshServer
from support.tui_pilot import SIZE, RecordingApp, loaded, names, until
from support.waiting import wait_until

pytestmark = pytest.mark.multihost


@pytest.fixture
def name(unique_name: str, ssh_server: SshServer) -> Any:
    yield unique_name
    remove_capsule_leftovers(ssh_server.host.client, unique_name)


def on_host(server: SshServer, name: str) -> dict[str, str]:
    """The capsule's containers and their states, as the engine tells the docker package over tcp."""
    found = server.host.client.containers.list(ignore_removed=True, all=True, filters={"label": f"capsule.name={name}"})
    return {c.name: c.status for c in found}


def add_box(server: SshServer, user: str = "root", **kwargs: Any) -> subprocess.CompletedProcess:
    return cli("hosts", "add", "box", server.url(user, **kwargs))


def test_a_capsule_lives_its_whole_life_over_ssh(ssh_server: SshServer, ssh_home: Path, name: str,
                                                 tmp_path: Path) -> None:
    added = add_box(ssh_server)
    assert added.returncode == 0 and "reachable: Docker Engine" in added.stdout, added.stderr
    logins_before = ssh_server.logins()
    path = busybox_capsule(tmp_path, name, init=["sh", "-c", "echo from-init"],
                           app=["sh", "-c", "echo hello-over-ssh; trap 'exit 0' TERM; sleep 3600 & wait"])
    created = cli("create", "-f", str(path), "--host", "box")
    assert created.returncode == 0, created.stderr
    # One SSH login for the whole create, however many API calls it made (dozens).
    assert ssh_server.logins() - logins_before <= 2, ssh_server.logins() - logins_before
    assert on_host(ssh_server, name) == {name: "running", f"{name}.app": "running", f"{name}.wait": "exited"}

    listed = json.loads(cli("list", "-o", "json").stdout)["items"]
    mine = [c for c in listed if c["name"] == name]
    assert [(c["host"], c["status"]) for c in mine] == [("box", "Running")], mine
    assert "hello-over-ssh" in cli("logs", name).stdout

    ran = subprocess.run(capsule_command() + ["exec", name, "--", "sh", "-c", "cat; exit 7"], input="in-over-ssh\n",
                         capture_output=True, text=True, timeout=60)
    assert (ran.returncode, ran.stdout) == (7, "in-over-ssh\n"), ran.stderr

    source = tmp_path / "payload.txt"
    source.write_text("copied over ssh\n")
    assert cli("cp", str(source), f"{name}:app:/tmp/payload.txt").returncode == 0
    inside = ssh_server.host.client.containers.get(f"{name}.app").exec_run(["cat", "/tmp/payload.txt"]).output
    assert inside == b"copied over ssh\n"
    back = tmp_path / "back.txt"
    assert cli("cp", f"{name}:app:/tmp/payload.txt", str(back)).returncode == 0
    assert back.read_text() == "copied over ssh\n"

    top = cli("top", name)
    assert top.returncode == 0 and "sleep 3600" in top.stdout, top.stderr

    assert cli("stop", name).returncode == 0
    assert on_host(ssh_server, name)[f"{name}.app"] == "exited"
    assert cli("start", name).returncode == 0
    assert on_host(ssh_server, name)[f"{name}.app"] == "running"

    deleted = cli("delete", name)
    assert deleted.returncode == 0 and f"capsule {name} deleted" in deleted.stdout, deleted.stderr
    assert on_host(ssh_server, name) == {}


def test_logs_follow_streams_over_ssh(ssh_server: SshServer, ssh_home: Path, name: str,
                                                       tmp_path: Path) -> None:
    assert add_box(ssh_server).returncode == 0
    path = busybox_capsule(tmp_path, name, app=["sh", "-c", "i=0; while true; do echo tick-$i; i=$((i+1)); "
                                                            "sleep 0.2; done"])
    assert cli("create", "-f", str(path), "--host", "box").returncode == 0
    follow = subprocess.Popen(capsule_command() + ["logs", "-f", name], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
    try:
        lines = [follow.stdout.readline() for _ in range(10)]  # type: ignore[union-attr]
        assert sum("tick-" in line for line in lines) == 10, lines
        ticks = [int(line.rsplit("tick-", 1)[1]) for line in lines]
        assert ticks[-1] > ticks[0], ticks  # new lines arrive as they are written, not a backlog replayed
    finally:
        follow.terminate()
        follow.communicate(timeout=30)
    assert cli("delete", name).returncode == 0


def test_docker_host_and_a_docker_context_with_an_ssh_config_alias(ssh_server: SshServer, ssh_home: Path,
                                                                  tmp_path: Path) -> None:
    # The user's own setup: a Host alias with its own key file (not a default key name).
    (ssh_home / ".ssh" / "id_ed25519").rename(ssh_home / ".ssh" / "box_key")
    (ssh_home / ".ssh" / "config").write_text(
        f"Host engine-box\n  HostName {ssh_server.address}\n  Port {SSH_PORT}\n  User root\n"
        f"  IdentityFile ~/.ssh/box_key\n")
    alias_url = f"ssh://engine-box{ssh_server.host.socket_path}"
    listed = cli("hosts", "list", "-o", "json", env={"DOCKER_HOST": alias_url})
    assert listed.returncode == 0, listed.stderr
    hosts = {h["name"]: h for h in json.loads(listed.stdout)}
    assert hosts["local"]["url"] == alias_url and hosts["local"]["status"] == "Ready", hosts
    assert hosts["local"]["cpus"] == ssh_server.host.client.info()["NCPU"]

    meta = Path(os.environ["DOCKER_CONFIG"]) / "contexts" / "meta" / "ctx-box"
    meta.mkdir(parents=True)
    meta.joinpath("meta.json").write_text(json.dumps(
        {"Name": "ssh-box", "Metadata": {}, "Endpoints": {"docker": {"Host": alias_url, "SkipTLSVerify": False}}}))
    listed = cli("hosts", "list", "-o", "json")
    hosts = {h["name"]: h for h in json.loads(listed.stdout)}
    assert hosts["ssh-box"]["status"] == "Ready", hosts


def test_proxyjump_from_the_ssh_config_is_followed(ssh_server: SshServer, ssh_home: Path) -> None:
    # The jump host is the same sshd: the engine is reached through a second login over the first.
    (ssh_home / ".ssh" / "config").write_text(
        f"Host jump\n  HostName {ssh_server.address}\n  Port {SSH_PORT}\n  User root\n"
        f"Host engine-behind-jump\n  HostName {ssh_server.address}\n  Port {SSH_PORT}\n  User root\n"
        f"  ProxyJump jump\n")
    before = ssh_server.logins()
    assert cli("hosts", "add", "box", f"ssh://engine-behind-jump{ssh_server.host.socket_path}").returncode == 0
    checked = cli("hosts", "check", "box")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert ssh_server.logins() - before == 4  # add and check: the jump host's login and the engine host's, each


def test_a_key_held_only_by_ssh_agent_logs_in(ssh_server: SshServer, ssh_home: Path, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    (ssh_home / ".ssh" / "id_ed25519").unlink()  # no key file: only the agent has it
    agent_socket = tmp_path / "agent.sock"
    agent = subprocess.Popen(["ssh-agent", "-D", "-a", str(agent_socket)], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    try:
        assert wait_until(agent_socket.exists, 10)
        monkeypatch.setenv("SSH_AUTH_SOCK", str(agent_socket))
        assert add_box(ssh_server).returncode == 0
        refused = cli("hosts", "check", "box")
        assert refused.returncode == 1 and "refused root's keys" in refused.stdout + refused.stderr
        subprocess.run(["ssh-add", str(ssh_server.authorized)], check=True, capture_output=True,
                       env={**os.environ, "SSH_AUTH_SOCK": str(agent_socket)})
        checked = cli("hosts", "check", "box")
        assert checked.returncode == 0, checked.stdout + checked.stderr
    finally:
        agent.terminate()
        agent.wait(10)


def settings(server: SshServer) -> HostSettings:
    return HostSettings("box", server.url())


async def test_the_tui_lists_and_deletes_a_capsule_on_an_ssh_host(ssh_server: SshServer, ssh_home: Path,
                                                                 name: str, tmp_path: Path) -> None:
    assert add_box(ssh_server).returncode == 0
    assert cli("create", "-f", str(busybox_capsule(tmp_path, name)), "--host", "box").returncode == 0
    app = RecordingApp(Backend(CapsuleService([settings(ssh_server)])), poll_seconds=1)
    async with app.run_test(size=SIZE) as pilot:
        screen = await loaded(app, pilot)
        await until(lambda: name in names(screen), pilot, timeout=20, what="the capsule over ssh")
        assert screen.current_view().host == "box"
        await pilot.press("slash", *name, "enter", "ctrl+d")
        assert isinstance(app.screen, ConfirmDeleteScreen)
        await pilot.press("y")
        await until(lambda: any(m == f"deleted {name} on box" for _, m in app.notes), pilot, timeout=60,
                    what="the delete")
        assert not [m for s, m in app.notes if s == "error"], app.notes
    assert on_host(ssh_server, name) == {}


async def test_the_watcher_follows_an_ssh_host_and_revives_a_killed_member(ssh_server: SshServer, ssh_home: Path,
                                                                          name: str, tmp_path: Path) -> None:
    assert add_box(ssh_server).returncode == 0
    assert cli("create", "-f", str(busybox_capsule(tmp_path, name)), "--host", "box").returncode == 0
    service = CapsuleService([settings(ssh_server)])
    revived: list[str] = []
    watcher = Watcher(service.ctx, on_action=lambda a: revived.append(a.kind), names=[name], probe_tick=0.2)
    task = asyncio.ensure_future(watcher.run())
    try:
        for _ in range(100):  # following once its cursor is written
            if watcher.cursor.since("box") is not None:
                break
            assert not task.done(), task.result()
            await asyncio.sleep(0.1)
        ssh_server.host.client.containers.get(f"{name}.app").kill()
        for _ in range(150):
            if "revived" in revived and on_host(ssh_server, name).get(f"{name}.app") == "running":
                break
            await asyncio.sleep(0.1)
        assert "revived" in revived and on_host(ssh_server, name)[f"{name}.app"] == "running", revived
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await service.aclose()
