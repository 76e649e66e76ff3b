"""`c` and `i`: one screen for YAML in, capsules out — typed, pasted, or loaded from a file.

`c` opens it on the editor (write or paste a capsule), `i` (and `:import`) on the
path field (load a Kubernetes manifest: a Pod, a Deployment, a Job, several
documents with their ConfigMaps and Secrets). Either way the text may be capsule
YAML or Kubernetes YAML: the keys differ only in where the cursor starts and the
title.

Left, the path field (`ctrl+o` goes there, enter loads, tab completes) and the
editor. Right, a moment after typing stops, what the text becomes: the validation
(`#validation`: every error and warning with its line, the counts), the placement
preview (`#placement`: the host each capsule would take and why, or that its name
is taken and where — from `CapsuleService.plan` and `names_taken`, asked in a worker),
the references to ConfigMaps and Secrets that are neither in the text nor stored
(`#references`, from `reference_problems`, asked with the placement: ctrl+s would be
refused naming them), the normalized capsules (`#preview`) and every field of the input with its line
(`#outcomes`: rejected and ignored first, with why, then applied). Validation runs in
a thread worker (translating a Kubernetes manifest imports the kubernetes package
once, which is slow); a stale result — the text changed since — is dropped.

`ctrl+s` hands the capsules to the app's creates (capsule_tui/create_jobs.py; the
backend stores the text's ConfigMaps and Secrets as `capsule create -f` does) and
closes: their rows show in the list at once, Starting, and go Running there, with
progress under the list and a notification at the end. A create that failed leaves
its text as the draft this screen opens with next.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Footer, Header, Input, Label, Static, TextArea
from textual.worker import get_current_worker

from capsule_tui.formatters.placement_preview import pending_text, placement_text
from capsule_tui.formatters.safe_text import shown
from capsule_tui.formatters.translation_report import Validation, outcomes_text, report_text, validate
from capsule_tui.screens.base import CapsuleScreen
from capsule_tui.widgets.path_input import PathInput

if TYPE_CHECKING:
    from translate.translation import Translation

DEBOUNCE_SECONDS = 0.4
EDITOR_FILE = "<editor>"
EMPTY_HINT = ("Type or paste YAML — a capsule, or Kubernetes manifests (Pod, Deployment, Job; several "
              "documents with their ConfigMaps and Secrets) — or load a file above (ctrl+o).")
TITLES = {"editor": "create capsules", "path": "create from a file (import a Kubernetes manifest)"}


class CreateCapsuleScreen(CapsuleScreen):
    BINDINGS = [
        Binding("ctrl+s", "create", "Create", priority=True),
        Binding("ctrl+o", "open_file", "Open file", priority=True),
        # In the editor escape first leaves it (TextArea's own use: tab indents there), then goes back.
        Binding("escape", "back", "Back"),
    ]
    VERB = "create"  # what valid YAML is for, in the report's words

    class Validated(Message):
        def __init__(self, result: Validation) -> None:
            super().__init__()
            self.result = result

    class Placed(Message):
        def __init__(self, text: str, plans: list, taken: dict, missing: list[str] | None = None) -> None:
            super().__init__()
            self.text = text  # the editor text the plan was made for
            self.plans = plans
            self.taken = taken
            self.missing = missing or []  # references that resolve nowhere, one line each

    def __init__(self, text: str = "", *, start: str = "editor") -> None:
        """`start`: "editor" (`c`) or "path" (`i`): where the cursor is, and the title."""
        super().__init__()
        self.initial_text = text
        self.start = start
        self.result: Validation | None = None
        self._debounce: Timer | None = None

    # -- parts ----------------------------------------------------------------

    @property
    def editor(self) -> TextArea:
        return self.query_one("#editor", TextArea)

    @property
    def path_input(self) -> Input:
        return self.query_one("#path", Input)

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="create-body"):
            with Vertical(id="create-left"):
                yield Label("YAML: a capsule, or Kubernetes manifests", classes="section")
                yield PathInput(placeholder="path of a YAML file or manifest (enter loads, tab completes)",
                                id="path")
                yield TextArea.code_editor(self.initial_text, id="editor", tab_behavior="indent")
            with VerticalScroll(id="create-right"):
                yield Label("Becomes", classes="section")
                yield Static(Text(EMPTY_HINT, style="dim"), id="validation")
                yield Static("", id="placement")
                yield Static("", id="references")
                yield Static("", id="preview")
                yield Label("Fields", classes="section")
                yield Static(Text("none yet", style="dim"), id="outcomes")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.sub_title = TITLES.get(self.start, TITLES["editor"])
        self.editor.indent_width = 2
        if not self.initial_text:
            draft = self.app.creates.take_draft()  # type: ignore[attr-defined]
            if draft is not None:  # the YAML of a create that failed: here to be fixed
                self.path_input.value = "" if draft.file == EDITOR_FILE else draft.file
                self.initial_text = draft.text
                self.editor.load_text(draft.text)
        if self.initial_text:
            self.validate_text(self.initial_text, self.file_label())
        (self.path_input if self.start == "path" else self.editor).focus()

    def file_label(self) -> str:
        return self.path_input.value.strip() or EDITOR_FILE

    # -- validation while typing ----------------------------------------------

    @on(TextArea.Changed, "#editor")
    def _typed(self) -> None:
        if self._debounce is not None:
            self._debounce.stop()
        self._debounce = self.set_timer(DEBOUNCE_SECONDS, self._validate_now)

    def _validate_now(self) -> None:
        self.validate_text(self.editor.text, self.file_label())

    @work(thread=True, group="validate", exclusive=True, exit_on_error=False, description="checking the YAML")
    def validate_text(self, text: str, file: str) -> None:
        result = validate(text, file, lines=True)
        if not get_current_worker().is_cancelled:
            self.post_message(self.Validated(result))

    def on_create_capsule_screen_validated(self, message: Validated) -> None:
        if message.result.text != self.editor.text:
            return  # typed on since: a newer validation is on its way
        self.result = message.result
        self.show_validation(message.result)
        placement = self.query_one("#placement", Static)
        if message.result.translation is not None:
            placement.update(pending_text())
            self.plan_placement(message.result)
        else:
            placement.update("")
        self.query_one("#references", Static).update("")

    def show_validation(self, result: Validation) -> None:
        report = report_text(result, verb=self.VERB) if result.text.strip() else Text(EMPTY_HINT, style="dim")
        self.query_one("#validation", Static).update(report)
        self.query_one("#preview", Static).update(Text(shown(result.yaml, block=True)))  # YAML is not markup
        fields = outcomes_text(result)
        self.query_one("#outcomes", Static).update(fields if fields.plain else Text("none", style="dim"))

    @work(group="placement", exclusive=True, exit_on_error=False, description="previewing the placement")
    async def plan_placement(self, result: Validation) -> None:
        backend = self.app.backend  # type: ignore[attr-defined]
        names = [c.name for c in result.translation.capsules]  # type: ignore[union-attr]
        plans, taken = await asyncio.gather(backend.plan(result.translation), backend.names_taken(names))
        check = getattr(backend, "reference_problems", None)
        missing = await check(result.translation) if check is not None else []
        self.post_message(self.Placed(result.text, plans, taken, missing))

    def on_create_capsule_screen_placed(self, message: Placed) -> None:
        if message.text == self.editor.text:
            self.query_one("#placement", Static).update(placement_text(message.plans, message.taken))
            self.query_one("#references", Static).update(missing_text(message.missing))

    # -- loading a file -------------------------------------------------------

    def action_open_file(self) -> None:
        self.set_focus(self.path_input)

    @on(Input.Submitted, "#path")
    def _load_file(self, event: Input.Submitted) -> None:
        path = Path(event.value.strip()).expanduser()
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            self.app.notify(f"cannot load {event.value.strip()}: {reason}", severity="error")
            return
        self.editor.load_text(text)
        self.set_focus(self.editor)

    # -- creating: handed to the app, the screen closes -------------------------

    def action_create(self) -> None:
        if self.busy("create"):
            return  # ctrl+s twice: the first is being checked and handed over
        self.hand_over(self.editor.text, self.file_label())

    @work(group="create", exclusive=True, exit_on_error=False, description="checking the YAML to create")
    async def hand_over(self, text: str, file: str) -> None:
        translation = await self.checked(text, file, refused="nothing created")
        if translation is None:
            return
        self.app.creates.start(translation, text, file)  # type: ignore[attr-defined]
        if self.app.screen is self:
            self.app.pop_screen()

    async def checked(self, text: str, file: str, *, refused: str) -> Translation | None:
        """The editor's text validated once more (what ctrl+s acts on), shown on the right side;
        None, with `refused` and the reason said, when there is nothing to act on."""
        result = await asyncio.to_thread(validate, text, file, lines=True)
        self.post_message(self.Validated(result))
        if result.translation is None:
            problem = "the editor is empty" if not text.strip() else "the YAML has errors (see the right side)"
            self.app.notify(f"{refused}: {problem}", severity="error")
        return result.translation

    def action_back(self) -> None:
        self.app.pop_screen()


def missing_text(problems: list[str]) -> Text:
    """The references ctrl+s would be refused for, each naming its field and namespace/name/key."""
    text = Text()
    if problems:
        text.append(f"✗ {len(problems)} reference(s) resolve nowhere; ctrl+s would create nothing:\n",
                    style="bold red")
        for problem in problems:
            text.append(f"  {shown(problem)}\n", style="red")
        text.rstrip()
    return text
