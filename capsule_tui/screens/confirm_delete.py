"""The delete confirmation: names what will go, and answers True only on `y`.

`n`, `escape` or the No button answer False; nothing is deleted here — the list
screen deletes (in a worker) when the answer is True.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from runtime.views import CapsuleView


class ConfirmDeleteScreen(ModalScreen[bool]):
    BINDINGS = [
        Binding("y", "answer(True)", "Yes, delete"),
        Binding("n", "answer(False)", "No"),
        Binding("escape", "answer(False)", "Cancel", show=False),
    ]

    def __init__(self, views: list[CapsuleView]) -> None:
        super().__init__()
        self.views = views

    def compose(self) -> ComposeResult:
        count = len(self.views)
        what = f"capsule {self.views[0].name}" if count == 1 else f"these {count} capsules"
        listed = "\n".join(f"  {v.name}  on {v.host}  ({v.status})" for v in self.views[:12])
        if count > 12:
            listed += f"\n  … and {count - 12} more"
        with Vertical(id="confirm-dialog"):
            yield Label(f"Delete {what}?", id="confirm-question")
            yield Static(Text(listed), id="confirm-list")
            yield Static("Their containers and capsule volumes are removed; persistent volumes are kept.",
                         id="confirm-note")
            with Horizontal(id="confirm-buttons"):
                yield Button("Delete (y)", variant="error", id="yes")
                yield Button("Cancel (n)", variant="primary", id="no")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()  # the safe answer is the default

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
