"""What the create (`c`) and import (`i`) screens share: YAML in, capsules checked, placed, created.

Both have a path field (`ctrl+o` goes there, enter loads the file, tab completes)
and an editor holding the YAML; both show, a moment after typing stops, what the
text becomes: the validation report (`#validation`), the placement preview
(`#placement`, from `CapsuleService.plan`, asked in a worker) and the normalized
capsules (`#preview`). Validation runs in a thread worker (translating a Kubernetes
manifest imports the kubernetes package once, which is slow) and a stale result —
the text changed since — is dropped. `ctrl+s` creates through the backend in a
worker, with progress (pulls, members starting) in the `#progress` log; on success
the screen closes and the list shows the new capsules.

Subclasses lay the parts out (`compose`) and may show more of a validation
(`show_validation`); they must keep the ids above.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.binding import Binding
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Input, RichLog, Static, TextArea
from textual.worker import get_current_worker

from capsule_tui.formatters.placement_preview import pending_text, placement_text
from capsule_tui.formatters.safe_text import shown
from capsule_tui.formatters.translation_report import Validation, report_text, validate
from capsule_tui.screens.base import CapsuleScreen

DEBOUNCE_SECONDS = 0.4
EDITOR_FILE = "<editor>"


class TranslateFlowScreen(CapsuleScreen):
    BINDINGS = [
        Binding("ctrl+s", "create", "Create", priority=True),
        Binding("ctrl+o", "open_file", "Open file", priority=True),
        Binding("escape", "back", "Back"),
    ]
    # The import screen lists every field's outcome with its line; create only counts them.
    OUTCOME_LINES = False

    class Validated(Message):
        def __init__(self, result: Validation) -> None:
            super().__init__()
            self.result = result

    class Placed(Message):
        def __init__(self, text: str, plans: list) -> None:
            super().__init__()
            self.text = text  # the editor text the plan was made for
            self.plans = plans

    class Progress(Message):
        def __init__(self, line: str) -> None:
            super().__init__()
            self.line = line

    def __init__(self, text: str = "") -> None:
        super().__init__()
        self.initial_text = text
        self.result: Validation | None = None
        self._debounce: Timer | None = None

    # -- parts ----------------------------------------------------------------

    @property
    def editor(self) -> TextArea:
        return self.query_one("#editor", TextArea)

    @property
    def path_input(self) -> Input:
        return self.query_one("#path", Input)

    @property
    def progress(self) -> RichLog:
        return self.query_one("#progress", RichLog)

    def on_mount(self) -> None:
        # Subclasses' own on_mount runs as well (Textual calls every class's handler).
        self.editor.indent_width = 2
        self.progress.display = False
        if self.initial_text:
            self.validate_text(self.initial_text, self.file_label())

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
        result = validate(text, file, lines=self.OUTCOME_LINES)
        if not get_current_worker().is_cancelled:
            self.post_message(self.Validated(result))

    def on_translate_flow_screen_validated(self, message: Validated) -> None:
        if message.result.text != self.editor.text:
            return  # typed on since: a newer validation is on its way
        self.result = message.result
        self.show_validation(message.result)
        placement = self.query_one("#placement", Static)
        if message.result.translation is not None and not self.busy("create"):
            placement.update(pending_text())
            self.plan_placement(message.result)
        else:
            placement.update("")

    def show_validation(self, result: Validation) -> None:
        self.query_one("#validation", Static).update(report_text(result))
        self.query_one("#preview", Static).update(Text(shown(result.yaml, block=True)))  # YAML is not markup

    @work(group="placement", exclusive=True, exit_on_error=False, description="previewing the placement")
    async def plan_placement(self, result: Validation) -> None:
        plans = await self.app.backend.plan(result.translation)  # type: ignore[attr-defined]
        self.post_message(self.Placed(result.text, plans))

    def on_translate_flow_screen_placed(self, message: Placed) -> None:
        if message.text == self.editor.text:
            self.query_one("#placement", Static).update(placement_text(message.plans))

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

    # -- creating -------------------------------------------------------------

    def action_create(self) -> None:
        if self.busy("create"):
            self.app.notify("a create is already under way", severity="warning")
            return
        self.create_capsules(self.editor.text, self.file_label())

    @work(group="create", exclusive=True, exit_on_error=False, description="creating capsules")
    async def create_capsules(self, text: str, file: str) -> None:
        from runtime.create_flow import CreateErrors
        from runtime.errors import CapsuleError

        result = await asyncio.to_thread(validate, text, file, lines=self.OUTCOME_LINES)
        self.post_message(self.Validated(result))
        if result.translation is None:
            problem = "the editor is empty" if not text.strip() else "the YAML has errors (see the right side)"
            self.app.notify(f"nothing created: {problem}", severity="error")
            return
        self.progress.display = True
        names = ", ".join(c.name for c in result.translation.capsules)
        self.post_message(self.Progress(f"creating {names}…"))

        def on_progress(capsule: str, event: object) -> None:
            container = getattr(event, "container", "")
            who = f"{getattr(event, 'kind', '')} {container}: " if container else ""
            self.post_message(self.Progress(f"{capsule}: {who}{getattr(event, 'text', event)}"))

        try:
            created = await self.app.backend.create(result.translation, on_progress)  # type: ignore[attr-defined]
        except CreateErrors as exc:
            for item in exc.results:
                line = f"{item.name}: {item.error}" if item.error else f"{item.name}: {item.status} on {item.host}"
                self.post_message(self.Progress(line))
                if item.error:
                    self.app.notify(str(item.error), title="create failed", severity="error",
                                    timeout=10)
            return
        except CapsuleError as exc:  # one capsule failed, or the input was refused: stay to fix it
            self.post_message(self.Progress(f"failed: {exc}"))
            self.app.notify(str(exc), title="create failed", severity="error", timeout=10)
            return
        summary = ", ".join(f"{r.name} {r.status} on {r.host}" for r in created)
        self.app.notify(shown(f"created {summary}"), title="create")
        self.app.pop_screen()

    def on_translate_flow_screen_progress(self, message: Progress) -> None:
        self.progress.write(Text(shown(message.line)))  # engine words (pulls, errors): escaped, never markup

    def action_back(self) -> None:
        if self.busy("create"):
            self.app.notify("a create is under way; wait for it (its progress is below)", severity="warning")
            return
        self.app.pop_screen()
