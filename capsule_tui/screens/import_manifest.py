"""`i` (and `:import`): a Kubernetes manifest beside the capsules it becomes, then create them.

Left, the manifest: a path field (starts focused; enter loads, tab completes) and
the text, which may also be pasted or edited (Pod, Deployment, Job, multi-document
with ConfigMaps and Secrets). Right, what it becomes: the validation report, the
placement preview, the normalized capsule YAML, and every field of the manifest
with its line — rejected and ignored first, with why, then applied. `ctrl+s`
creates them all with progress below. Same flow as create (screens/translate_flow.py);
only the layout and the field list differ.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Footer, Header, Label, RichLog, Static, TextArea

from capsule_tui.formatters.translation_report import Validation, outcomes_text
from capsule_tui.screens.translate_flow import TranslateFlowScreen
from capsule_tui.widgets.path_input import PathInput

EMPTY_HINT = ("Load a Kubernetes manifest above (Pod, Deployment, Job; several documents with their "
              "ConfigMaps and Secrets), or paste it in the editor.")


class ImportManifestScreen(TranslateFlowScreen):
    OUTCOME_LINES = True

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="import-body"):
            with Vertical(id="import-left"):
                yield Label("Kubernetes manifest", classes="section")
                yield PathInput(placeholder="path of the manifest (enter loads, tab completes), or paste below",
                                id="path")
                yield TextArea.code_editor(self.initial_text, id="editor", tab_behavior="indent")
            with VerticalScroll(id="import-right"):
                yield Label("Becomes", classes="section")
                yield Static(Text(EMPTY_HINT, style="dim"), id="validation")
                yield Static("", id="placement")
                yield Static("", id="preview")
                yield Label("Fields", classes="section")
                yield Static(Text("none yet", style="dim"), id="outcomes")
        # Wrapped: a pull's or an engine's long message must be read whole, not cut at the edge.
        yield RichLog(id="progress", max_lines=500, wrap=True, markup=False, highlight=False)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        # (TranslateFlowScreen.on_mount runs too: Textual calls each class's handler.)
        self.sub_title = "import a Kubernetes manifest"
        self.path_input.focus()

    def show_validation(self, result: Validation) -> None:
        super().show_validation(result)
        if not result.text.strip():
            self.query_one("#validation", Static).update(Text(EMPTY_HINT, style="dim"))
        shown = outcomes_text(result)
        self.query_one("#outcomes", Static).update(shown if shown.plain else Text("none", style="dim"))
