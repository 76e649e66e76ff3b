"""`u`: update a running capsule from YAML, as `capsule update NAME -f FILE`, checked while typing.

The create screen's layout and flow (screens/create_capsule.py): the path field
loads a file, the editor starts with the capsule's running spec (the normalized
document, secret references only), and a moment after typing stops the right side
shows the validation, where the new revision goes and the normalized capsule.
Unlike a create it stays open while it works: the update's progress is below. `ctrl+s`
asks first (the running capsule is stopped and replaced; the IP may change), then
switches it over in a worker (runtime/update.py through the backend, progress
below); when the new revision fails, the old one is restored and the reason is a
notification. The input must define this capsule (its name), and may define the
Secrets it uses.
"""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import RichLog, Static

from capsule_tui.formatters.safe_text import shown
from capsule_tui.formatters.translation_report import Validation
from capsule_tui.screens.create_capsule import CreateCapsuleScreen


class UpdateCapsuleScreen(CreateCapsuleScreen):
    # Same keys as create; ctrl+s updates here (CreateCapsuleScreen binds it to action_create).
    BINDINGS = [Binding("ctrl+s", "create", "Update", priority=True)]
    VERB = "update"

    class Progress(Message):
        def __init__(self, line: str) -> None:
            super().__init__()
            self.line = line

    def __init__(self, name: str, uuid: str, host: str, text: str = "") -> None:
        super().__init__(text, start="editor")
        self.capsule_name, self.uuid, self.host = name, uuid, host
        self.updated_uuid: str | None = None  # the new revision's, once switched over

    @property
    def progress(self) -> RichLog:
        return self.query_one("#progress", RichLog)

    def compose(self) -> ComposeResult:
        yield from super().compose()
        yield RichLog(id="progress", max_lines=500, wrap=True, markup=False, highlight=False)

    def on_mount(self) -> None:
        # Not the create's: no create's draft is taken over here.
        self.sub_title = shown(f"update {self.capsule_name}")
        self.editor.indent_width = 2
        self.path_input.placeholder = f"path of the YAML defining {self.capsule_name} (enter loads)"
        self.progress.display = False
        self.editor.focus()
        if self.initial_text:
            self.validate_text(self.initial_text, self.file_label())
        else:
            self.load_running_spec()

    def on_update_capsule_screen_progress(self, message: Progress) -> None:
        self.progress.write(Text(shown(message.line)))  # engine words (pulls, errors): escaped, never markup

    @work(group="spec", exclusive=True, exit_on_error=False, description="loading the running spec")
    async def load_running_spec(self) -> None:
        from capsule_tui.screens.spec_yaml import masked_spec
        from translate.output import to_yaml

        spec = await self.app.backend.spec(self.uuid)  # type: ignore[attr-defined]
        if spec and not self.editor.text:  # not over what was typed or loaded meanwhile
            self.editor.load_text(to_yaml([masked_spec(spec)]))

    def plan_placement(self, result: Validation) -> None:
        # Not the scheduler's choice: an update builds the new revision on the capsule's own host.
        names = [c.name for c in result.translation.capsules] if result.translation else []
        text = (f"{self.capsule_name} stays on {self.host}: an update builds the new revision on its host"
                if self.capsule_name in names else
                f"the input does not define capsule {self.capsule_name} (it defines: {', '.join(names) or 'none'}); "
                f"ctrl+s would be refused")
        self.query_one("#placement", Static).update(Text(shown(text), style="" if self.capsule_name in names
                                                          else "bold red"))

    # -- ctrl+s: confirm, then switch over ---------------------------------------------

    def action_create(self) -> None:
        from capsule_tui.screens.confirm_delete import ConfirmScreen

        if self.busy("create"):
            self.app.notify("an update is already under way", severity="warning")
            return
        text, file = self.editor.text, self.file_label()

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.update_capsule(text, file)

        self.app.push_screen(ConfirmScreen(
            f"Update capsule {shown(self.capsule_name)}?", Text(shown(f"  from {file}")),
            "Its members are stopped and a new revision is built in its place (its IP may change); "
            "if the new one does not become ready, the old one is restored.", yes="Update (y)"), confirmed)

    @work(group="create", exclusive=True, exit_on_error=False, description="updating the capsule")
    async def update_capsule(self, text: str, file: str) -> None:
        from runtime.errors import CapsuleError

        name = self.capsule_name
        translation = await self.checked(text, file, refused=f"{name} not updated")
        if translation is None:
            return
        self.progress.display = True
        self.post_message(self.Progress(f"updating {name}…"))

        def on_progress(capsule: str, event: object) -> None:
            container = getattr(event, "container", "")
            who = f"{getattr(event, 'kind', '')} {container}: " if container else ""
            self.post_message(self.Progress(f"{capsule}: {who}{getattr(event, 'text', event)}"))

        try:
            done = await self.app.backend.update(  # type: ignore[attr-defined]
                translation, name, on_progress, uuid=self.uuid, host=self.host)
        except CapsuleError as exc:  # refused, or failed and the old revision restored: stay to fix it
            self.post_message(self.Progress(f"failed: {exc}"))
            self.app.notify(f"{name}: {exc}", title="update failed", severity="error", timeout=10)
            return
        self.updated_uuid = done.uuid
        what = "unchanged" if done.unchanged else f"revision {done.previous_revision} → {done.revision}"
        self.app.notify(shown(f"updated {name} on {done.host}: {what}, {done.status}"), title="update")
        self.dismiss(done.uuid)

    def action_back(self) -> None:
        if self.busy("create"):
            self.app.notify("an update is under way; wait for it (its progress is below)", severity="warning")
            return
        self.app.pop_screen()
