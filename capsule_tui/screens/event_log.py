"""`e`: the event log of every capsule, live (created, started, member exits, failures…).

A worker follows `CapsuleService.events(follow=True)` — the recorded history first,
then new events as the hosts' event streams report them — and posts each one
here; the table keeps the newest MAX_ROWS and stays at the bottom unless the
cursor was moved up to read. Escape goes back. Every cell is Text (a str would be read
as markup) with its control characters escaped (formatters/safe_text.py).
"""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable, Footer, Header

from capsule_tui.formatters.detail_text import when
from capsule_tui.formatters.safe_text import shown
from capsule_tui.screens.base import CapsuleScreen
from runtime.views import EventRecord

HISTORY = 200
MAX_ROWS = 1000
KIND_STYLES = {"failed": "bold red", "member_exited": "yellow", "member_restarted": "yellow",
               "deleted": "dim", "created": "cyan", "started": "green", "status_changed": "blue"}


class EventLogScreen(CapsuleScreen):
    BINDINGS = [Binding("escape", "back", "Back")]

    class Arrived(Message):
        def __init__(self, event: EventRecord) -> None:
            super().__init__()
            self.event = event

    def __init__(self) -> None:
        super().__init__()
        self.events: list[EventRecord] = []

    @property
    def table(self) -> DataTable:
        return self.query_one("#events", DataTable)

    def compose(self) -> ComposeResult:
        yield Header()
        yield DataTable(id="events", cursor_type="row", zebra_stripes=True)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.sub_title = "events"
        for label in ("TIME", "KIND", "CAPSULE", "HOST", "MESSAGE"):
            self.table.add_column(label, key=label.lower())
        self.table.focus()
        self.follow_events()

    @work(group="events", exclusive=True, exit_on_error=False, description="following the events")
    async def follow_events(self) -> None:
        async for event in self.app.backend.events(limit=HISTORY):  # type: ignore[attr-defined]
            self.post_message(self.Arrived(event))

    def on_event_log_screen_arrived(self, message: Arrived) -> None:
        table, event = self.table, message.event
        at_bottom = table.row_count == 0 or table.cursor_row >= table.row_count - 1
        self.events.append(event)
        table.add_row(when(event.time), Text(shown(event.kind), style=KIND_STYLES.get(event.kind, "")),
                      Text(shown(event.capsule)), Text(shown(event.host or "-")), Text(shown(event.message)),
                      key=str(event.id))
        if len(self.events) > MAX_ROWS:
            table.remove_row(str(self.events.pop(0).id))
        if at_bottom:
            table.move_cursor(row=table.row_count - 1, animate=False)

    def action_back(self) -> None:
        self.app.pop_screen()
