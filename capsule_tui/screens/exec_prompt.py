"""`E`: which member, and what to run in it. Answers (member, command) or None.

The members come from the capsule's details (a worker asks the backend), running
ones first; with several, the list picks one (↑ ↓, as the logs screen's `m` goes
through them), with one it is the only choice. The command field takes a command
line (split as a shell would, `shlex`); empty opens a shell (sh)
(capsule_tui/actions/exec_terminal.py). Enter runs, escape cancels. Nothing runs here.
"""

from __future__ import annotations

import shlex

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from capsule_tui.formatters.safe_text import shown
from capsule_tui.screens.base import WorkerFailures


class ExecPromptScreen(WorkerFailures, ModalScreen[tuple[str, list[str]] | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, name: str, uuid: str) -> None:
        super().__init__()
        self.capsule_name, self.uuid = name, uuid
        self.members: list[tuple[str, str]] = []  # (name, state), running first

    @property
    def picker(self) -> OptionList:
        return self.query_one("#exec-members", OptionList)

    @property
    def command_input(self) -> Input:
        return self.query_one("#exec-command", Input)

    def compose(self) -> ComposeResult:
        with Vertical(id="exec-dialog"):
            yield Label(Text(f"Run in {shown(self.capsule_name)}"), id="exec-title")
            yield Static(Text("members: loading…", style="dim"), id="exec-members-note")
            yield OptionList(id="exec-members")
            yield Input(placeholder="command, e.g. ls -l /  (empty: a shell)", id="exec-command")
            yield Static(Text("enter runs (the terminal is handed over; enter after it comes back) · "
                              "↑ ↓ member · escape cancels", style="dim"))

    def on_mount(self) -> None:
        self.picker.display = False
        self.set_focus(self.command_input)
        self.load_members()

    @work(group="exec-members", exclusive=True, exit_on_error=False, description="listing the capsule's members")
    async def load_members(self) -> None:
        detail = await self.app.backend.describe(self.capsule_name, self.uuid)  # type: ignore[attr-defined]
        found = [(m.name, m.state) for m in detail.members if m.role == "member"]
        self.members = sorted(found, key=lambda m: m[1] != "running")  # stable: spec order within each
        note = self.query_one("#exec-members-note", Static)
        if not self.members:
            note.update(Text("this capsule has no members", style="bold red"))
            return
        if len(self.members) == 1:
            name, state = self.members[0]
            note.update(Text(shown(f"member: {name} ({state})")))
            return
        note.update(Text("member (↑ ↓):"))
        self.picker.add_options(Option(Text(shown(f"{name}  ({state})")), id=name) for name, state in self.members)
        self.picker.highlighted = 0
        self.picker.display = True

    def chosen_member(self) -> str | None:
        if len(self.members) == 1:
            return self.members[0][0]
        index = self.picker.highlighted
        return self.members[index][0] if self.members and index is not None else None

    def on_key(self, event) -> None:  # type: ignore[no-untyped-def]
        # ↑ ↓ move the member while the command field keeps the focus (it has no use for them).
        if event.key in ("up", "down") and self.picker.display:
            self.picker.action_cursor_up() if event.key == "up" else self.picker.action_cursor_down()
            event.stop()

    @on(Input.Submitted, "#exec-command")
    def _run(self, event: Input.Submitted) -> None:
        member = self.chosen_member()
        if member is None:
            self.app.notify("no member to run it in (still loading, or the capsule has none)", severity="warning")
            return
        try:
            command = shlex.split(event.value)
        except ValueError as exc:  # an unclosed quote
            self.app.notify(f"the command cannot be read: {exc}", severity="error")
            return
        self.dismiss((member, command))

    @on(OptionList.OptionSelected, "#exec-members")
    def _picked(self) -> None:
        self.set_focus(self.command_input)

    def action_cancel(self) -> None:
        self.dismiss(None)
