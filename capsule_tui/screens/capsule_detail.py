"""The detail of one capsule: summary, placement and why, members, Services, volumes, env, events.

Loaded by a worker on open and every `poll_seconds` after (never two at once);
`y` opens the normalized spec as YAML, `escape` goes back to the list. Env shows
Secret references as `<secret NAME/KEY>` (from runtime.views), never values.

A capsule of an application (one with a namespace; its view says which, and its
workload) also shows the Services whose selector matches its labels in that
namespace, asked of the hosts with the rest every `poll_seconds`: their ready
counts move as the capsule and its siblings come and go.
"""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Footer, Header, Label, Static

from capsule_tui.formatters.detail_text import (
    MEMBER_COLUMNS,
    env_text,
    events_text,
    member_row,
    placement_text,
    summary,
    volumes_text,
)
from capsule_tui.formatters.safe_text import shown
from capsule_tui.formatters.service_rows import capsule_services_text, selects
from capsule_tui.screens.base import CapsuleScreen
from runtime.views import CapsuleDetail, ServiceView


class CapsuleDetailScreen(CapsuleScreen):
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("y", "spec", "Spec YAML"),
        Binding("l", "logs", "Logs"),
        Binding("e", "events", "Events"),
        Binding("r", "reload", "Refresh"),
    ]

    class Loaded(Message):
        def __init__(self, detail: CapsuleDetail, placement: str | None, services: list[ServiceView] | None,
                     problems: list[str]) -> None:
            super().__init__()
            self.detail = detail
            self.placement = placement  # None: asked already (it never changes)
            self.services = services  # those selecting the capsule; None without a namespace
            self.problems = problems  # hosts that could not be asked for their Services

    class Gone(Message):
        """The capsule no longer exists on any host (deleted elsewhere)."""

    def __init__(self, name: str, uuid: str) -> None:
        super().__init__()
        self.capsule_name = name
        self.uuid = uuid
        self.detail: CapsuleDetail | None = None
        self.placement: str | None = None  # why this host (runtime.placement.record)
        self.services: list[ServiceView] | None = None
        self.gone = False

    @property
    def members(self) -> DataTable:
        return self.query_one("#members", DataTable)

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="detail-body"):
            yield Static(Text(f"{shown(self.capsule_name)}: loading…"), id="detail-summary")
            yield Label("Placement", classes="section")
            yield Static(placement_text(None), id="detail-placement")
            yield Label("Members", classes="section")
            yield DataTable(id="members", cursor_type="row", show_cursor=False)
            yield Label("Services", classes="section")
            yield Static(Text("loading…", style="dim"), id="detail-services")
            yield Label("Volumes", classes="section")
            yield Static(id="detail-volumes")
            yield Label("Environment", classes="section")
            yield Static(id="detail-env")
            yield Label("Recent events", classes="section")
            yield Static(id="detail-events")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.sub_title = shown(self.capsule_name)
        for label in MEMBER_COLUMNS:
            self.members.add_column(label, key=label.lower())
        self.load_detail()
        self.set_interval(self.app.poll_seconds, self._tick)  # type: ignore[attr-defined]

    def _tick(self) -> None:
        if not self.gone:
            self.poll("detail", self.load_detail)

    @work(group="detail", exclusive=True, exit_on_error=False, description="loading the capsule's details")
    async def load_detail(self) -> None:
        from runtime.errors import CapsuleNotFound

        backend = self.app.backend  # type: ignore[attr-defined]
        try:
            detail = await backend.describe(self.capsule_name, self.uuid)
        except CapsuleNotFound:
            self.post_message(self.Gone())
            return
        placement = None
        if self.placement is None:  # recorded once, at create: asked once
            placement = await backend.placement(self.capsule_name, self.uuid, detail.view.host)
        namespace, services, problems = detail.view.namespace, None, []
        if namespace is not None:
            views, problems = await backend.services(namespace)
            services = [v for v in views if selects(v, namespace, detail.view.labels)]
        self.post_message(self.Loaded(detail, placement, services, problems))

    def on_capsule_detail_screen_gone(self) -> None:
        # Said once; polling stops, so a deleted capsule is not a notification every tick.
        if not self.gone:
            self.gone = True
            self.query_one("#detail-summary", Static).update(
                Text(f"{shown(self.capsule_name)} no longer exists on any host (deleted?); escape goes back.",
                     style="bold red"))
            self.app.notify(f"capsule {shown(self.capsule_name)} no longer exists", severity="warning")

    def on_capsule_detail_screen_loaded(self, message: Loaded) -> None:
        detail = self.detail = message.detail
        self.services = message.services
        self.query_one("#detail-summary", Static).update(summary(detail))
        self.query_one("#detail-services", Static).update(
            capsule_services_text(message.services, message.problems, namespace=detail.view.namespace))
        if message.placement is not None:
            self.placement = message.placement
            self.query_one("#detail-placement", Static).update(placement_text(message.placement))
        table = self.members
        keys = [m.docker_name or f"absent:{m.role}:{m.name}" for m in detail.members]
        if [row.key.value for row in table.ordered_rows] == keys:
            for key, member in zip(keys, detail.members, strict=True):  # in place: the cursor stays put
                for column, value in zip(MEMBER_COLUMNS, member_row(detail, member), strict=True):
                    table.update_cell(key, column.lower(), value, update_width=True)
        else:
            table.clear()
            for key, member in zip(keys, detail.members, strict=True):
                table.add_row(*member_row(detail, member), key=key)
        self.query_one("#detail-volumes", Static).update(volumes_text(detail))
        self.query_one("#detail-env", Static).update(env_text(detail))
        self.query_one("#detail-events", Static).update(events_text(detail))

    def action_reload(self) -> None:
        self.gone = False
        self.poll("detail", self.load_detail)

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_events(self) -> None:
        """This capsule's own event log (screens/event_log.py), live."""
        from capsule_tui.screens.event_log import EventLogScreen

        self.app.push_screen(EventLogScreen(self.capsule_name))

    def action_logs(self) -> None:
        from capsule_tui.screens.capsule_logs import LogsScreen

        if self.detail is not None:
            self.app.push_screen(LogsScreen(self.capsule_name, self.uuid, self.detail.view.host))

    def action_spec(self) -> None:
        from capsule_tui.screens.spec_yaml import SpecScreen

        self.app.push_screen(SpecScreen(self.capsule_name, self.uuid))
