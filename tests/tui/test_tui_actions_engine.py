"""Acting on a capsule from the terminal UI, on the real local engine: stop, start, restart,
pause, exec in a chosen member, update and roll back; a refused confirmation changes nothing.

The capsule is made with the real `capsule create` command; what each key did is read
through the docker package as a second client (containers' State, Cmd, files).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from capsule_tui.screens.confirm_delete import ConfirmScreen
from capsule_tui.screens.exec_prompt import ExecPromptScreen
from capsule_tui.screens.update_capsule import UpdateCapsuleScreen
from support.capsule_cli import cli, remove_capsule_leftovers
from support.tui_pilot import SIZE, RecordingApp, cell, loaded, names, until


def two_members(name: str, sleep: int = 600) -> str:
    return f"""\
apiVersion: beta
kind: capsule
metadata:
  name: {name}
spec:
  containers:
    - name: main
      image: busybox:1.36
      command: ["sh", "-c", "exec sleep {sleep}"]
    - name: side
      image: busybox:1.36
      command: ["sh", "-c", "exec sleep {sleep}"]
"""


@pytest.fixture
def made(docker_engine, capsule_home: Path, unique_name: str, tmp_path: Path):
    source = tmp_path / "capsule.yaml"
    source.write_text(two_members(unique_name))
    done = cli("create", "-f", str(source))
    assert done.returncode == 0, done.stderr
    yield unique_name
    cli("delete", unique_name)
    remove_capsule_leftovers(docker_engine.client, unique_name)


def state(docker_engine, container: str) -> dict:
    return docker_engine.client.containers.get(container).attrs["State"]


async def test_stop_start_pause_and_restart_from_the_list(docker_engine, made: str) -> None:
    name = made
    app = RecordingApp(poll_seconds=0.5)
    async with app.run_test(size=SIZE) as pilot:
        screen = await loaded(app, pilot)
        await pilot.press("slash", *name, "enter")
        await until(lambda: names(screen) == [name], pilot, timeout=15, what="the row")
        uuid = screen.current_uuid()
        assert uuid is not None
        # Stop, refused: nothing changes.
        await pilot.press("x")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await pilot.pause(1.0)
        assert state(docker_engine, f"{name}.main")["Running"] and state(docker_engine, name)["Running"]
        # Stop, confirmed: members and sandbox stop, and the row says so.
        await pilot.press("x", "y")
        await until(lambda: any(m == f"{name} stopped" for _, m in app.notes), pilot, timeout=60, what="the stop")
        for container in (f"{name}.main", f"{name}.side", name):
            assert not state(docker_engine, container)["Running"], container
        await until(lambda: cell(screen, uuid, "status") != "Running", pilot, timeout=15, what="the row's status")
        # Start: no question; everything runs again.
        await pilot.press("o")
        await until(lambda: any(m == f"{name} started" for _, m in app.notes), pilot, timeout=60, what="the start")
        for container in (f"{name}.main", f"{name}.side", name):
            assert state(docker_engine, container)["Running"], container
        await until(lambda: cell(screen, uuid, "status") == "Running", pilot, timeout=15, what="Running again")
        # Pause, then p again unpauses (the row's reason says paused).
        await pilot.press("p")
        await until(lambda: any(m == f"{name} paused" for _, m in app.notes), pilot, timeout=30, what="the pause")
        for container in (f"{name}.main", f"{name}.side", name):
            assert state(docker_engine, container)["Paused"], container
        await until(lambda: screen.current_view() is not None and screen.current_view().reason.startswith("paused"),
                    pilot, timeout=15, what="the row to know it is paused")
        await pilot.press("p")
        await until(lambda: any(m == f"{name} unpaused" for _, m in app.notes), pilot, timeout=30,
                    what="the unpause")
        for container in (f"{name}.main", f"{name}.side", name):
            assert not state(docker_engine, container)["Paused"], container
        # Restart, refused then confirmed: the members start afresh.
        started = state(docker_engine, f"{name}.main")["StartedAt"]
        await pilot.press("R", "escape")
        await pilot.pause(1.0)
        assert state(docker_engine, f"{name}.main")["StartedAt"] == started
        await pilot.press("R", "y")
        await until(lambda: any(m == f"{name} restarted" for _, m in app.notes), pilot, timeout=60,
                    what="the restart")
        after = state(docker_engine, f"{name}.main")
        assert after["Running"] and after["StartedAt"] != started
        assert not [m for s, m in app.notes if s == "error"], app.notes


async def test_exec_runs_in_the_member_chosen(docker_engine, made: str) -> None:
    name = made
    app = RecordingApp(poll_seconds=0.5)
    async with app.run_test(size=SIZE) as pilot:
        screen = await loaded(app, pilot)
        await pilot.press("slash", *name, "enter")
        await until(lambda: names(screen) == [name], pilot, timeout=15, what="the row")
        await pilot.press("E")
        prompt = app.screen
        assert isinstance(prompt, ExecPromptScreen)
        await until(lambda: [m for m, _ in prompt.members] == ["main", "side"], pilot, timeout=15,
                    what="the members")
        await pilot.press("down")  # the second member
        assert prompt.chosen_member() == "side"
        await pilot.press(*"sh -c 'echo made by the tui > /tmp/from-tui; hostname'", "enter")
        # Headless, the terminal cannot be handed over: the same `capsule exec`, its output captured.
        await until(lambda: any("exit code" in m for _, m in app.notes), pilot, timeout=60, what="the exec")
    [outcome] = [m for _, m in app.notes if "exit code" in m]
    assert outcome.startswith(f"{name}/side: sh -c echo made by the tui > /tmp/from-tui; hostname → exit code 0")
    assert outcome.endswith(f"\n{name}")  # the capsule's hostname, from inside the member
    side = docker_engine.client.containers.get(f"{name}.side")
    main = docker_engine.client.containers.get(f"{name}.main")
    assert side.exec_run(["cat", "/tmp/from-tui"]).output == b"made by the tui\n"
    assert main.exec_run(["test", "-e", "/tmp/from-tui"]).exit_code == 1  # not in the other member


async def test_update_from_the_editor_then_roll_back(docker_engine, made: str, tmp_path: Path) -> None:
    name = made

    def command() -> list[str]:  # a member's `command` is the container's entrypoint (as Kubernetes')
        config = docker_engine.client.containers.get(f"{name}.main").attrs["Config"]
        return (config["Entrypoint"] or []) + (config["Cmd"] or [])

    assert command() == ["sh", "-c", "exec sleep 600"]
    app = RecordingApp(poll_seconds=0.5)
    async with app.run_test(size=SIZE) as pilot:
        screen = await loaded(app, pilot)
        await pilot.press("slash", *name, "enter")
        await until(lambda: names(screen) == [name], pilot, timeout=15, what="the row")
        await pilot.press("u")
        update = app.screen
        assert isinstance(update, UpdateCapsuleScreen)
        await until(lambda: "exec sleep 600" in update.editor.text, pilot, timeout=15, what="the running spec")
        update.editor.load_text(update.editor.text.replace("exec sleep 600", "exec sleep 700"))
        await until(lambda: update.result is not None and update.result.translation is not None
                    and "sleep 700" in update.result.text, pilot, timeout=15, what="the validation")
        await pilot.press("ctrl+s", "n")  # refused: nothing changes
        await pilot.pause(1.0)
        assert app.screen is update and command() == ["sh", "-c", "exec sleep 600"]
        await pilot.press("ctrl+s", "y")
        await until(lambda: app.screen is screen, pilot, timeout=120, what="the update")
        assert command() == ["sh", "-c", "exec sleep 700"]
        assert any(m.startswith(f"updated {name} on local: revision 1 → 2") for _, m in app.notes), app.notes
        await until(lambda: names(screen) == [name] and screen.current_view() is not None
                    and screen.current_view().revision == 2, pilot, timeout=15, what="the new revision's row")
        # Roll back: asks first; then the old command is back.
        await pilot.press("b")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await until(lambda: any(m.startswith(f"rolled back {name}") for _, m in app.notes), pilot, timeout=120,
                    what="the rollback")
        assert command() == ["sh", "-c", "exec sleep 600"]
        assert state(docker_engine, f"{name}.main")["Running"]
        assert not [m for s, m in app.notes if s == "error"], app.notes


async def test_p_on_a_stopped_capsule_says_nothing_was_paused(docker_engine, made: str) -> None:
    name = made
    stopped = cli("stop", name)
    assert stopped.returncode == 0, stopped.stderr
    app = RecordingApp(poll_seconds=0.5)
    async with app.run_test(size=SIZE) as pilot:
        screen = await loaded(app, pilot)
        await pilot.press("slash", *name, "enter")
        await until(lambda: names(screen) == [name], pilot, timeout=15, what="the row")
        await pilot.press("p")
        await until(lambda: any(s == "error" for s, _ in app.notes), pilot, timeout=30, what="the refusal")
        await pilot.pause(0.5)
    [refusal] = [m for s, m in app.notes if s == "error"]
    assert refusal.startswith(f"pause {name} on local failed: capsule '{name}' on host 'local' is not running")
    assert f"start it first: capsule start {name}" in refusal
    assert not any(m == f"{name} paused" for _, m in app.notes), app.notes
    for container in (f"{name}.main", f"{name}.side", name):
        assert not state(docker_engine, container)["Paused"], container


def test_exec_host_picks_the_capsule_on_that_host(docker_engine, made: str) -> None:
    name = made
    there = cli("exec", "--host", "local", name, "--", "hostname")
    assert there.returncode == 0, there.stderr
    assert there.stdout == f"{name}\n"
    unknown = cli("exec", "--host", "nowhere", name, "--", "hostname")
    assert unknown.returncode != 0
    assert "nowhere" in unknown.stderr and unknown.stdout == ""
