"""The capsule list: rows, filter, sort, live refresh in place, marks, delete, host failures.

A stub backend with fixed data (tests/support/tui_fakes.py) for the screen's own logic; the real
CapsuleService over the in-process fake engine for hosts that fail.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey

from capsule_tui.backend import Backend
from capsule_tui.screens.confirm_delete import ConfirmDeleteScreen
from support.tui_fakes import StubBackend, view
from support.tui_pilot import SIZE, RecordingApp, cell, loaded, names, until

# ------------------------------------------------------------------ list (stub)


async def test_list_renders_every_capsule_with_its_cells() -> None:
    app = RecordingApp(StubBackend(), poll_seconds=60)
    async with app.run_test(size=SIZE) as pilot:
        screen = await loaded(app, pilot)
        assert names(screen) == ["batch", "broken", "redis", "starting", "web", "web-sidecar"]  # by name
        web = "uuid-local-web"
        assert [cell(screen, web, c) for c in ("status", "host", "ip", "ready", "restarts", "age", "labels")] == \
            ["Running", "local", "172.17.0.2", "1/1", "0", "60m", "app=web,tier=frontend"]
        assert screen.table.get_cell(web, "status").style == "bold green"
        assert screen.table.get_cell("uuid-local-broken", "status").style == "bold red"
        assert cell(screen, "uuid-lab-redis", "age") == "25h"
        assert cell(screen, "uuid-local-batch", "ip") == "-"
        hosts = screen.host_status.render()
        assert "local reachable" in str(hosts) and "lab reachable" in str(hosts)
    assert app.backend.closed  # the service is closed when the app ends


async def test_filter_narrows_by_name_label_and_host_and_escape_clears_it() -> None:
    app = RecordingApp(StubBackend(), poll_seconds=60)
    async with app.run_test(size=SIZE) as pilot:
        screen = await loaded(app, pilot)
        await pilot.press("slash", *"app=web")
        assert names(screen) == ["broken", "web"]
        screen.filter_input.value = "@lab"
        await pilot.pause()
        assert names(screen) == ["redis", "starting"]
        screen.filter_input.value = "web @local"
        await pilot.pause()
        assert names(screen) == ["web", "web-sidecar"]
        screen.filter_input.value = "side app=web-sidecar"
        await pilot.pause()
        assert names(screen) == ["web-sidecar"]
        screen.filter_input.value = "[b]side"  # brackets are text in the summary, not markup
        await pilot.pause()
        assert "0 of 6 capsules · filter: [b]side" in str(screen.query_one("#list-summary").render())
        screen.filter_input.value = "side app=web-sidecar"
        await pilot.pause()
        await pilot.press("enter")  # keeps the filter, back to the table
        assert screen.table.has_focus and names(screen) == ["web-sidecar"]
        await pilot.press("q")  # typed into nothing: q in the table quits... so not yet
        await pilot.pause()
    # `q` outside a text field ended the app.
    assert not app.is_running


async def test_q_typed_in_the_filter_is_text_not_quit_and_escape_clears() -> None:
    app = RecordingApp(StubBackend(), poll_seconds=60)
    async with app.run_test(size=SIZE) as pilot:
        screen = await loaded(app, pilot)
        await pilot.press("slash", "q")
        assert app.is_running and screen.filter_input.value == "q"
        assert names(screen) == []
        await pilot.press("escape")
        assert screen.filter_input.value == "" and len(names(screen)) == 6


async def test_ctrl_c_quits_as_in_k9s_and_lazydocker() -> None:
    """Issue 13, item 7: it showed '[b]ctrl+q[/b]' as raw text and stayed. (In a text field with a
    selection, ctrl+c is still the field's copy.)"""
    app = RecordingApp(StubBackend(), poll_seconds=60)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app, pilot)
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert not [m for _, m in app.notes if "[b]" in m], app.notes
    assert not app.is_running


async def test_vim_and_home_end_keys_move_the_cursor_and_S_reverses_the_sort() -> None:
    """Issue 13, item 13: j/k, g/G and Home/End did not move; reversing needed the mouse."""
    app = RecordingApp(StubBackend(), poll_seconds=60)
    async with app.run_test(size=SIZE) as pilot:
        screen = await loaded(app, pilot)
        table = screen.table
        last = table.row_count - 1
        assert table.cursor_row == 0 and last > 2
        await pilot.press("j", "j")
        assert table.cursor_row == 2
        await pilot.press("k")
        assert table.cursor_row == 1
        await pilot.press("G")
        assert table.cursor_row == last
        await pilot.press("g")
        assert table.cursor_row == 0
        await pilot.press("end")
        assert table.cursor_row == last
        await pilot.press("home")
        assert table.cursor_row == 0
        column, before = screen.order.column, names(screen)
        await pilot.press("S")
        assert (screen.order.column, screen.order.reverse) == (column, True)
        assert names(screen) == list(reversed(before))
        await pilot.press("S")
        assert not screen.order.reverse and names(screen) == before


async def test_colon_opens_the_command_palette_on_any_screen() -> None:
    from textual.command import CommandPalette

    app = RecordingApp(StubBackend(), poll_seconds=60)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app, pilot)
        await pilot.press("h")  # the hosts screen
        await until(lambda: type(app.screen).__name__ == "HostListScreen", pilot, what="the hosts screen")
        await pilot.press("colon")
        await until(lambda: isinstance(app.screen, CommandPalette), pilot, what="the command palette")


async def test_sort_by_key_and_by_header_click() -> None:
    app = RecordingApp(StubBackend(), poll_seconds=60)
    async with app.run_test(size=SIZE) as pilot:
        screen = await loaded(app, pilot)
        await pilot.press("s")  # name -> status
        assert screen.order.column == "status"
        assert [cell(screen, u, "status") for u in (r.key.value for r in screen.table.ordered_rows)] == \
            ["Failed", "Finished", "Running", "Running", "Running", "Starting"]
        table = screen.table
        header = table.columns[ColumnKey("restarts")]
        # A click on the header, as DataTable reports it.
        table.post_message(DataTable.HeaderSelected(table, ColumnKey("restarts"), 6, header.label))
        await pilot.pause()
        assert screen.order.column == "restarts" and not screen.order.reverse
        assert names(screen)[-1] == "broken"
        table.post_message(DataTable.HeaderSelected(table, ColumnKey("restarts"), 6, header.label))
        await pilot.pause()
        assert screen.order.reverse and names(screen)[0] == "broken"
        assert "RESTARTS ▼" in [str(c.label) for c in table.columns.values()]


async def test_refresh_updates_rows_in_place_and_the_cursor_stays_on_its_capsule() -> None:
    backend = StubBackend()
    app = RecordingApp(backend, poll_seconds=0.1)
    async with app.run_test(size=SIZE) as pilot:
        screen = await loaded(app, pilot)
        await pilot.press("down", "down")  # batch, broken, [redis]
        assert screen.current_uuid() == "uuid-lab-redis"
        table = screen.table
        before = backend.snapshots
        # Same rows, one changed value: only that cell changes, nothing moves.
        backend.views = [view("redis", host="lab", restarts=4, ready="0/1", status="Failed", age=90000,
                              ip="10.0.0.7", labels={"app": "cache"}) if v.name == "redis" else v
                         for v in backend.views]
        await until(lambda: cell(screen, "uuid-lab-redis", "restarts") == "4", pilot, what="the new restarts")
        assert backend.snapshots > before
        assert table.cursor_row == 2 and screen.current_uuid() == "uuid-lab-redis"
        assert cell(screen, "uuid-lab-redis", "status") == "Failed"
        # A capsule arrives before it in the order: the cursor follows redis, not the index.
        backend.views = [view("aaa-new"), *backend.views]
        await until(lambda: "aaa-new" in names(screen), pilot, what="the new capsule")
        assert screen.current_uuid() == "uuid-lab-redis" and table.cursor_row == 3
        # The capsule under the cursor goes away: the cursor stays at that place.
        backend.views = [v for v in backend.views if v.name != "redis"]
        await until(lambda: "redis" not in names(screen), pilot, what="redis to go")
        assert table.cursor_row == 3 and screen.current_uuid() == "uuid-lab-starting"


async def test_an_event_refreshes_the_list_without_waiting_for_the_poll() -> None:
    from runtime.state.records import EventRecord

    backend = StubBackend()
    app = RecordingApp(backend, poll_seconds=3600)  # no polling: only the event can do it
    async with app.run_test(size=SIZE) as pilot:
        screen = await loaded(app, pilot)
        assert backend.event_limits == [0]
        rounds = backend.snapshots
        backend.views = [view("late-arrival"), *backend.views]
        await pilot.pause(0.3)
        assert "late-arrival" not in names(screen) and backend.snapshots == rounds
        backend.event_records.append(EventRecord(9, 0.0, "late-arrival", "u9", "local", "created", "created"))
        await until(lambda: "late-arrival" in names(screen), pilot, what="the refresh the event started")


async def test_a_failing_refresh_is_a_notification_and_the_app_lives_on() -> None:
    backend = StubBackend()
    backend.fail_snapshot = RuntimeError("state store is locked [by another process]")
    app = RecordingApp(backend, poll_seconds=0.1)
    async with app.run_test(size=SIZE) as pilot:
        await until(lambda: any("state store is locked" in m for _, m in app.notes), pilot,
                    what="the failure notification")
        severity, message = next((s, m) for s, m in app.notes if "locked" in m)
        assert severity == "error" and message.startswith("refreshing the capsule list failed:")
        await until(lambda: backend.snapshots >= 4, pilot, what="polling to go on after the failure")
        assert len([m for _, m in app.notes if "locked" in m]) == 1  # said once, not every 2 seconds
        backend.fail_snapshot = None
        screen = await loaded(app, pilot)
        assert len(names(screen)) == 6 and app.is_running


# ------------------------------------------------------------------ delete (stub)

async def test_delete_asks_first_and_deletes_only_on_y() -> None:
    backend = StubBackend()
    app = RecordingApp(backend, poll_seconds=60)
    async with app.run_test(size=SIZE) as pilot:
        screen = await loaded(app, pilot)
        await pilot.press("ctrl+d")
        assert isinstance(app.screen, ConfirmDeleteScreen)
        assert "Delete capsule batch?" in str(app.screen.query_one("#confirm-question").render())
        await pilot.press("n")
        assert app.screen is screen and backend.deleted == []
        await pilot.press("ctrl+d", "escape")
        assert app.screen is screen and backend.deleted == []
        await pilot.press("ctrl+d", "enter")  # the focused default button is Cancel
        assert app.screen is screen and backend.deleted == []
        await pilot.press("ctrl+d", "y")
        await until(lambda: backend.deleted == [["batch"]], pilot, what="the delete call")
        await until(lambda: "batch" not in names(screen), pilot, what="the row to go")


async def test_marked_capsules_are_deleted_together() -> None:
    backend = StubBackend()
    app = RecordingApp(backend, poll_seconds=60)
    async with app.run_test(size=SIZE) as pilot:
        screen = await loaded(app, pilot)
        await pilot.press("down", "space", "down", "down", "space")  # broken, starting
        assert cell(screen, "uuid-local-broken", "mark") == "●" and len(screen.marked) == 2
        await pilot.press("ctrl+d")
        dialog = app.screen
        assert isinstance(dialog, ConfirmDeleteScreen) and [v.name for v in dialog.views] == ["broken", "starting"]
        await pilot.press("y")
        await until(lambda: backend.deleted == [["broken", "starting"]], pilot, what="the delete call")
        await until(lambda: names(screen) == ["batch", "redis", "web", "web-sidecar"], pilot, what="rows to go")
        assert screen.marked == set()


async def test_all_capsules_matching_a_label_filter_are_marked_with_a_and_deleted() -> None:
    backend = StubBackend()
    app = RecordingApp(backend, poll_seconds=60)
    async with app.run_test(size=SIZE) as pilot:
        screen = await loaded(app, pilot)
        await pilot.press("slash", *"app=web", "enter", "a")
        assert screen.marked == {"uuid-local-broken", "uuid-local-web"}
        await pilot.press("ctrl+d")
        assert "Delete these 2 capsules?" in str(app.screen.query_one("#confirm-question").render())
        await pilot.press("y")
        await until(lambda: backend.deleted == [["broken", "web"]], pilot, what="the delete call")
        await pilot.press("escape")
        await until(lambda: names(screen) == ["batch", "redis", "starting", "web-sidecar"], pilot, what="the rows")


async def test_filter_and_sort_are_remembered_between_runs(tmp_path: Path) -> None:
    memory = tmp_path / "state" / "tui.json"
    first = RecordingApp(StubBackend(), poll_seconds=60, memory_path=memory)
    async with first.run_test(size=SIZE) as pilot:
        await loaded(first, pilot)
        await pilot.press("slash", *"app=web", "enter", "s")  # filter, then sort by status
    second = RecordingApp(StubBackend(), poll_seconds=60, memory_path=memory)
    async with second.run_test(size=SIZE) as pilot:
        screen = await loaded(second, pilot)
        assert screen.filter_input.value == "app=web" and screen.filter_input.display
        assert screen.order.column == "status" and names(screen) == ["broken", "web"]
        await pilot.press("escape")  # clearing is remembered too
    third = RecordingApp(StubBackend(), poll_seconds=60, memory_path=memory)
    async with third.run_test(size=SIZE) as pilot:
        screen = await loaded(third, pilot)
        assert screen.filter_input.value == "" and len(names(screen)) == 6


# ------------------------------------------------------------------ fake engine: host failures

def fake_engine_backend(tmp_path: Path, *, down: str = "refuse"):
    from runtime.engine.client import EngineClient
    from runtime.hosts.settings import HostSettings
    from runtime.service import CapsuleService
    from runtime.state.store import Store
    from support.fake_engine import FakeEngine, capsule_sandbox

    spec = {"apiVersion": "beta", "kind": "capsule", "metadata": {"name": "api", "labels": {"app": "api"}},
            "spec": {"containers": [{"name": "main", "image": "busybox:1.36"}]}}
    engines = {"good": FakeEngine(containers=[capsule_sandbox("api", spec)]), "down": FakeEngine(behaviour=down)}
    hosts = [HostSettings("good", "tcp://127.0.0.1:20001", connect_timeout=0.5),
             HostSettings("down", "tcp://127.0.0.1:20002", connect_timeout=0.5)]

    async def connect(host: HostSettings) -> EngineClient:
        return await EngineClient.connect(host.url, name=host.name, transport=engines[host.name],
                                          timeout=host.connect_timeout)

    service = CapsuleService(hosts, store=Store.open(tmp_path / "state.db"), engine_factory=connect)
    return Backend(service), engines


@pytest.mark.parametrize("down", ["refuse", "connect-timeout", "garbage"])
async def test_an_unreachable_host_is_shown_and_notified_once_and_the_app_lives_on(tmp_path: Path, down: str) -> None:
    backend, engines = fake_engine_backend(tmp_path, down=down)
    app = RecordingApp(backend, poll_seconds=0.2)
    async with app.run_test(size=SIZE) as pilot:
        screen = await loaded(app, pilot)
        assert names(screen) == ["api"] and cell(screen, screen.current_uuid() or "", "host") == "good"
        line = str(screen.host_status.render())
        assert "good reachable" in line and "down unreachable: " in line
        warnings = [m for s, m in app.notes if s == "warning" and m.startswith("host down is unreachable")]
        assert len(warnings) == 1
        # Later polls of the same dead host do not repeat the notification.
        count = len(engines["good"].requests)
        await until(lambda: len(engines["good"].requests) > count + 2, pilot, timeout=10, what="more polls")
        assert len([m for s, m in app.notes if m.startswith("host down is unreachable")]) == 1
        # The host comes back: the line says so and one notification tells.
        engines["down"].behaviour = "ok"
        await until(lambda: "down reachable" in str(screen.host_status.render()), pilot, timeout=10,
                    what="the host to come back")
        assert any(m == "host down answers again" for _, m in app.notes)
        assert app.is_running and not [m for s, m in app.notes if s == "error"]


