"""`h`: the host inventory, live: reachability, engine, capacity and what is allocated.

A worker gathers every host's facts at once (`runtime.placement.host_facts`, each host within
its connect timeout) every HOSTS_POLL_SECONDS, never two rounds at once; rows are
keyed by host name and updated in place. Escape goes back.

`a` adds a host (screens/host_form.py: the checks of `capsule hosts add`); the new
row is asked for its facts at once. `ctrl+d` / `delete` removes the selected host
from the inventory after a confirmation, as `capsule hosts remove` does: its
containers are not touched (the dialog says how many capsules are still there),
and a host that comes from DOCKER_HOST or a docker context is refused with that
reason. Either way the app's service uses the new inventory from then on, so the
capsule list follows. What a host says (its version, its errors) is shown as Text with
its control characters escaped (formatters/safe_text.py).
"""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable, Footer, Header

from capsule_tui.formatters.capsule_rows import format_labels
from capsule_tui.formatters.safe_text import shown
from capsule_tui.screens.base import CapsuleScreen
from runtime.views import HostFacts
from translate.quantity import format_bytes

HOSTS_POLL_SECONDS = 5.0
COLUMNS = ("HOST", "STATE", "ENGINE", "API", "CPU (requested/total)", "MEMORY (requested/total)", "CAPSULES",
           "LABELS", "URL")


def host_row(facts: HostFacts) -> tuple[object, ...]:
    """The row's cells, all Text: the table would read a str as markup."""
    if not facts.reachable:
        state = Text(f"unreachable: {shown(facts.cause or facts.error_kind or facts.error or '')}", style="bold red")
        return (_plain(facts.name), state, *(_plain("-") for _ in range(5)),
                _plain(format_labels(dict(facts.labels))), _plain(facts.url))
    return (
        _plain(facts.name), Text("reachable", style="green"), _plain(facts.engine_version),
        _plain(facts.api_version), _plain(f"{facts.cpu_requested:g}/{facts.cpus}"),
        _plain(f"{format_bytes(facts.memory_requested)}/{format_bytes(facts.memory)}"),
        _plain(str(len(facts.active_capsules))), _plain(format_labels(dict(facts.labels))), _plain(facts.url),
    )


def _plain(text: str) -> Text:
    return Text(shown(text))


class HostListScreen(CapsuleScreen):
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("r", "reload", "Refresh"),
        Binding("a", "add_host", "Add host"),
        Binding("ctrl+d", "remove_host", "Remove host"),
        Binding("delete", "remove_host", "Remove host", show=False),
    ]

    class Gathered(Message):
        def __init__(self, facts: list[HostFacts]) -> None:
            super().__init__()
            self.facts = facts

    class Removed(Message):
        def __init__(self, name: str) -> None:
            super().__init__()
            self.name = name

    def __init__(self) -> None:
        super().__init__()
        self.facts: list[HostFacts] | None = None

    @property
    def table(self) -> DataTable:
        return self.query_one("#hosts-table", DataTable)

    def compose(self) -> ComposeResult:
        yield Header()
        yield DataTable(id="hosts-table", cursor_type="row", zebra_stripes=True)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.sub_title = "hosts"
        for label in COLUMNS:
            self.table.add_column(label, key=label.split()[0].lower())
        for name in self.app.backend.host_names():  # type: ignore[attr-defined]
            self.table.add_row(_plain(name), Text("loading…", style="dim"), *("",) * (len(COLUMNS) - 2), key=name)
        self.table.focus()
        self.gather()
        self.set_interval(HOSTS_POLL_SECONDS, self.action_reload)

    @work(group="hosts", exclusive=True, exit_on_error=False, description="asking the hosts")
    async def gather(self) -> None:
        facts = await self.app.backend.host_facts()  # type: ignore[attr-defined]
        self.post_message(self.Gathered(facts))

    def on_host_list_screen_gathered(self, message: Gathered) -> None:
        # A round that started before a host was removed may still name it: skip it.
        configured = set(self.app.backend.host_names())  # type: ignore[attr-defined]
        self.facts = [f for f in message.facts if f.name in configured]
        table = self.table
        for row in list(table.ordered_rows):
            if row.key.value not in configured:
                table.remove_row(row.key)
        for facts in self.facts:
            cells = host_row(facts)
            if facts.name in {row.key.value for row in table.ordered_rows}:
                for column, value in zip(COLUMNS, cells, strict=True):
                    table.update_cell(facts.name, column.split()[0].lower(), value, update_width=True)
            else:
                table.add_row(*cells, key=facts.name)

    def action_reload(self) -> None:
        self.poll("hosts", self.gather)

    def action_back(self) -> None:
        self.app.pop_screen()

    # -- adding and removing hosts --------------------------------------------

    def action_add_host(self) -> None:
        from capsule_tui.screens.host_form import HostFormScreen

        self.app.push_screen(HostFormScreen(), self._added)

    def _added(self, added: object) -> None:
        from capsule_tui.screens.host_form import Added

        if not isinstance(added, Added):
            return  # cancelled
        host = added.host
        for note in added.notes:
            self.app.notify(shown(note), title="hosts")
        if host.insecure and not host.uses_tls:
            self.app.notify(shown(f"host {host.name!r} is reached over plain tcp: anyone who can reach {host.url} "
                                  f"controls that machine"), title="hosts", severity="warning", timeout=10)
        self.app.notify(shown(f"host {host.name!r} added; asking it…"), title="hosts")
        # Rows for every host now configured (the first add also writes down the local engine).
        on_screen = {row.key.value for row in self.table.ordered_rows}
        for name in self.app.backend.host_names():  # type: ignore[attr-defined]
            if name not in on_screen:
                self.table.add_row(_plain(name), Text("loading…", style="dim"), *("",) * (len(COLUMNS) - 2),
                                   key=name)
        self.table.move_cursor(row=self.table.get_row_index(host.name), animate=False)
        self.action_reload()

    def current_host(self) -> str | None:
        table = self.table
        if not table.row_count:
            return None
        row_key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
        return row_key.value

    def action_remove_host(self) -> None:
        from capsule_tui.screens.confirm_delete import ConfirmScreen

        name = self.current_host()
        if name is None:
            return
        facts = next((f for f in self.facts or [] if f.name == name), None)
        listed = shown(f"  {name}  {facts.url if facts else ''}")
        if facts is not None and facts.reachable:
            running = [c.name for c in facts.active_capsules]
            some = shown(", ".join(running[:8])) + (f" and {len(running) - 8} more" if len(running) > 8 else "")
            listed += (f"\n  {len(running)} capsules still run there: {some}; they keep running"
                       if running else "\n  no capsules run there")
        elif facts is not None:
            why = shown(facts.cause or facts.error_kind or facts.error or "")
            listed += f"\n  unreachable now ({why}); its capsules are not known"
        note = ("Only the inventory changes: the host's containers are not touched, but this UI and "
                "`capsule list` stop showing its capsules; adding the host again shows them again.")

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.remove_host(name)

        self.app.push_screen(ConfirmScreen(f"Remove host {shown(name)} from the inventory?", listed, note,
                                           yes="Remove (y)"), confirmed)

    @work(group="remove-host", exit_on_error=False, description="removing the host")
    async def remove_host(self, name: str) -> None:
        from runtime.errors import InventoryError

        try:
            await self.app.backend.remove_host(name)  # type: ignore[attr-defined]
        except InventoryError as exc:
            self.app.notify(f"host {name!r} was not removed: {exc}", title="hosts",
                            severity="error", timeout=10)
            return
        self.post_message(self.Removed(name))

    def on_host_list_screen_removed(self, message: Removed) -> None:
        if message.name in {row.key.value for row in self.table.ordered_rows}:
            self.table.remove_row(message.name)
        self.facts = [f for f in self.facts or [] if f.name != message.name]
        self.app.notify(shown(f"host {message.name!r} removed from the inventory; its containers were not "
                              f"touched"), title="hosts")
