"""`y` on the detail screen: the capsule's normalized spec as YAML, read-only.

The spec is the normalized capsule document the runtime labels its containers
with; it holds references to Secrets, never their values (translate/spec.py), and
`masked_spec` masks on the way out anyway whatever could sit beside a reference,
so a spec written by a future, careless writer still shows no secret here.
"""

from __future__ import annotations

from typing import Any

from rich.syntax import Syntax
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Footer, Header, Static

from capsule_tui.formatters.safe_text import shown
from capsule_tui.screens.base import CapsuleScreen
from translate.secrets import MASK


def masked_spec(node: Any) -> Any:
    """A copy of the document in which nothing next to a Secret reference carries a value.

    An env entry with `valueFrom.secretKeyRef` keeps no `value`; a `secret` volume
    keeps no `data`/`stringData`. Specs never hold these today; this keeps it so.
    """
    if isinstance(node, dict):
        copy = {k: masked_spec(v) for k, v in node.items()}
        if isinstance(copy.get("valueFrom"), dict) and "secretKeyRef" in copy["valueFrom"] and "value" in copy:
            copy["value"] = MASK
        if isinstance(copy.get("secret"), dict):
            copy["secret"] = {k: (MASK if k in ("data", "stringData") else v) for k, v in copy["secret"].items()}
        return copy
    if isinstance(node, list):
        return [masked_spec(item) for item in node]
    return node


class SpecScreen(CapsuleScreen):
    BINDINGS = [Binding("escape", "back", "Back"), Binding("y", "back", "Back", show=False)]

    class Loaded(Message):
        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    def __init__(self, name: str, uuid: str) -> None:
        super().__init__()
        self.capsule_name = name
        self.uuid = uuid
        self.yaml_text = ""  # what is shown, once loaded

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="spec-body"):
            yield Static(Text(f"loading the spec of {shown(self.capsule_name)}…"), id="spec-yaml")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.sub_title = f"{shown(self.capsule_name)} · normalized spec"
        self.load_spec()

    @work(group="spec", exclusive=True, exit_on_error=False, description="loading the capsule's spec")
    async def load_spec(self) -> None:
        from translate.output import to_yaml

        spec = await self.app.backend.spec(self.uuid)  # type: ignore[attr-defined]
        self.post_message(self.Loaded(to_yaml([masked_spec(spec)])))

    def on_spec_screen_loaded(self, message: Loaded) -> None:
        self.yaml_text = message.text
        # YAML escapes control characters itself; escaping again keeps a careless writer honest.
        self.query_one("#spec-yaml", Static).update(Syntax(shown(message.text, block=True), "yaml",
                                                           theme="ansi_dark", background_color="default"))

    def action_back(self) -> None:
        self.app.pop_screen()
