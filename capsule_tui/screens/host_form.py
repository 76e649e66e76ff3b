"""The hosts screen's `a`: a form that adds a host to the inventory, as `capsule hosts add` does.

Name, URL, optional TLS CA / client certificate / key, labels (`zone=a, disk=ssd`),
sandbox image and the insecure switch. Nothing is checked here that the inventory
checks itself: the settings go to `backend.add_host` (runtime.hosts.inventory.add_host,
with runtime.hosts.url_policy), in a worker, and whatever it refuses — a bad URL, plain
tcp to a remote address without insecure, a missing TLS file, a taken name — is
shown inline under the form, which stays open to be fixed. Only what the command
line's argument parsing does is done here: labels split into pairs, and TLS paths
made absolute (the inventory file may be read from another folder).

On success the dialog answers `Added` (the settings and the inventory's notes);
the hosts screen then shows the host and asks it for its facts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static, Switch

from capsule_tui.formatters.safe_text import shown
from capsule_tui.screens.base import WorkerFailures
from capsule_tui.widgets.path_input import PathInput
from runtime.hosts.settings import HostSettings

PEM_SUFFIXES = (".pem", ".crt", ".cert", ".key")
# (field id, label, placeholder)
FIELDS: tuple[tuple[str, str, str], ...] = (
    ("name", "name", "lower-case letters, digits and '-', e.g. web1"),
    ("url", "URL", "unix:///var/run/docker.sock or tcp://HOST:2376"),
    ("tls-ca", "TLS CA", "optional: CA certificate that signed the engine's (PEM file)"),
    ("tls-cert", "TLS cert", "optional: client certificate the engine trusts"),
    ("tls-key", "TLS key", "optional: the client certificate's key"),
    ("labels", "labels", "optional: KEY=VALUE, comma separated, e.g. zone=a, disk=ssd"),
    ("sandbox-image", "sandbox image", "optional: default registry.k8s.io/pause:3.10"),
)


class FormProblem(ValueError):
    """A field the form itself cannot turn into settings (the labels' syntax)."""


@dataclass
class Added:
    host: HostSettings
    notes: list[str] = field(default_factory=list)


def parse_labels(text: str) -> dict[str, str]:
    """`zone=a, disk=ssd` → {"zone": "a", "disk": "ssd"}, as repeated `--label` flags give."""
    labels: dict[str, str] = {}
    for pair in (p.strip() for p in text.split(",")):
        if not pair:
            continue
        key, sep, value = pair.partition("=")
        if not sep or not key.strip() or any(c.isspace() for c in key.strip()):
            raise FormProblem(f"labels: {pair!r} is not KEY=VALUE; write e.g. zone=a, disk=ssd")
        labels[key.strip()] = value.strip()
    return labels


def tls_path(value: str) -> str | None:
    """Absolute, so the inventory names the same file wherever it is read from; '' is none."""
    value = value.strip()
    return str(Path(value).expanduser().resolve()) if value else None


class HostFormScreen(WorkerFailures, ModalScreen[Added | None]):
    BINDINGS = [
        Binding("ctrl+s", "add", "Add host", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]

    class Refused(Message):
        def __init__(self, reason: str) -> None:
            super().__init__()
            self.reason = reason

    class Done(Message):
        def __init__(self, added: Added) -> None:
            super().__init__()
            self.added = added

    def input_for(self, key: str) -> Input:
        return self.query_one(f"#host-{key}", Input)

    @property
    def insecure(self) -> Switch:
        return self.query_one("#host-insecure", Switch)

    @property
    def error(self) -> Static:
        return self.query_one("#host-form-error", Static)

    def compose(self) -> ComposeResult:
        with Vertical(id="host-form"):
            yield Label("Add a host to the inventory", id="host-form-title")
            for key, label, placeholder in FIELDS:
                with Horizontal(classes="form-row"):
                    yield Label(label, classes="form-label")
                    if key.startswith("tls-"):
                        yield PathInput(placeholder=placeholder, id=f"host-{key}", suffixes=PEM_SUFFIXES)
                    else:
                        yield Input(placeholder=placeholder, id=f"host-{key}")
            with Horizontal(classes="form-row"):
                yield Label("insecure", classes="form-label")
                yield Switch(False, id="host-insecure")
                yield Static("allow plain tcp to a remote engine: only on a network you trust",
                             id="host-insecure-help")
            yield Static("", id="host-form-error")
            with Horizontal(id="host-form-buttons"):
                yield Button("Add (ctrl+s)", variant="primary", id="add")
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        self.input_for("name").focus()

    def settings(self) -> HostSettings:
        """The form as host settings; raises FormProblem for labels that are not KEY=VALUE."""
        value = {key: self.input_for(key).value for key, _, _ in FIELDS}
        return HostSettings(
            value["name"].strip(), value["url"].strip(), parse_labels(value["labels"]),
            value["sandbox-image"].strip() or None, tls_path(value["tls-ca"]), tls_path(value["tls-cert"]),
            tls_path(value["tls-key"]), insecure=self.insecure.value,
        )

    # -- adding ---------------------------------------------------------------

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_add()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "add":
            self.action_add()
        else:
            self.action_cancel()

    def action_add(self) -> None:
        if self.busy("add-host"):
            return
        try:
            host = self.settings()
        except FormProblem as exc:
            self.show_problem(str(exc))
            return
        self.error.update(Text("checking…", style="dim"))
        self.add_host(host)

    @work(group="add-host", exclusive=True, exit_on_error=False, description="adding the host")
    async def add_host(self, host: HostSettings) -> None:
        from runtime.errors import HostSettingError, InventoryError

        try:
            notes = await self.app.backend.add_host(host)  # type: ignore[attr-defined]
        except (InventoryError, HostSettingError) as exc:
            self.post_message(self.Refused(f"host {host.name!r}: {exc}" if host.name else str(exc)))
            return
        self.post_message(self.Done(Added(host, list(notes))))

    def on_host_form_screen_refused(self, message: Refused) -> None:
        self.show_problem(message.reason)

    def on_host_form_screen_done(self, message: Done) -> None:
        self.dismiss(message.added)

    def show_problem(self, reason: str) -> None:
        self.error.update(Text(f"✗ {shown(reason, block=True)}", style="bold"))

    def action_cancel(self) -> None:
        if not self.busy("add-host"):
            self.dismiss(None)
