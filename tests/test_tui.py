"""The terminal UI, driven by Textual's pilot.

Three kinds of backend: a stub with fixed data (tests/tui_fakes.py) for the screens'
own logic and the snapshots; the real CapsuleService over the in-process fake
engine for host failures; and the real local engine for create and delete, checked
afterwards through the docker package as an independent second client.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from rich.text import Text
from textual.widgets import DataTable, Static
from textual.widgets.data_table import ColumnKey

from capsule_tui.app import CapsuleApp
from capsule_tui.backend import Backend
from capsule_tui.screens.capsule_detail import CapsuleDetailScreen
from capsule_tui.screens.capsule_list import CapsuleListScreen
from capsule_tui.screens.confirm_delete import ConfirmDeleteScreen
from capsule_tui.screens.create_capsule import CreateCapsuleScreen
from capsule_tui.screens.help import HelpScreen
from capsule_tui.screens.spec_yaml import SpecScreen
from tui_fakes import StubBackend, view

SIZE = (130, 32)
SECRET_VALUE = "not-a-real-password"  # the Secret's value in samples/deployment.yaml


class RecordingApp(CapsuleApp):
    """The real app, also keeping every notification for the test to read."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.notes: list[tuple[str, str]] = []

    def notify(self, message: str, *, severity: str = "information", **kwargs) -> None:  # type: ignore[override]
        self.notes.append((severity, message))
        super().notify(message, severity=severity, **kwargs)  # type: ignore[arg-type]


async def until(condition: Callable[[], bool], pilot, timeout: float = 5.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await pilot.pause(0.05)


def names(screen: CapsuleListScreen) -> list[str]:
    table = screen.table
    return [str(table.get_cell(row.key, "name")) for row in table.ordered_rows]


def cell(screen: CapsuleListScreen, uuid: str, column: str) -> str:
    value = screen.table.get_cell(uuid, column)
    return value.plain if isinstance(value, Text) else str(value)


def list_screen(app: CapsuleApp) -> CapsuleListScreen:
    screen = app.screen
    assert isinstance(screen, CapsuleListScreen), type(screen).__name__
    return screen


async def loaded(app: CapsuleApp, pilot) -> CapsuleListScreen:
    await until(lambda: isinstance(app.screen, CapsuleListScreen) and app.screen.snapshot is not None, pilot,
                what="the first refresh")
    return list_screen(app)


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
    from runtime.records import EventRecord

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


# ------------------------------------------------------------------ create (stub)

BAD_YAML = """\
apiVersion: beta
kind: capsule
metadata:
  name: Bad_Name
spec:
  containers:
    - name: main
      imag: busybox:1.36
"""


def capsule_yaml(name: str, label: str = "tui") -> str:
    return f"""\
apiVersion: beta
kind: capsule
metadata:
  name: {name}
  labels:
    app: {label}
spec:
  containers:
    - name: main
      image: busybox:1.36
      command: ["sh", "-c", "echo hello from the {label} member; exec sleep 600"]
"""


async def test_create_validates_while_typing_and_creates_on_ctrl_s() -> None:
    backend = StubBackend()
    app = RecordingApp(backend, poll_seconds=60)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app, pilot)
        await pilot.press("c")
        create = app.screen
        assert isinstance(create, CreateCapsuleScreen)
        validation = create.query_one("#validation", Static)
        create.editor.insert(BAD_YAML)
        await until(lambda: "error" in str(validation.render()), pilot, what="the errors")
        report = str(validation.render())
        assert "<editor>:4:9: error: metadata.name: 'Bad_Name' is not a DNS-1123 label" in report
        assert "<editor>:7:7: error: spec.containers[0].image: is required" in report
        assert "(did you mean 'image'?)" in report and "2 errors" in report
        assert "rejected" in report
        await pilot.press("ctrl+s")  # refused: nothing is created from text with errors
        await until(lambda: any("nothing created" in m for _, m in app.notes), pilot, what="the refusal")
        assert backend.created == [] and app.screen is create
        # Fix it by typing: the report follows.
        create.editor.load_text(capsule_yaml("fixed"))
        await pilot.press("end")
        await until(lambda: "✓ valid: 1 capsule (fixed)" in str(validation.render()), pilot, what="valid")
        assert "apiVersion: beta" in str(create.query_one("#preview", Static).render())
        placement = create.query_one("#placement", Static)
        await until(lambda: "fixed → local" in str(placement.render()), pilot, what="the placement preview")
        assert "local: chosen, score 87" in str(placement.render()) and "lab: fits, score 40" in str(placement.render())
        await pilot.press("ctrl+s")
        await until(lambda: isinstance(app.screen, CapsuleListScreen), pilot, what="back to the list")
        assert [c.name for c in backend.created[0].capsules] == ["fixed"]


async def test_create_reports_a_kubernetes_manifest_with_its_warnings(tmp_path: Path) -> None:
    app = RecordingApp(StubBackend(), poll_seconds=60)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app, pilot)
        await pilot.press("c")
        create = app.screen
        assert isinstance(create, CreateCapsuleScreen)
        sample = Path(__file__).resolve().parent.parent / "samples" / "deployment.yaml"
        create.path_input.value = str(sample)
        create.path_input.focus()
        await pilot.press("enter")  # in the path field: loads the file
        validation = create.query_one("#validation", Static)
        await until(lambda: "valid" in str(validation.render()), pilot, timeout=10, what="the report")
        report = str(validation.render())
        assert "✓ valid: 1 capsule (web)" in report and "1 ignored" in report
        assert f"{sample}:43:3: warning: spec.selector: is ignored" in report
        preview = str(create.query_one("#preview", Static).render())
        assert "secretKeyRef" in preview and SECRET_VALUE not in preview
        create.path_input.value = str(tmp_path / "missing.yaml")
        create.path_input.focus()
        await pilot.press("enter")
        await until(lambda: any("cannot load" in m for _, m in app.notes), pilot, what="the load error")
        assert any("No such file or directory" in m for _, m in app.notes)


# ------------------------------------------------------------------ fake engine: host failures

def fake_engine_backend(tmp_path: Path, *, down: str = "refuse"):
    from runtime.engine_client import EngineClient
    from runtime.fake_engine import FakeEngine, capsule_sandbox
    from runtime.hosts import HostSettings
    from runtime.service import CapsuleService
    from runtime.store import Store

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


# ------------------------------------------------------------------ real engine: create, see, delete

async def test_create_see_running_and_delete_on_a_real_engine(docker_engine, capsule_home, unique_name) -> None:
    label = f"capsule.name={unique_name}"
    app = RecordingApp(poll_seconds=0.5)  # the real backend: CapsuleService on the local engine
    async with app.run_test(size=SIZE) as pilot:
        screen = await loaded(app, pilot)
        await until(lambda: "local reachable" in str(screen.host_status.render()), pilot, what="the local host")
        await pilot.press("c")
        create = app.screen
        assert isinstance(create, CreateCapsuleScreen)
        create.editor.insert(capsule_yaml(unique_name, label="tui-e2e"))
        validation = create.query_one("#validation", Static)
        await until(lambda: f"✓ valid: 1 capsule ({unique_name})" in str(validation.render()), pilot,
                    what="a valid capsule")
        placement = create.query_one("#placement", Static)
        await until(lambda: f"{unique_name} → local" in str(placement.render()), pilot, timeout=15,
                    what="the placement preview")
        assert "local: chosen" in str(placement.render())
        await pilot.press("ctrl+s")
        await until(lambda: isinstance(app.screen, CapsuleListScreen), pilot, timeout=90, what="the create")
        assert any(m.startswith(f"created {unique_name} Running on local") for _, m in app.notes), app.notes
        # The list shows it Running (the next refresh at the latest).
        await until(lambda: any(v.name == unique_name and v.status == "Running" for v in screen.shown_views()),
                    pilot, timeout=15, what="the capsule Running in the list")
        assert len(docker_engine.client.containers.list(filters={"label": label})) == 2  # sandbox + member
        # The hosts screen shows the engine the docker package sees, with this capsule on it.
        await pilot.press("h")
        hosts = app.screen
        assert type(hosts).__name__ == "HostListScreen"
        await until(lambda: hosts.facts is not None, pilot, timeout=15, what="the host facts")
        assert str(hosts.table.get_cell("local", "state")) == "reachable"
        assert str(hosts.table.get_cell("local", "engine")) == docker_engine.client.version()["Version"]
        assert int(str(hosts.table.get_cell("local", "capsules"))) >= 1
        await pilot.press("escape")
        # The event log has its creation.
        await pilot.press("e")
        events = app.screen
        assert type(events).__name__ == "EventLogScreen"
        await until(lambda: any(e.capsule == unique_name and e.kind == "created" for e in events.events), pilot,
                    timeout=15, what="the created event")
        await pilot.press("escape")
        assert app.screen is screen
        # Select it by filtering, then delete with ctrl+d, y.
        await pilot.press("slash", *unique_name, "enter")
        assert names(screen) == [unique_name]
        row = screen.current_view()
        assert row is not None and row.status == "Running" and row.ready == "1/1" and row.ip
        assert cell(screen, row.uuid, "status") == "Running" and cell(screen, row.uuid, "labels") == "app=tui-e2e"
        # Its details and spec, read back from the engine through the service.
        await pilot.press("enter")
        detail = app.screen
        assert isinstance(detail, CapsuleDetailScreen)
        await until(lambda: detail.detail is not None, pilot, timeout=15, what="the detail")
        members = {m.name: m for m in detail.detail.members}
        assert members["main"].state == "running" and members["main"].image == "busybox:1.36"
        assert members["(sandbox)"].role == "sandbox"
        await pilot.press("y")
        spec_screen = app.screen
        assert isinstance(spec_screen, SpecScreen)
        await until(lambda: bool(spec_screen.yaml_text), pilot, timeout=15, what="the spec")
        assert f"name: {unique_name}" in spec_screen.yaml_text and "exec sleep 600" in spec_screen.yaml_text
        await pilot.press("escape", "l")
        logs = app.screen
        assert type(logs).__name__ == "LogsScreen"
        await until(lambda: "main | hello from the tui-e2e member" in logs.shown_lines(), pilot, timeout=15,
                    what="the member's log line")
        await pilot.press("escape", "escape")
        assert app.screen is screen
        await pilot.press("ctrl+d")
        assert isinstance(app.screen, ConfirmDeleteScreen)
        await pilot.press("y")
        await until(lambda: any(m.startswith(f"deleted {unique_name}") for _, m in app.notes), pilot,
                    timeout=60, what="the delete")
        await until(lambda: names(screen) == [], pilot, timeout=10, what="the row to go")
        assert not [m for s, m in app.notes if s == "error"], app.notes
    # Checked through the docker package, not through capsule.
    assert docker_engine.client.containers.list(all=True, filters={"label": label}) == []
    assert docker_engine.client.volumes.list(filters={"label": label}) == []


def test_a_broken_inventory_is_a_message_and_exit_code_2(capsule_home: Path, capsys) -> None:
    from capsule_tui.app import run

    (capsule_home / "hosts.yaml").write_text("hosts:\n  - name: x\n    url: ftp://nowhere\n")
    assert run() == 2
    err = capsys.readouterr().err
    assert "the host inventory cannot be used" in err and "hosts.yaml:3" in err


# ------------------------------------------------------------------ snapshots

def snapshot_app() -> CapsuleApp:
    return CapsuleApp(StubBackend(), poll_seconds=3600)


async def _first_refresh(pilot) -> None:
    await until(lambda: isinstance(pilot.app.screen, CapsuleListScreen) and pilot.app.screen.snapshot is not None,
                pilot, what="the first refresh")
    await pilot.pause()


def test_snapshot_capsule_list(snap_compare) -> None:
    async def run_before(pilot) -> None:
        await _first_refresh(pilot)
        await pilot.press("down", "space")  # a marked row

    assert snap_compare(snapshot_app(), terminal_size=(120, 20), run_before=run_before)


def test_snapshot_capsule_detail(snap_compare) -> None:
    async def run_before(pilot) -> None:
        await _first_refresh(pilot)
        await pilot.press("down", "down", "down", "down", "enter")  # web
        await until(lambda: getattr(pilot.app.screen, "detail", None) is not None, pilot, what="the detail")
        await pilot.pause()

    assert snap_compare(snapshot_app(), terminal_size=(120, 36), run_before=run_before)
