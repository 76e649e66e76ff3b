"""No terminal injection in the UI: hostile names, labels, events, host errors and log lines
show as visible escapes (formatters/safe_text.py), and markup-like text stays text.

Stub backend (tests/support/tui_fakes.py) with texts a capsule made by someone else on a
shared engine could carry. Checked twice: in what each widget holds, and in the whole
screen as Textual renders it (`export_screenshot`), where a raw ESC would show up.
"""

from __future__ import annotations

import re

from textual.widgets import Label, Static

from capsule_tui.backend import REACHABLE, UNREACHABLE, HostState
from capsule_tui.screens.capsule_detail import CapsuleDetailScreen
from capsule_tui.screens.capsule_logs import LogsScreen
from capsule_tui.screens.confirm_delete import ConfirmDeleteScreen, ConfirmScreen
from capsule_tui.screens.event_log import EventLogScreen
from capsule_tui.screens.service_list import ServiceListScreen
from runtime.ops.logs import MemberLogLine
from runtime.state.records import EventRecord
from support.tui_fakes import T0, StubBackend, sample_views, service, view
from support.tui_pilot import SIZE, RecordingApp, cell, loaded, until

TITLE_AND_CLEAR = "\x1b]0;pwned\x07\x1b[2J"
TITLE_AND_CLEAR_SHOWN = r"\x1b]0;pwned\x07\x1b[2J"
EVIL_NAME = "aaa-evil\nname\x1b[31m"  # first in name order: the row the cursor starts on
EVIL_NAME_SHOWN = r"aaa-evil\nname\x1b[31m"
MARKUP = "[bold red]loud[/] [@click=app.quit]quit[/]"  # markup, if anything read it as markup


class HostileBackend(StubBackend):
    def __init__(self) -> None:
        evil = view(EVIL_NAME, labels={"app": TITLE_AND_CLEAR}, namespace=f"ns{TITLE_AND_CLEAR}",
                    workload=f"Deployment/{TITLE_AND_CLEAR}")
        super().__init__([evil, *sample_views()],
                         [HostState("local", REACHABLE), HostState("lab", UNREACHABLE, f"refused{TITLE_AND_CLEAR}")])
        self.event_records = [EventRecord(1, T0, EVIL_NAME, evil.uuid, "local", "failed",
                                          f"member exited: {TITLE_AND_CLEAR}"),
                              EventRecord(2, T0 + 1, MARKUP, "u2", MARKUP, "created", MARKUP)]
        # A Service's proxy container carries its name, namespace, ports and selector in labels
        # anyone with the engine can write; its backends name capsules.
        self.service_views = [service(EVIL_NAME, f"ns{TITLE_AND_CLEAR}", f"ClusterIP{TITLE_AND_CLEAR}",
                                      f"80->{TITLE_AND_CLEAR}/TCP", "local", "10.89.0.5",
                                      [f"{EVIL_NAME} 10.89.0.2:8080", f"{MARKUP} 10.89.0.3:80"], 2, 2,
                                      selector={"app": TITLE_AND_CLEAR})]
        self.service_problems = [f"host lab: refused{TITLE_AND_CLEAR}"]

    async def logs(self, uuid: str, host: str, *, tail: int, member: str | None = None):
        yield MemberLogLine(f"web{TITLE_AND_CLEAR}", "stdout", "\x1b[2J\x1b[Hcleared\x1b]0;title\x07 and\ttab")
        await self.logs_end.wait()


def no_raw_control(text: str) -> bool:
    return not any(ord(c) < 0x20 and c not in "\n" or 0x7F <= ord(c) <= 0x9F for c in text)


async def test_the_list_the_host_line_and_notifications_show_escapes() -> None:
    backend = HostileBackend()
    app = RecordingApp(backend, poll_seconds=60)
    async with app.run_test(size=SIZE) as pilot:
        screen = await loaded(app, pilot)
        uuid = backend.views[0].uuid
        assert cell(screen, uuid, "name") == EVIL_NAME_SHOWN
        assert cell(screen, uuid, "labels") == f"app={TITLE_AND_CLEAR_SHOWN}"
        assert cell(screen, "uuid-local-web", "name") == "web"  # ordinary text as it was
        hosts = str(screen.query_one("#hosts", Static).render())
        assert f"lab unreachable: refused{TITLE_AND_CLEAR_SHOWN}" in hosts
        assert [m for _, m in app.notes if m.startswith("host lab")] == [
            f"host lab is unreachable: refused{TITLE_AND_CLEAR_SHOWN}"]
        assert all(no_raw_control(m) for _, m in app.notes)
        rendered = app.export_screenshot()
        assert "\x1b" not in rendered and "pwned" in rendered
        await pilot.press("ctrl+d")  # delete the capsule under the cursor: the evil one
        dialog = app.screen
        assert isinstance(dialog, ConfirmDeleteScreen)
        question = str(dialog.query_one("#confirm-question", Label).render())
        assert question == f"Delete capsule {EVIL_NAME_SHOWN}?"
        assert EVIL_NAME_SHOWN in str(dialog.query_one("#confirm-list", Static).render())
        assert "\x1b" not in app.export_screenshot()
        await pilot.press("n")
        assert backend.deleted == []


async def test_the_detail_shows_the_name_and_labels_escaped() -> None:
    backend = HostileBackend()
    app = RecordingApp(backend, poll_seconds=60)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app, pilot)
        await pilot.press("enter")
        detail = app.screen
        assert isinstance(detail, CapsuleDetailScreen) and detail.capsule_name == EVIL_NAME
        await until(lambda: detail.detail is not None, pilot, what="the detail")
        summary = str(detail.query_one("#detail-summary", Static).render())
        assert summary.startswith(EVIL_NAME_SHOWN) and f"app={TITLE_AND_CLEAR_SHOWN}" in summary
        assert detail.sub_title == EVIL_NAME_SHOWN
        rendered = app.export_screenshot()
        assert "\x1b" not in rendered and "pwned" in rendered


async def test_the_event_log_escapes_and_never_reads_markup() -> None:
    backend = HostileBackend()
    app = RecordingApp(backend, poll_seconds=60)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app, pilot)
        await pilot.press("e")
        screen = app.screen
        assert isinstance(screen, EventLogScreen)
        await until(lambda: screen.table.row_count == 2, pilot, what="the events")
        first = [str(screen.table.get_cell("1", c)) for c in ("kind", "capsule", "host", "message")]
        assert first == ["failed", EVIL_NAME_SHOWN, "local", f"member exited: {TITLE_AND_CLEAR_SHOWN}"]
        second = [str(screen.table.get_cell("2", c)) for c in ("capsule", "host", "message")]
        assert second == [MARKUP, MARKUP, MARKUP]
        rendered = app.export_screenshot()
        assert "\x1b" not in rendered
        assert rendered.count("[bold&#160;red]loud[/]&#160;[@click=app.quit]quit[/]") == 2  # text, not markup


async def test_the_log_view_escapes_what_a_container_writes() -> None:
    backend = HostileBackend()
    app = RecordingApp(backend, poll_seconds=60)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app, pilot)
        await pilot.press("l")
        logs = app.screen
        assert isinstance(logs, LogsScreen)
        await until(lambda: len(logs.view.lines) == 1, pilot, what="the log line")
        line = logs.view.lines[0].text
        assert line.startswith(f"web{TITLE_AND_CLEAR_SHOWN} | \\x1b[2J\\x1b[Hcleared\\x1b]0;title\\x07 and")
        assert "\t" not in line and re.search(r"and +tab$", line)  # a tab is laid out by the view, not escaped
        assert "\x1b" not in app.export_screenshot()
        backend.logs_end.set()


async def test_the_services_screen_its_backends_and_its_delete_dialog_show_escapes() -> None:
    backend = HostileBackend()
    app = RecordingApp(backend, poll_seconds=60)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app, pilot)
        await pilot.press("v")
        screen = app.screen
        assert isinstance(screen, ServiceListScreen)
        await until(lambda: screen.table.row_count == 1, pilot, what="the Service")
        key = screen.table.ordered_rows[0].key
        cells = [str(screen.table.get_cell(key, c)) for c in ("name", "namespace", "type", "ports")]
        assert cells == [EVIL_NAME_SHOWN, f"ns{TITLE_AND_CLEAR_SHOWN}", f"ClusterIP{TITLE_AND_CLEAR_SHOWN}",
                         f"80->{TITLE_AND_CLEAR_SHOWN}/TCP"]
        problems = str(screen.query_one("#services-problems", Static).render())
        assert problems == f"✗ could not be asked: host lab: refused{TITLE_AND_CLEAR_SHOWN}"
        assert [m for _, m in app.notes if "could not be asked" in m] == [
            f"could not be asked: host lab: refused{TITLE_AND_CLEAR_SHOWN}"]
        await pilot.press("enter")
        backends = [[str(screen.backends.get_cell(r.key, c)) for c in ("capsule", "address")]
                    for r in screen.backends.ordered_rows]
        assert backends == [[EVIL_NAME_SHOWN, "10.89.0.2"], [MARKUP, "10.89.0.3"]]  # markup stays text
        caption = str(screen.query_one("#service-backends-caption", Static).render())
        assert f"selector app={TITLE_AND_CLEAR_SHOWN}" in caption
        rendered = app.export_screenshot()
        assert "\x1b" not in rendered and "pwned" in rendered
        assert "[bold&#160;red]loud[/]" in rendered
        await pilot.press("d")
        dialog = app.screen
        assert isinstance(dialog, ConfirmScreen)
        assert str(dialog.query_one("#confirm-question", Label).render()) == (
            f"Delete service {EVIL_NAME_SHOWN} in namespace ns{TITLE_AND_CLEAR_SHOWN}?")
        assert EVIL_NAME_SHOWN in str(dialog.query_one("#confirm-list", Static).render())
        assert "\x1b" not in app.export_screenshot()
        await pilot.press("y")
        await until(lambda: backend.deleted_services == [[(f"ns{TITLE_AND_CLEAR}", EVIL_NAME)]], pilot,
                    what="the delete, by the Service's real names")
        await until(lambda: any(m.startswith("deleted service") for _, m in app.notes), pilot, what="the note")
        assert all(no_raw_control(m) for _, m in app.notes)


async def test_the_details_show_a_hostile_namespace_workload_and_service_escaped() -> None:
    backend = HostileBackend()
    app = RecordingApp(backend, poll_seconds=60)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app, pilot)
        await pilot.press("enter")  # the evil capsule, in namespace ns<ESC…>, labelled app=<ESC…>
        detail = app.screen
        assert isinstance(detail, CapsuleDetailScreen) and detail.capsule_name == EVIL_NAME
        await until(lambda: detail.services is not None, pilot, what="its Services")
        summary = str(detail.query_one("#detail-summary", Static).render())
        assert f"namespace:      ns{TITLE_AND_CLEAR_SHOWN}\nworkload:       Deployment/{TITLE_AND_CLEAR_SHOWN}" \
            in summary
        services = str(detail.query_one("#detail-services", Static).render())
        assert services.startswith(f"{EVIL_NAME_SHOWN}  ClusterIP{TITLE_AND_CLEAR_SHOWN}  80->")
        assert f"could not be asked: host lab: refused{TITLE_AND_CLEAR_SHOWN}" in services
        assert "\x1b" not in app.export_screenshot()
