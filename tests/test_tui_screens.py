"""The screens beside the list: details, spec, logs, events, hosts, commands, help (stub backend)."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Static

from capsule_tui.screens.capsule_detail import CapsuleDetailScreen
from capsule_tui.screens.capsule_list import CapsuleListScreen
from capsule_tui.screens.create_capsule import CreateCapsuleScreen
from capsule_tui.screens.help import HelpScreen
from capsule_tui.screens.spec_yaml import SpecScreen
from tui_fakes import StubBackend
from tui_pilot import SECRET_VALUE, SIZE, RecordingApp, hits, loaded, until


# ------------------------------------------------------------------ detail, spec, help (stub)

async def test_detail_shows_members_env_events_and_the_spec_without_secret_values() -> None:
    app = RecordingApp(StubBackend(), poll_seconds=60)
    async with app.run_test(size=SIZE) as pilot:
        screen = await loaded(app, pilot)
        screen.filter_input.value = "web @local app=web"
        await pilot.pause()
        await pilot.press("enter")
        detail = app.screen
        assert isinstance(detail, CapsuleDetailScreen) and detail.capsule_name == "web"
        await until(lambda: detail.detail is not None, pilot, what="the detail")
        members = detail.members
        rows = [[str(members.get_cell(r.key, c)) for c in ("member", "state", "image", "ports", "restarts")]
                for r in members.ordered_rows]
        assert rows == [["(sandbox)", "running", "registry.k8s.io/pause:3.10", "-", "0"],
                        ["httpd", "running", "busybox:1.36", "18082->8080/TCP", "0"]]
        env = str(detail.query_one("#detail-env", Static).render())
        assert "PASSWORD=<secret web-credentials/password>" in env
        events = str(detail.query_one("#detail-events", Static).render())
        assert "2026-01-01 00:00:00Z  created" in events and "all members started" in events
        assert "site: configMap" in str(detail.query_one("#detail-volumes", Static).render())
        await pilot.press("y")
        spec_screen = app.screen
        assert isinstance(spec_screen, SpecScreen)
        await until(lambda: bool(spec_screen.yaml_text), pilot, what="the spec")
        assert "secretKeyRef:" in spec_screen.yaml_text and "name: web-credentials" in spec_screen.yaml_text
        assert SECRET_VALUE not in spec_screen.yaml_text
        await pilot.press("end")
        assert SECRET_VALUE not in app.export_screenshot()
        await pilot.press("escape")
        assert app.screen is detail
        assert SECRET_VALUE not in app.export_screenshot()
        await pilot.press("escape")
        assert app.screen is screen


async def test_a_capsule_deleted_while_its_details_show_is_said_once() -> None:
    backend = StubBackend()
    app = RecordingApp(backend, poll_seconds=0.1)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app, pilot)
        await pilot.press("enter")  # batch
        detail = app.screen
        assert isinstance(detail, CapsuleDetailScreen)
        await until(lambda: detail.detail is not None, pilot, what="the detail")
        backend.views = [v for v in backend.views if v.name != "batch"]
        await until(lambda: detail.gone, pilot, what="the capsule to be gone")
        await pilot.pause(0.5)
        assert [m for _, m in app.notes if "no longer exists" in m] == ["capsule batch no longer exists"]
        assert "no longer exists on any host" in str(detail.query_one("#detail-summary", Static).render())
        assert not [m for s, m in app.notes if s == "error"]


async def test_logs_merge_members_filter_search_and_keep_a_bounded_buffer(monkeypatch) -> None:
    from capsule_tui.screens import capsule_logs

    monkeypatch.setattr(capsule_logs, "BUFFER_LINES", 8)
    backend = StubBackend()
    app = RecordingApp(backend, poll_seconds=60)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app, pilot)
        await pilot.press("down", "down", "down", "down", "l")  # web
        logs = app.screen
        assert isinstance(logs, capsule_logs.LogsScreen)
        await until(lambda: len(logs.buffer) == 8, pilot, what="the lines")
        assert backend.log_requests == [("uuid-local-web", "local", capsule_logs.TAIL_LINES)]
        assert logs.shown_lines()[0] == "httpd | line 2 from httpd"  # lines 0 and 1 dropped off
        assert logs.shown_lines()[-1] == "writer | line 9 from writer"
        status = str(logs.query_one("#log-status", Static).render())
        assert "8 lines (oldest dropped)" in status and "following" in status
        await pilot.press("m")
        assert logs.member == "httpd" and all(s.startswith("httpd |") for s in logs.shown_lines())
        await pilot.press("m", "m")
        assert logs.member is None and len(logs.shown_lines()) == 8
        await pilot.press("slash", *"line 7")
        assert logs.shown_lines() == ["writer | line 7 from writer"]
        await pilot.press("enter", "w", "f")
        assert logs.view.wrap and not logs.following
        await pilot.press("escape")  # clears the search first
        assert logs.search == "" and len(logs.shown_lines()) == 8 and app.screen is logs
        backend.logs_end.set()
        await until(lambda: logs.ended, pilot, what="the end of the stream")
        assert "every member has stopped" in str(logs.query_one("#log-status", Static).render())
        await pilot.press("escape")
        assert isinstance(app.screen, CapsuleListScreen)


async def test_the_event_log_shows_history_then_new_events_and_keeps_to_the_bottom(monkeypatch) -> None:
    from capsule_tui.screens import event_log
    from runtime.records import EventRecord

    monkeypatch.setattr(event_log, "MAX_ROWS", 3)
    backend = StubBackend()
    app = RecordingApp(backend, poll_seconds=60)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app, pilot)
        await pilot.press("e")
        screen = app.screen
        assert isinstance(screen, event_log.EventLogScreen)
        await until(lambda: screen.table.row_count == 2, pilot, what="the history")
        assert backend.event_limits == [0, event_log.HISTORY]  # the list follows new events only
        backend.event_records.append(EventRecord(3, 1_767_225_700.0, "broken", "uuid-local-broken", "local",
                                                 "failed", "member httpd exited with code 1"))
        await until(lambda: screen.table.row_count == 3, pilot, what="the new event")
        row = [str(screen.table.get_cell("3", c)) for c in ("time", "kind", "capsule", "host", "message")]
        assert row == ["2026-01-01 00:01:40Z", "failed", "broken", "local", "member httpd exited with code 1"]
        assert screen.table.cursor_row == 2  # followed to the bottom
        backend.event_records.append(EventRecord(4, 1_767_225_800.0, "broken", "", "local", "deleted", "bye"))
        await until(lambda: "4" in [r.key.value for r in screen.table.ordered_rows], pilot, what="event 4")
        assert [r.key.value for r in screen.table.ordered_rows] == ["2", "3", "4"]  # bounded: the oldest went
        await pilot.press("escape")
        assert isinstance(app.screen, CapsuleListScreen)


async def test_the_hosts_screen_shows_each_host_with_capacity_or_why_not() -> None:
    backend = StubBackend()
    app = RecordingApp(backend, poll_seconds=60)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app, pilot)
        await pilot.press("h")
        screen = app.screen
        assert type(screen).__name__ == "HostListScreen"
        await until(lambda: screen.facts is not None, pilot, what="the host facts")
        table = screen.table
        local = [str(table.get_cell("local", c)) for c in ("host", "state", "engine", "api", "cpu", "memory",
                                                            "capsules", "labels")]
        assert local == ["local", "reachable", "24.0.7", "1.43", "0.5/4", "536.9 MB/8.6 GB", "1", ""]
        lab = [str(table.get_cell("lab", c)) for c in ("state", "engine", "labels", "url")]
        assert lab == ["unreachable: connection refused", "-", "zone=a", "tcp://10.0.0.9:2376"]
        assert table.row_count == 2
        await pilot.press("r")
        await until(lambda: backend.fact_rounds == 2, pilot, what="a second round")
        assert table.row_count == 2  # updated in place
        await pilot.press("escape")
        assert isinstance(app.screen, CapsuleListScreen)


async def test_colon_commands_go_to_a_view_from_anywhere() -> None:
    from textual.command import CommandPalette

    app = RecordingApp(StubBackend(), poll_seconds=60)
    async with app.run_test(size=SIZE) as pilot:
        screen = await loaded(app, pilot)
        await pilot.press("colon")
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"hosts")
        await until(lambda: hits(app) == [":hosts"], pilot, what="the hit")
        await pilot.press("enter")
        await until(lambda: type(app.screen).__name__ == "HostListScreen", pilot, what="the hosts screen")
        # From the hosts screen straight to the event log: back to the list, then there.
        await pilot.press("ctrl+p", *":events")
        await until(lambda: hits(app) == [":events"], pilot, what="the hit")
        await pilot.press("enter")
        await until(lambda: type(app.screen).__name__ == "EventLogScreen", pilot, what="the event log")
        assert app.screen_stack[-2] is screen
        await pilot.press("ctrl+p", *":capsules")
        await until(lambda: hits(app) == [":capsules"], pilot, what="the hit")
        await pilot.press("enter")
        await until(lambda: app.screen is screen, pilot, what="the list")


async def test_i_imports_a_manifest_starting_at_the_path_field() -> None:
    app = RecordingApp(StubBackend(), poll_seconds=60)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app, pilot)
        await pilot.press("i")
        create = app.screen
        assert isinstance(create, CreateCapsuleScreen) and create.path_input.has_focus
        sample = Path(__file__).resolve().parent.parent / "samples" / "job.yaml"
        await pilot.press(*str(sample), "enter")
        validation = create.query_one("#validation", Static)
        await until(lambda: "✓ valid" in str(validation.render()), pilot, timeout=10, what="the import's report")
        assert create.editor.has_focus and "kind: Job" in create.editor.text


async def test_help_opens_with_question_mark_and_closes_with_escape() -> None:
    app = RecordingApp(StubBackend(), poll_seconds=60)
    async with app.run_test(size=SIZE) as pilot:
        screen = await loaded(app, pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        shown = app.export_screenshot()
        assert "ctrl+d" in shown and "capsules,&#160;or&#160;the&#160;selected&#160;one" in shown
        await pilot.press("escape")
        assert app.screen is screen


