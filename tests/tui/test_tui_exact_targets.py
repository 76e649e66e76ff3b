"""The TUI acts on exactly the row chosen: with capsules of one name on two hosts, exec, update
and roll back go to the selected row's capsule (its uuid and host), never to whichever of the
name the store lists first; `p` on a stopped capsule says it was not paused. Stub backend;
the real engine's side is in test_tui_actions_engine.py.
"""

from __future__ import annotations

from capsule_tui.actions import exec_terminal
from capsule_tui.actions.exec_terminal import Captured, exec_argv
from capsule_tui.screens.confirm_delete import ConfirmScreen
from capsule_tui.screens.exec_prompt import ExecPromptScreen
from capsule_tui.screens.update_capsule import UpdateCapsuleScreen
from support.tui_fakes import StubBackend, view
from support.tui_pilot import SIZE, RecordingApp, capsule_yaml, loaded, until


def twins() -> StubBackend:
    """`web` on local (listed first) and `web` on lab."""
    return StubBackend([view("web", host="local"), view("web", host="lab", ip="10.0.0.8")])


async def on_lab(app, pilot):
    screen = await loaded(app, pilot)
    uuids = [row.key.value for row in screen.table.ordered_rows]
    screen.table.move_cursor(row=uuids.index("uuid-lab-web"))
    await pilot.pause()
    assert screen.current_view().host == "lab"
    return screen


def test_the_exec_command_line_names_the_host() -> None:
    argv = exec_argv("web", "httpd", ["ls", "/"], host="lab")
    assert argv[argv.index("exec"):] == ["exec", "-n", "-c", "httpd", "--host", "lab", "web", "--", "ls", "/"]


async def test_exec_goes_to_the_selected_rows_host(monkeypatch) -> None:
    asked: list[tuple] = []

    async def captured(name, member, command, *, host=None, timeout=0.0):
        asked.append((name, member, list(command), host))
        return Captured(0, "ok")

    monkeypatch.setattr(exec_terminal, "run_captured", captured)
    app = RecordingApp(twins(), poll_seconds=60)
    async with app.run_test(size=SIZE) as pilot:
        await on_lab(app, pilot)
        await pilot.press("E")
        prompt = app.screen
        assert isinstance(prompt, ExecPromptScreen)
        await until(lambda: prompt.members == [("httpd", "running")], pilot, what="the members")
        await pilot.press(*"hostname", "enter")
        await until(lambda: asked != [], pilot, what="the exec")
    assert asked == [("web", "httpd", ["hostname"], "lab")]


async def test_update_and_rollback_go_to_the_selected_rows_capsule() -> None:
    backend = twins()
    app = RecordingApp(backend, poll_seconds=60)
    async with app.run_test(size=SIZE) as pilot:
        screen = await on_lab(app, pilot)
        await pilot.press("u")
        update = app.screen
        assert isinstance(update, UpdateCapsuleScreen)
        update.editor.load_text(capsule_yaml("web"))
        await pilot.press("ctrl+s", "y")
        await until(lambda: app.screen is screen, pilot, what="back to the list")
        await until(lambda: any(m.startswith("updated web on lab") for _, m in app.notes), pilot, what="the update")
        await on_lab(app, pilot)
        await pilot.press("b")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await until(lambda: backend.rollbacks == ["web"], pilot, what="the rollback")
    assert backend.targets == [("update", "uuid-lab-web", "lab"), ("rollback", "uuid-lab-web", "lab")]


async def test_the_update_report_says_update_not_create() -> None:
    app = RecordingApp(twins(), poll_seconds=60)
    async with app.run_test(size=SIZE) as pilot:
        await on_lab(app, pilot)
        await pilot.press("u")
        update = app.screen
        assert isinstance(update, UpdateCapsuleScreen)
        update.editor.load_text(capsule_yaml("web").replace('600"]', '600"'))  # an unclosed [
        validation = update.query_one("#validation")
        await until(lambda: "✗" in str(validation.render()), pilot, what="the error shown while typing")
        assert "fix them to update" in str(validation.render())
        assert "create" not in str(validation.render())
