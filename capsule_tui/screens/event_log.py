"""`e`: the event log of every capsule, live (created, started, member exits, failures…);
from a capsule's details, `e` again: the log of that capsule alone.

A worker follows `CapsuleService.events(follow=True)` — the recorded history first,
then new events as the hosts' event streams report them — and posts each one
here; the screen keeps the newest MAX_ROWS and the table shows those the filter
keeps, staying at the bottom unless the cursor was moved up to read.

Keys: `/` filter (capsule name or message words, `kind:KIND`, `@host`:
formatters/event_filter.py; enter keeps it, escape clears it); enter on an event: that
capsule's own log (in a capsule's log: the whole event); `v` the whole event, its
message wrapped (screens/event_detail.py), since a long message is cut at the screen's
edge; `d` the capsule's details. Escape goes back. Every cell is Text (a str would be
read as markup) with its control characters escaped (formatters/safe_text.py).
"""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable, Footer, Header, Input

from capsule_tui.formatters.detail_text import when
from capsule_tui.formatters.event_filter import EventFilter, parse_event_filter
from capsule_tui.formatters.safe_text import shown
from capsule_tui.screens.base import CapsuleScreen
from runtime.views import EventRecord

HISTORY = 200
MAX_ROWS = 1000
KIND_STYLES = {"failed": "bold red", "member_exited": "yellow", "member_restarted": "yellow",
               "deleted": "dim", "created": "cyan", "started": "green", "status_changed": "blue"}


class EventLogScreen(CapsuleScreen):
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("slash", "filter", "Filter", key_display="/"),
        Binding("v", "read", "Read event"),
        Binding("d", "details", "Details"),
    ]

    class Arrived(Message):
        def __init__(self, event: EventRecord) -> None:
            super().__init__()
            self.event = event

    def __init__(self, capsule: str | None = None) -> None:
        """`capsule`: only this capsule's events (its name: events outlive the capsule's uuid)."""
        super().__init__()
        self.capsule = capsule
        self.events: list[EventRecord] = []
        self.chosen: EventFilter = EventFilter()

    @property
    def table(self) -> DataTable:
        return self.query_one("#events", DataTable)

    @property
    def filter_input(self) -> Input:
        return self.query_one("#event-filter", Input)

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(placeholder="filter: capsule or message words, kind:KIND, @host (enter keeps it, escape clears)",
                    id="event-filter")
        yield DataTable(id="events", cursor_type="row", zebra_stripes=True)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.sub_title = f"events of {self.capsule}" if self.capsule else "events"
        self.filter_input.display = False
        for label in ("TIME", "KIND", "CAPSULE", "HOST", "MESSAGE"):
            self.table.add_column(label, key=label.lower())
        self.table.focus()
        self.follow_events()

    @work(group="events", exclusive=True, exit_on_error=False, description="following the events")
    async def follow_events(self) -> None:
        backend = self.app.backend  # type: ignore[attr-defined]
        stream = backend.events(limit=HISTORY, name=self.capsule) if self.capsule else backend.events(limit=HISTORY)
        async for event in stream:
            self.post_message(self.Arrived(event))

    # -- rows -------------------------------------------------------------------------

    def shows(self, event: EventRecord) -> bool:
        return (self.capsule is None or event.capsule == self.capsule) and self.chosen.matches(event)

    def _add_row(self, event: EventRecord) -> None:
        self.table.add_row(when(event.time), Text(shown(event.kind), style=KIND_STYLES.get(event.kind, "")),
                           Text(shown(event.capsule)), Text(shown(event.host or "-")), Text(shown(event.message)),
                           key=str(event.id))

    def on_event_log_screen_arrived(self, message: Arrived) -> None:
        table, event = self.table, message.event
        at_bottom = table.row_count == 0 or table.cursor_row >= table.row_count - 1
        self.events.append(event)
        if self.shows(event):
            self._add_row(event)
        if len(self.events) > MAX_ROWS:
            oldest = self.events.pop(0)
            if str(oldest.id) in table.rows:
                table.remove_row(str(oldest.id))
        if at_bottom and table.row_count:
            table.move_cursor(row=table.row_count - 1, animate=False)

    def _show_rows(self) -> None:
        """The filter changed: the table again, from the events kept; the cursor on the newest."""
        table = self.table
        table.clear()
        for event in self.events:
            if self.shows(event):
                self._add_row(event)
        if table.row_count:
            table.move_cursor(row=table.row_count - 1, animate=False)
        shown_of = f"{table.row_count} of {len(self.events)}"
        base = f"events of {self.capsule}" if self.capsule else "events"
        self.sub_title = f"{base}, filter: {self.chosen.text} ({shown_of})" if self.chosen else base

    def current_event(self) -> EventRecord | None:
        table = self.table
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((e for e in self.events if str(e.id) == key), None)

    # -- the filter -------------------------------------------------------------------

    def action_filter(self) -> None:
        self.filter_input.display = True
        self.set_focus(self.filter_input)

    @on(Input.Changed, "#event-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.chosen = parse_event_filter(event.value)
        self._show_rows()

    @on(Input.Submitted, "#event-filter")
    def _filter_done(self) -> None:
        self.filter_input.display = bool(self.filter_input.value)
        self.set_focus(self.table)

    # -- going somewhere ----------------------------------------------------------------

    @on(DataTable.RowSelected, "#events")
    def _selected(self) -> None:
        """Enter: the capsule's own log; in that log, the whole event."""
        event = self.current_event()
        if event is None:
            return
        if self.capsule is None:
            self.app.push_screen(EventLogScreen(event.capsule))
        else:
            self.action_read()

    def action_read(self) -> None:
        from capsule_tui.screens.event_detail import EventDetailScreen

        event = self.current_event()
        if event is not None:
            self.app.push_screen(EventDetailScreen(event))

    def action_details(self) -> None:
        from capsule_tui.screens.capsule_detail import CapsuleDetailScreen

        event = self.current_event()
        if event is None:
            return
        if not event.uuid:
            self.app.notify(f"event {event.id} names no capsule uuid (recorded by an older capsule); "
                            f"find {shown(event.capsule)} in the list", severity="warning", markup=False)
            return
        self.app.push_screen(CapsuleDetailScreen(event.capsule, event.uuid))

    def action_back(self) -> None:
        if self.chosen or self.filter_input.display:
            self.filter_input.value = ""
            self.filter_input.display = False
            self.chosen = EventFilter()
            self._show_rows()
            self.set_focus(self.table)
            return
        self.app.pop_screen()
