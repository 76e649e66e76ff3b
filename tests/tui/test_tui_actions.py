"""Acting on capsules from the list and the details, on a stub backend: which capsules, which
action, the confirmations (a refusal does nothing), failures named, and the last screen and
selection remembered across runs. The real engine's side: test_tui_actions_engine.py.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from textual.widgets import Static

from capsule_tui.screens.capsule_detail import CapsuleDetailScreen
from capsule_tui.screens.capsule_list import CapsuleListScreen
from capsule_tui.screens.confirm_delete import ConfirmScreen
from capsule_tui.screens.exec_prompt import ExecPromptScreen
from capsule_tui.screens.update_capsule import UpdateCapsuleScreen
from runtime.errors import OperationFailed
from support.tui_fakes import StubBackend, sample_views
from support.tui_pilot import SIZE, RecordingApp, capsule_yaml, loaded, until


async def select(screen: CapsuleListScreen, pilot, name: str) -> None:
    uuids = [row.key.value for row in screen.table.ordered_rows]
    screen.table.move_cursor(row=uuids.index(f"uuid-local-{name}"))
    await pilot.pause()


async def test_stop_asks_first_and_no_stops_nothing_then_yes_stops_the_cursor_row() -> None:
    backend = StubBackend()
    app = RecordingApp(backend, poll_seconds=60)
    async with app.run_test(size=SIZE) as pilot:
        screen = await loaded(app, pilot)
        await select(screen, pilot, "web")
        for refuse in ("n", "escape"):
            await pilot.press("x")
            dialog = app.screen
            assert isinstance(dialog, ConfirmScreen)
            assert str(dialog.query_one("#confirm-question").render()) == "Stop capsule web?"
            assert "web  on local  (Running)" in str(dialog.query_one("#confirm-list", Static).render())
            await pilot.press(refuse)
            assert app.screen is screen
        await pilot.pause(0.2)
        assert backend.lifecycle_calls == []
        snapshots = backend.snapshots
        await pilot.press("x", "y")
        await until(lambda: backend.lifecycle_calls == [("stop", "web")], pilot, what="the stop")
        await until(lambda: any(m == "web stopped" for _, m in app.notes), pilot, what="the outcome")
        await until(lambda: backend.snapshots > snapshots, pilot, what="a refresh after the stop")
        # Restart asks too; start and pause do not.
        await pilot.press("R")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n", "o")
        await until(lambda: backend.lifecycle_calls[-1] == ("start", "web"), pilot, what="the start")
        assert ("restart", "web") not in backend.lifecycle_calls


async def test_marked_rows_are_acted_on_together_and_a_failure_names_the_capsule_and_why() -> None:
    backend = StubBackend()
    backend.lifecycle_failures["broken"] = OperationFailed(
        "init container setup of capsule broken exited with code 1 on host local")
    app = RecordingApp(backend, poll_seconds=60)
    async with app.run_test(size=SIZE) as pilot:
        screen = await loaded(app, pilot)
        await select(screen, pilot, "web")
        await pilot.press("space")
        await select(screen, pilot, "broken")
        await pilot.press("space", "R")
        dialog = app.screen
        assert isinstance(dialog, ConfirmScreen)
        assert str(dialog.query_one("#confirm-question").render()) == "Restart these 2 capsules?"
        await pilot.press("y")
        await until(lambda: sorted(backend.lifecycle_calls) == [("restart", "broken"), ("restart", "web")], pilot,
                    what="both restarts")
        await until(lambda: any(s == "error" for s, _ in app.notes), pilot, what="the failure")
        errors = [m for s, m in app.notes if s == "error"]
        assert errors == ["restart broken on local failed: init container setup of capsule broken exited with "
                          "code 1 on host local"]
        await until(lambda: any(m == "web restarted" for _, m in app.notes), pilot, what="the one that worked")


async def test_p_pauses_a_running_capsule_and_unpauses_a_paused_one() -> None:
    views = sample_views()
    views = [dataclasses.replace(v, reason="paused: httpd") if v.name == "web-sidecar" else v for v in views]
    backend = StubBackend(views)
    app = RecordingApp(backend, poll_seconds=60)
    async with app.run_test(size=SIZE) as pilot:
        screen = await loaded(app, pilot)
        await select(screen, pilot, "web")
        await pilot.press("p")
        await until(lambda: backend.lifecycle_calls == [("pause", "web")], pilot, what="the pause")
        await select(screen, pilot, "web-sidecar")
        await pilot.press("p")
        await until(lambda: backend.lifecycle_calls[-1] == ("unpause", "web-sidecar"), pilot, what="the unpause")


async def test_the_details_act_on_their_capsule() -> None:
    backend = StubBackend()
    app = RecordingApp(backend, poll_seconds=60)
    async with app.run_test(size=SIZE) as pilot:
        screen = await loaded(app, pilot)
        await select(screen, pilot, "web")
        await pilot.press("enter")
        detail = app.screen
        assert isinstance(detail, CapsuleDetailScreen)
        await until(lambda: detail.detail is not None, pilot, what="the details")
        await pilot.press("x", "y")
        await until(lambda: backend.lifecycle_calls == [("stop", "web")], pilot, what="the stop")
        assert app.screen is detail
        # The roll back asks first; no keeps the revision.
        await pilot.press("b")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        assert backend.rollbacks == []
        await pilot.press("b", "y")
        await until(lambda: backend.rollbacks == ["web"], pilot, what="the rollback")
        # The new revision has a new uuid: the details follow it.
        await until(lambda: detail.uuid == "uuid-local-web-3", pilot, what="the new revision's uuid")
        assert any(m == "rolled back web: revision 2 → 3, Running" for _, m in app.notes), app.notes


async def test_update_validates_while_typing_asks_then_updates_the_capsule_named() -> None:
    backend = StubBackend()
    app = RecordingApp(backend, poll_seconds=60)
    async with app.run_test(size=SIZE) as pilot:
        screen = await loaded(app, pilot)
        await select(screen, pilot, "web")
        await pilot.press("u")
        update = app.screen
        assert isinstance(update, UpdateCapsuleScreen)
        # It starts with the running spec (the stub's: the sample Deployment's replica).
        await until(lambda: "kind: capsule" in update.editor.text, pilot, what="the running spec")
        update.editor.load_text(capsule_yaml("web").replace('600"]', '600"'))  # an unclosed [
        validation = update.query_one("#validation", Static)
        await until(lambda: "✗" in str(validation.render()), pilot, what="the error shown while typing")
        update.editor.load_text(capsule_yaml("web"))
        await until(lambda: "✓ valid: 1 capsule (web)" in str(validation.render()), pilot, what="valid")
        placement = update.query_one("#placement", Static)
        assert str(placement.render()) == "web stays on local: an update builds the new revision on its host"
        assert backend.plans == 0  # not the scheduler's choice
        await pilot.press("ctrl+s")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        assert app.screen is update and backend.updates == []
        await pilot.press("ctrl+s", "y")
        await until(lambda: app.screen is screen, pilot, what="back to the list")
        [(name, translation)] = backend.updates
        assert name == "web" and [c.name for c in translation.capsules] == ["web"]
        assert any(m == "updated web on local: revision 1 → 2, Running" for _, m in app.notes), app.notes


async def test_exec_offers_the_members_and_escape_runs_nothing() -> None:
    app = RecordingApp(StubBackend(), poll_seconds=60)
    async with app.run_test(size=SIZE) as pilot:
        screen = await loaded(app, pilot)
        await select(screen, pilot, "web")
        await pilot.press("E")
        prompt = app.screen
        assert isinstance(prompt, ExecPromptScreen)
        await until(lambda: prompt.members == [("httpd", "running")], pilot, what="the members")
        assert prompt.chosen_member() == "httpd"
        await pilot.press("escape")
        assert app.screen is screen
        assert not [m for _, m in app.notes if "exit code" in m]


async def test_the_last_screen_and_selection_come_back_on_the_next_run(tmp_path: Path) -> None:
    memory = tmp_path / "tui.json"
    app = RecordingApp(StubBackend(), poll_seconds=60, memory_path=memory)
    async with app.run_test(size=SIZE) as pilot:
        screen = await loaded(app, pilot)
        await select(screen, pilot, "web-sidecar")
        await pilot.press("enter")
        assert isinstance(app.screen, CapsuleDetailScreen)
        await pilot.press("q")
    again = RecordingApp(StubBackend(), poll_seconds=60, memory_path=memory)
    async with again.run_test(size=SIZE) as pilot:
        await until(lambda: isinstance(again.screen, CapsuleDetailScreen), pilot, what="the details again")
        assert again.screen.uuid == "uuid-local-web-sidecar"
        await pilot.press("escape")
        screen = again.screen
        assert isinstance(screen, CapsuleListScreen) and screen.current_uuid() == "uuid-local-web-sidecar"
        await pilot.press("h")  # then the hosts screen, left with ctrl+c
        await pilot.press("ctrl+c")
    third = RecordingApp(StubBackend(), poll_seconds=60, memory_path=memory)
    async with third.run_test(size=SIZE) as pilot:
        await until(lambda: type(third.screen).__name__ == "HostListScreen", pilot, what="the hosts again")
        await pilot.press("escape")
        assert third.screen.current_uuid() == "uuid-local-web-sidecar"
    # A capsule that is gone: the list, no details of nothing.
    fourth = RecordingApp(StubBackend([v for v in sample_views() if v.name != "web-sidecar"]), poll_seconds=60,
                          memory_path=memory)
    memory.write_text(memory.read_text().replace('"hosts"', '"details"').replace('"capsule": ""',
                                                                               '"capsule": "uuid-local-web-sidecar"'))
    async with fourth.run_test(size=SIZE) as pilot:
        screen = await loaded(fourth, pilot)
        await pilot.pause(0.2)
        assert fourth.screen is screen


def test_the_remembered_screen_and_selection_read_back_and_foreign_values_give_the_list(tmp_path: Path) -> None:
    import json

    from capsule_tui.view_memory import ListMemory, load, save

    path = tmp_path / "tui.json"
    remembered = ListMemory("app=web", "age", True, screen="logs", selected="u1", capsule="u2")
    assert save(remembered, path) and load(path) == remembered
    path.write_text(json.dumps({"filter": "x", "screen": "../../etc", "selected": 5, "capsule": ["u"]}))
    assert load(path) == ListMemory("x")


async def test_hostile_names_stay_text_in_the_action_dialogs() -> None:
    evil = "aaa-evil\nname\x1b[31m"  # first in name order: the row the cursor starts on
    backend = StubBackend([dataclasses.replace(sample_views()[0], name=evil, uuid="uuid-evil")])
    app = RecordingApp(backend, poll_seconds=60)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app, pilot)
        await pilot.press("x")
        dialog = app.screen
        assert isinstance(dialog, ConfirmScreen)
        assert str(dialog.query_one("#confirm-question").render()) == r"Stop capsule aaa-evil\nname\x1b[31m?"
        await pilot.press("escape", "E")
        prompt = app.screen
        assert isinstance(prompt, ExecPromptScreen)
        assert str(prompt.query_one("#exec-title").render()) == r"Run in aaa-evil\nname\x1b[31m"
        assert "\x1b" not in app.export_screenshot()
        await pilot.press("escape", "o")
        await until(lambda: backend.lifecycle_calls == [("start", evil)], pilot, what="the start")
        await until(lambda: any("started" in m for _, m in app.notes), pilot, what="the outcome")
        assert all("\x1b" not in m for _, m in app.notes)


async def test_keys_are_answered_while_an_action_waits_on_a_slow_host() -> None:
    import asyncio

    backend = StubBackend()
    backend.lifecycle_gate = asyncio.Event()
    app = RecordingApp(backend, poll_seconds=60)
    async with app.run_test(size=SIZE) as pilot:
        screen = await loaded(app, pilot)
        await select(screen, pilot, "web")
        await pilot.press("x", "y")
        await until(lambda: backend.lifecycle_calls == [("stop", "web")], pilot, what="the stop under way")
        # The host has not answered; the list still filters and opens details.
        await pilot.press("slash", *"redis", "enter")
        await until(lambda: [v.name for v in screen.shown_views()] == ["redis"], pilot, what="the filter")
        await pilot.press("enter")
        assert isinstance(app.screen, CapsuleDetailScreen)
        assert not any(m == "web stopped" for _, m in app.notes)
        backend.lifecycle_gate.set()
        await until(lambda: any(m == "web stopped" for _, m in app.notes), pilot, what="the stop's outcome")
