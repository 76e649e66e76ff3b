"""`v` (or enter in one capsule's log) on an event: the whole event, its message wrapped.

The log's table keeps each event to one line, and a long message (a failure that
quotes the engine, a placement reason) is cut at the screen's edge; this dialog shows
every field and all of the message, scrolling when it is longer than the screen.
Escape, `v` or `q` closes it. Every field is Text with its control characters escaped
(formatters/safe_text.py), never markup.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from capsule_tui.formatters.detail_text import when
from capsule_tui.formatters.safe_text import shown
from runtime.views import EventRecord


class EventDetailScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("v", "close", "Close", show=False),
        Binding("q", "close", "Close", show=False),
    ]

    def __init__(self, event: EventRecord) -> None:
        super().__init__()
        self.event = event

    def compose(self) -> ComposeResult:
        event = self.event
        facts = Text()
        for label, value in (("time", when(event.time)), ("kind", event.kind), ("capsule", event.capsule),
                             ("host", event.host or "-"), ("uuid", event.uuid or "-")):
            facts.append(f"{label:<8} ", style="bold")
            facts.append(shown(value))
            facts.append("\n")
        with Vertical(id="event-dialog"):
            yield Label(Text(f"event {event.id}"), id="event-title")
            facts.rstrip()  # in place
            yield Static(facts, id="event-facts")
            with VerticalScroll(id="event-message-box"):
                yield Static(Text(shown(event.message) or "(no message)"), id="event-message")
            yield Static("escape closes", id="event-note")

    def on_mount(self) -> None:
        self.query_one("#event-message-box", VerticalScroll).focus()  # the arrow keys scroll a long message

    def action_close(self) -> None:
        self.dismiss(None)
