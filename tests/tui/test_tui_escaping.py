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
from capsule_tui.screens.confirm_delete import ConfirmDeleteScreen
from capsule_tui.screens.event_log import EventLogScreen
from runtime.ops.logs import MemberLogLine
from runtime.state.records import EventRecord
from support.tui_fakes import T0, StubBackend, sample_views, view
from support.tui_pilot import SIZE, RecordingApp, cell, loaded, until

TITLE_AND_CLEAR = "\x1b]0;pwned\x07\x1b[2J"
TITLE_AND_CLEAR_SHOWN = r"\x1b]0;pwned\x07\x1b[2J"
EVIL_NAME = "aaa-evil\nname\x1b[31m"  # first in name order: the row the cursor starts on
EVIL_NAME_SHOWN = r"aaa-evil\nname\x1b[31m"
MARKUP = "[bold red]loud[/] [@click=app.quit]quit[/]"  # markup, if anything read it as markup


class HostileBackend(StubBackend):
    def __init__(self) -> None:
        evil = view(EVIL_NAME, labels={"app": TITLE_AND_CLEAR})
        super().__init__([evil, *sample_views()],
                         [HostState("local", REACHABLE), HostState("lab", UNREACHABLE, f"refused{TITLE_AND_CLEAR}")])
        self.event_records = [EventRecord(1, T0, EVIL_NAME, evil.uuid, "local", "failed",
                                          f"member exited: {TITLE_AND_CLEAR}"),
                              EventRecord(2, T0 + 1, MARKUP, "u2", MARKUP, "created", MARKUP)]

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
