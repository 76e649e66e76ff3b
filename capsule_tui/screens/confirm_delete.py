"""The confirmations before something goes: a yes/no dialog that answers True only on `y`.

`ConfirmScreen` is the dialog (a question, what it concerns, a note); the list
screen's `ConfirmDeleteScreen` names every capsule with its host, the hosts screen
asks before removing a host. `n`, `escape` or the No button answer False; nothing
is deleted here — the screen that asked acts (in a worker) when the answer is True.
The question and the list are Text, never markup; the screens that ask escape the names
in them (formatters/safe_text.py).
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from capsule_tui.formatters.safe_text import shown
from runtime.views import CapsuleView

LISTED = 12  # more than this many capsules are summarized as "… and N more"


class ConfirmScreen(ModalScreen[bool]):
    BINDINGS = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n", "answer(False)", "No"),
        Binding("escape", "answer(False)", "Cancel", show=False),
    ]

    def __init__(self, question: str, listed: str | Text, note: str, *, yes: str = "Yes (y)") -> None:
        super().__init__()
        self.question, self.listed, self.note, self.yes = question, listed, note, yes

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-dialog"):
            yield Label(Text(self.question), id="confirm-question")
            yield Static(Text(self.listed) if isinstance(self.listed, str) else self.listed, id="confirm-list")
            yield Static(self.note, id="confirm-note")
            with Horizontal(id="confirm-buttons"):
                yield Button(self.yes, variant="error", id="yes")
                yield Button("Cancel (n)", variant="primary", id="no")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()  # the safe answer is the default

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class ConfirmDeleteScreen(ConfirmScreen):
    def __init__(self, views: list[CapsuleView], *, matching: str = "") -> None:
        count = len(views)
        what = f"capsule {shown(views[0].name)}" if count == 1 else f"these {count} capsules"
        if matching:  # the filter, when every capsule it shows goes
            what = f"every capsule matching {shown(matching)} ({count})"
        listed = "\n".join(shown(f"  {v.name}  on {v.host}  ({v.status})") for v in views[:LISTED])
        if count > LISTED:
            listed += f"\n  … and {count - LISTED} more"
        super().__init__(f"Delete {what}?", listed,
                         "Their containers and capsule volumes are removed; persistent volumes are kept.",
                         yes="Delete (y)")
        self.views = views
        self.matching = matching
