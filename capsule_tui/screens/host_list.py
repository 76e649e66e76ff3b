"""`h`: the host inventory, live: reachability, engine, capacity and what is allocated.

Read-only for now (hosts are added and removed with `capsule hosts add|remove`).
A worker gathers every host's facts at once (`runtime.host_facts`, each host within
its connect timeout) every HOSTS_POLL_SECONDS, never two rounds at once; rows are
keyed by host name and updated in place. Escape goes back.
"""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable, Footer, Header

from capsule_tui.capsule_rows import format_labels
from capsule_tui.screens.base import CapsuleScreen
from runtime.host_facts import HostFacts
from translate.quantity import format_bytes

HOSTS_POLL_SECONDS = 5.0
COLUMNS = ("HOST", "STATE", "ENGINE", "API", "CPU (requested/total)", "MEMORY (requested/total)", "CAPSULES",
           "LABELS", "URL")


def host_row(facts: HostFacts) -> tuple[object, ...]:
    if not facts.reachable:
        state = Text(f"unreachable: {facts.error_kind or facts.error}", style="bold red")
        return (facts.name, state, "-", "-", "-", "-", "-", format_labels(dict(facts.labels)), facts.url)
    return (
        facts.name, Text("reachable", style="green"), facts.engine_version, facts.api_version,
        f"{facts.cpu_requested:g}/{facts.cpus}",
        f"{format_bytes(facts.memory_requested)}/{format_bytes(facts.memory)}",
        str(len(facts.active_capsules)), format_labels(dict(facts.labels)), facts.url,
    )


class HostListScreen(CapsuleScreen):
    BINDINGS = [Binding("escape", "back", "Back"), Binding("r", "reload", "Refresh")]

    class Gathered(Message):
        def __init__(self, facts: list[HostFacts]) -> None:
            super().__init__()
            self.facts = facts

    def __init__(self) -> None:
        super().__init__()
        self.facts: list[HostFacts] | None = None

    @property
    def table(self) -> DataTable:
        return self.query_one("#hosts-table", DataTable)

    def compose(self) -> ComposeResult:
        yield Header()
        yield DataTable(id="hosts-table", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "hosts"
        for label in COLUMNS:
            self.table.add_column(label, key=label.split()[0].lower())
        for name in self.app.backend.host_names():  # type: ignore[attr-defined]
            self.table.add_row(name, Text("loading…", style="dim"), *("",) * (len(COLUMNS) - 2), key=name)
        self.table.focus()
        self.gather()
        self.set_interval(HOSTS_POLL_SECONDS, self.action_reload)

    @work(group="hosts", exclusive=True, exit_on_error=False, description="asking the hosts")
    async def gather(self) -> None:
        facts = await self.app.backend.host_facts()  # type: ignore[attr-defined]
        self.post_message(self.Gathered(facts))

    def on_host_list_screen_gathered(self, message: Gathered) -> None:
        self.facts = message.facts
        table = self.table
        for facts in message.facts:
            cells = host_row(facts)
            if facts.name in {row.key.value for row in table.ordered_rows}:
                for column, value in zip(COLUMNS, cells):
                    table.update_cell(facts.name, column.split()[0].lower(), value, update_width=True)
            else:
                table.add_row(*cells, key=facts.name)

    def action_reload(self) -> None:
        self.poll("hosts", self.gather)

    def action_back(self) -> None:
        self.app.pop_screen()
