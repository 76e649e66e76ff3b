"""The event log screen with Pilot: `/` filter, one capsule's log (enter; `e` from its
details), the whole event (`v`; enter in one capsule's log), `d` to the details.

Against the stub backend (support.tui_fakes), whose events are a list the test
appends to while the screen follows it.
"""

from __future__ import annotations

from textual.widgets import Static

from capsule_tui.screens.capsule_detail import CapsuleDetailScreen
from capsule_tui.screens.capsule_list import CapsuleListScreen
from capsule_tui.screens.event_detail import EventDetailScreen
from capsule_tui.screens.event_log import EventLogScreen
from runtime.state.records import EventRecord
from support.tui_fakes import T0, StubBackend
from support.tui_pilot import SIZE, RecordingApp, loaded, until

LONG = ("Running -> Failed: member db exited with code 1: " + "the engine said: " + "x" * 60 + " " * 1
        + "and more words that no terminal row can hold " * 4 + "THE-END")


def backend_with_events() -> StubBackend:
    backend = StubBackend()
    backend.event_records += [
        EventRecord(3, T0 + 2, "db", "uuid-local-db", "local", "member_exited", "member db exited with code 1"),
        EventRecord(4, T0 + 3, "db", "uuid-local-db", "lab", "failed", LONG),
        EventRecord(5, T0 + 4, "web", "uuid-local-web", "local", "member_restarted", "member httpd restarted"),
    ]
    return backend


def row_keys(screen: EventLogScreen) -> list[str]:
    return [r.key.value for r in screen.table.ordered_rows]


async def open_log(app: RecordingApp, pilot) -> EventLogScreen:
    await loaded(app, pilot)
    await pilot.press("e")
    screen = app.screen
    assert isinstance(screen, EventLogScreen)
    await until(lambda: screen.table.row_count == 5, pilot, what="the history")
    return screen


async def test_slash_filters_by_words_kind_and_host_and_escape_clears_it() -> None:
    app = RecordingApp(backend_with_events(), poll_seconds=60)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_log(app, pilot)
        await pilot.press("slash")
        assert screen.filter_input.has_focus
        await pilot.press(*"db")
        await until(lambda: row_keys(screen) == ["3", "4"], pilot, what="the db events")
        await pilot.press("space", *"kind:fail")
        await until(lambda: row_keys(screen) == ["4"], pilot, what="db's failure")
        await pilot.press("enter")  # keeps the filter, back to the table
        assert screen.table.has_focus and screen.filter_input.display
        assert "filter: db kind:fail (1 of 5)" in screen.sub_title
        # New events pass the same filter.
        app.backend.event_records.append(EventRecord(6, T0 + 5, "db", "uuid-local-db", "local", "failed", "again"))
        app.backend.event_records.append(EventRecord(7, T0 + 6, "web", "uuid-local-web", "local", "failed", "no"))
        await until(lambda: len(screen.events) == 7, pilot, what="the new events")
        assert row_keys(screen) == ["4", "6"]
        await pilot.press("escape")  # clears the filter, stays
        assert isinstance(app.screen, EventLogScreen) and not screen.filter_input.display
        assert row_keys(screen) == ["1", "2", "3", "4", "5", "6", "7"]
        await pilot.press("slash", "at", *"lab")
        await until(lambda: row_keys(screen) == ["4"], pilot, what="the events of host lab")
        await pilot.press("escape", "escape")
        assert isinstance(app.screen, CapsuleListScreen)


async def test_enter_opens_the_capsules_own_log_where_enter_and_v_read_the_whole_event() -> None:
    backend = backend_with_events()
    app = RecordingApp(backend, poll_seconds=60)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_log(app, pilot)
        screen.table.move_cursor(row=3)  # event 4, of db
        await pilot.press("enter")
        own = app.screen
        assert isinstance(own, EventLogScreen) and own is not screen and own.capsule == "db"
        await until(lambda: row_keys(own) == ["3", "4"], pilot, what="db's own events")
        assert backend.event_names[-1] == "db"  # asked for db's history, not cut from everyone's
        assert own.sub_title == "events of db"
        # Cut in the table, whole in the dialog.
        assert own.table.cursor_row == 1
        await pilot.press("enter")
        dialog = app.screen
        assert isinstance(dialog, EventDetailScreen) and dialog.event.id == 4
        message = str(dialog.query_one("#event-message", Static).render())
        assert "THE-END" in message and message.startswith("Running -> Failed")
        facts = str(dialog.query_one("#event-facts", Static).render())
        assert "lab" in facts and "uuid-local-db" in facts and "failed" in facts
        await pilot.press("escape")
        assert app.screen is own
        await pilot.press("v")
        assert isinstance(app.screen, EventDetailScreen)
        await pilot.press("v")
        assert app.screen is own
        await pilot.press("escape")
        assert app.screen is screen


async def test_d_opens_the_events_capsule_and_e_in_the_details_its_events() -> None:
    backend = backend_with_events()
    app = RecordingApp(backend, poll_seconds=60)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_log(app, pilot)
        screen.table.move_cursor(row=4)  # event 5, of web
        await pilot.press("d")
        detail = app.screen
        assert isinstance(detail, CapsuleDetailScreen) and detail.uuid == "uuid-local-web"
        await pilot.press("e")
        own = app.screen
        assert isinstance(own, EventLogScreen) and own.capsule == "web"
        await until(lambda: row_keys(own) == ["1", "2", "5"], pilot, what="web's events")
        await pilot.press("escape")
        assert app.screen is detail


async def test_a_whole_message_in_the_dialog_is_escaped_text() -> None:
    backend = StubBackend()
    backend.event_records.append(EventRecord(3, T0 + 2, "web", "", "local", "failed",
                                             "[bold red]loud[/] \x1b]0;pwned\x07 " + "y" * 300))
    app = RecordingApp(backend, poll_seconds=60)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app, pilot)
        await pilot.press("e")
        screen = app.screen
        await until(lambda: screen.table.row_count == 3, pilot, what="the events")
        await pilot.press("v")
        dialog = app.screen
        assert isinstance(dialog, EventDetailScreen)
        message = str(dialog.query_one("#event-message", Static).render())
        assert "[bold red]loud[/]" in message and "\x1b" not in message and "y" * 300 in message.replace("\n", "")
        await pilot.press("escape", "d")  # no uuid: said, nothing opened
        assert app.screen is screen
