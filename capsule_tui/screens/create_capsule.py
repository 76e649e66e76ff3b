"""`c`: write, paste or load YAML, see what it becomes while typing, and create it.

Left, the path field and the YAML editor; right, the validation: every error and
warning with its line, the applied / ignored / rejected counts, the placement
preview (which host each capsule would take and why) and the normalized capsules.
`ctrl+s` creates, with progress below. The flow itself (validation while typing,
placement, create) is shared with the import screen: screens/translate_flow.py.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Footer, Header, RichLog, Static, TextArea

from capsule_tui.formatters.translation_report import report_text
from capsule_tui.screens.translate_flow import EDITOR_FILE, TranslateFlowScreen
from capsule_tui.widgets.path_input import PathInput

__all__ = ["CreateCapsuleScreen", "EDITOR_FILE"]


class CreateCapsuleScreen(TranslateFlowScreen):
    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="create-body"):
            with Vertical(id="create-left"):
                yield PathInput(placeholder="path of a YAML file to load (enter loads, tab completes)", id="path")
                yield TextArea.code_editor(self.initial_text, id="editor", tab_behavior="indent")
            with VerticalScroll(id="create-right"):
                yield Static(report_text(None), id="validation")
                yield Static("", id="placement")
                yield Static("", id="preview")
        # Wrapped: a pull's or an engine's long message must be read whole, not cut at the edge.
        yield RichLog(id="progress", max_lines=500, wrap=True, markup=False, highlight=False)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        # (TranslateFlowScreen.on_mount runs too: Textual calls each class's handler.)
        self.sub_title = "create capsules"
        self.editor.focus()
