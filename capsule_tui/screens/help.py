"""`?`: the keys of every screen, in one place. Escape or `?` closes it."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

SECTIONS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    ("Capsule list", (
        ("enter", "details of the selected capsule"),
        ("/", "filter: words match names, KEY=VALUE labels (KEY=* any value), @host one host"),
        ("escape", "clear the filter"),
        ("s", "sort by the next column (or click a header; click again to reverse)"),
        ("S", "reverse the sort"),
        ("C M", "sort by CPU, by MEM: highest first, rows without figures last; the same key reverses"),
        ("j k", "down, up (and the arrow keys)"),
        ("g G", "first row, last row (and Home, End)"),
        ("space", "mark or unmark the selected capsule"),
        ("a", "mark every capsule shown (all matching the filter); again to unmark"),
        ("ctrl+d", "delete the marked capsules, or the selected one (asks first: y / n)"),
        ("D", "delete every capsule the filter shows, e.g. after /app=web (asks first)"),
        ("l", "the merged logs of the selected capsule's members"),
        ("e", "the event log of every capsule, live"),
        ("h", "the hosts: reachability, engine, capacity and allocation"),
        ("v", "the Services of the applications: type, ports, address, backends ready/total"),
        ("c", "create capsules from YAML: typed, pasted or loaded (capsule or Kubernetes)"),
        ("i", "the same screen, starting in its path field: load a Kubernetes manifest"),
        ("r", "refresh now (the list also refreshes every 2 seconds)"),
        ("o x", "start, stop the marked capsules, or the selected one (stop asks first)"),
        ("R p", "restart (asks first); pause, or unpause a paused capsule"),
        ("E", "run a command in a member (empty: a shell); the terminal is handed over"),
        ("u b", "update the selected capsule from YAML (checked as you type); roll it back (asks first)"),
    )),
    ("Details", (
        ("", "shows the host and why the scheduler chose it (as recorded at create)"),
        ("y", "the normalized spec as YAML (secrets appear as references only)"),
        ("l", "logs"),
        ("e", "this capsule's events, live"),
        ("o x R p", "start, stop, restart, pause/unpause this capsule"),
        ("E u b", "run a command in a member, update from YAML, roll back"),
        ("r", "refresh now"),
        ("escape", "back"),
    )),
    ("Events", (
        ("/", "filter: capsule or message words, kind:KIND (or failed, member_exited, ...), @host (escape clears)"),
        ("enter", "that capsule's events alone; there, the whole event"),
        ("v", "the whole event: every field, the message wrapped (long ones are cut in the table)"),
        ("d", "the details of the event's capsule"),
        ("escape", "back"),
    )),
    ("Logs", (
        ("/", "search: only matching lines, matches highlighted (escape clears)"),
        ("m", "one container at a time: each member (silent ones too), then each init container; then all"),
        ("f", "pause or resume following"),
        ("w", "wrap long lines or not"),
        ("t", "show the engine's timestamps (lines are in time order across members either way)"),
        ("escape", "back"),
    )),
    ("Create and import", (
        ("ctrl+o", "go to the path field to open a file"),
        ("enter", "in the path field: load that file into the editor (tab or → completes)"),
        ("ctrl+s", "create them: the list shows their rows Starting → Running, progress under it"),
        ("", "a failed create says why in a notification; c brings its YAML back to fix"),
        ("escape", "leave the editor; again: back to the list"),
    )),
    ("Services", (
        ("/", "filter: words match namespace/name, KEY=VALUE the selector, @host one host"),
        ("enter", "the selected Service's backends: each capsule, its address and port"),
        ("d", "delete the selected Service (asks first; the capsules it selects stay)"),
        ("r", "ask every host again (also every 5 seconds)"),
        ("escape", "close the backends, then clear the filter, then back"),
    )),
    ("Hosts", (
        ("a", "add a host: name, URL, TLS files, labels, sandbox image, insecure (ctrl+s adds)"),
        ("ctrl+d", "remove the selected host from the inventory (asks first; its containers stay)"),
        ("r", "ask every host again"),
    )),
    ("Everywhere", (
        ("?", "this help"),
        ("ctrl+p :", "commands: :capsules :hosts :services :events :create :import :help"),
        ("q", "quit (outside text fields); while a create runs it asks first"),
        ("ctrl+c", "quit (a text field with a selection copies it instead)"),
    )),
)
FOOTNOTE = "The list's filter and sort order, the screen and the selected capsule are remembered for the next run."


def help_text() -> Text:
    text = Text()
    for title, keys in SECTIONS:
        text.append(f"{title}\n", style="bold underline")
        for key, does in keys:
            text.append(f"  {key:<8}", style="bold yellow")
            text.append(f"{does}\n")
        text.append("\n")
    text.append(FOOTNOTE, style="dim")
    return text


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("question_mark", "close", "Close", show=False),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body"):
            yield Static(help_text(), id="help-text")

    def action_close(self) -> None:
        self.dismiss(None)
