"""`v`: the Services of the applications, live: where each one's name points and who serves it.

A worker asks every host at once (`CapsuleService.services`, what `capsule services`
lists) every SERVICES_POLL_SECONDS, never two rounds at once; rows are keyed by host,
namespace and name and updated in place, the cursor staying on its Service. A host
that could not be asked shows above the table in red, and once as a notification:
its Services are missing from the table, not gone.

`/` filters as the capsule list does (words in namespace/name, KEY=VALUE in the
selector, @host); `enter` opens the selected Service's backends below the table (each
capsule with its address and port; the pane follows the cursor); `d` deletes the
selected Service after a confirmation, as `capsule delete service/NAME -n NAMESPACE`
does: its proxy goes from every host that has it, the capsules it selects stay.
`escape` closes the pane, then clears the filter, then goes back.

What a host says is Text with its control characters escaped (formatters/safe_text.py);
the rows come from formatters/service_rows.py.
"""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Footer, Header, Input, Static

from capsule_tui.formatters.capsule_rows import CapsuleFilter, parse_filter
from capsule_tui.formatters.safe_text import shown
from capsule_tui.formatters.service_rows import (
    BACKEND_COLUMNS,
    COLUMN_KEYS,
    COLUMNS,
    arrange,
    backend_rows,
    backends_caption,
    problems_text,
    row_cells,
    service_key,
)
from capsule_tui.screens.base import CapsuleScreen
from runtime.views import ServiceView

SERVICES_POLL_SECONDS = 5.0


class ServiceListScreen(CapsuleScreen):
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("slash", "filter", "Filter", key_display="/"),
        Binding("enter", "backends", "Backends"),
        Binding("d", "delete", "Delete"),
        Binding("ctrl+d", "delete", "Delete", show=False),
        Binding("delete", "delete", "Delete", show=False),
        Binding("r", "reload", "Refresh"),
    ]

    class Gathered(Message):
        def __init__(self, views: list[ServiceView], problems: list[str]) -> None:
            super().__init__()
            self.views = views
            self.problems = problems

    def __init__(self) -> None:
        super().__init__()
        self.views: list[ServiceView] | None = None  # None: not asked yet
        self.problems: list[str] = []
        self.chosen = CapsuleFilter()
        self.pane_open = False
        self._summary = ""  # the text of #services-summary

    # -- parts ----------------------------------------------------------------

    @property
    def table(self) -> DataTable:
        return self.query_one("#services-table", DataTable)

    @property
    def backends(self) -> DataTable:
        return self.query_one("#service-backends", DataTable)

    @property
    def filter_input(self) -> Input:
        return self.query_one("#services-filter", Input)

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="services-problems")
        yield Input(placeholder="filter: name, KEY=VALUE (selector), @host (enter keeps it, escape clears)",
                    id="services-filter")
        yield DataTable(id="services-table", cursor_type="row", zebra_stripes=True)
        with Vertical(id="service-backends-pane"):
            yield Static(id="service-backends-caption")
            yield DataTable(id="service-backends", cursor_type="row", show_cursor=False)
        yield Static("asking the hosts…", id="services-summary")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.sub_title = "services"
        for key, label in COLUMNS:
            self.table.add_column(label, key=key)
        for label in BACKEND_COLUMNS:
            self.backends.add_column(label, key=label.lower())
        self.query_one("#services-problems", Static).display = False
        self.query_one("#service-backends-pane").display = False
        self.filter_input.display = False
        self.table.focus()
        self.gather()
        self.set_interval(SERVICES_POLL_SECONDS, self.action_reload)

    # -- loading --------------------------------------------------------------

    @work(group="services", exclusive=True, exit_on_error=False, description="asking the hosts for their Services")
    async def gather(self) -> None:
        views, problems = await self.app.backend.services()  # type: ignore[attr-defined]
        self.post_message(self.Gathered(views, problems))

    def on_service_list_screen_gathered(self, message: Gathered) -> None:
        for problem in message.problems:
            if problem not in self.problems:  # said once, not every round
                self.app.notify(shown(f"could not be asked: {problem}", block=True), title="services",
                                severity="warning", timeout=8)
        self.views, self.problems = message.views, message.problems
        problems = self.query_one("#services-problems", Static)
        problems.update(problems_text(self.problems))
        problems.display = bool(self.problems)
        self.show_rows()

    def action_reload(self) -> None:
        self.poll("services", self.gather)

    # -- rows -----------------------------------------------------------------

    def shown_views(self) -> list[ServiceView]:
        return arrange(self.views or [], self.chosen)

    def show_rows(self) -> None:
        """The filtered rows onto the table: in place when the same Services are shown,
        else rebuilt with the cursor kept on its Service (a few dozen rows: cheap)."""
        table = self.table
        rows = {service_key(v): v for v in self.shown_views()}
        keep, index = self.current_key(), table.cursor_row
        if [row.key.value for row in table.ordered_rows] == list(rows):
            for key, view in rows.items():
                for column, value in zip(COLUMN_KEYS, row_cells(view), strict=True):
                    table.update_cell(key, column, value, update_width=True)
        else:
            table.clear()
            for key, view in rows.items():
                table.add_row(*row_cells(view), key=key)
            if rows:
                keys = list(rows)
                target = keys.index(keep) if keep in rows else min(index, len(keys) - 1)
                table.move_cursor(row=target, animate=False)
        self._summarize(len(rows))
        if self.pane_open:
            self.show_backends()

    def _summarize(self, count: int) -> None:
        total = len(self.views or [])
        parts = [f"{count} of {total} services" if self.chosen else f"{total} services"]
        if self.chosen:
            parts.append(f"filter: {shown(self.chosen.text)}")
        parts.append("enter: backends · d: delete")
        summary = " · ".join(parts)
        if summary != self._summary:  # an update re-lays the screen out: only when it says something new
            self._summary = summary
            self.query_one("#services-summary", Static).update(Text(summary))  # Text: the filter is no markup

    def current_key(self) -> str | None:
        table = self.table
        if not table.row_count:
            return None
        row_key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
        return row_key.value

    def current_view(self) -> ServiceView | None:
        key = self.current_key()
        return next((v for v in self.shown_views() if service_key(v) == key), None)

    # -- the backends pane ----------------------------------------------------

    @on(DataTable.RowSelected, "#services-table")
    def _row_chosen(self) -> None:
        self.action_backends()

    def action_backends(self) -> None:
        self.pane_open = True
        self.query_one("#service-backends-pane").display = True
        self.show_backends()

    @on(DataTable.RowHighlighted, "#services-table")
    def _cursor_moved(self) -> None:
        if self.pane_open:
            self.show_backends()

    def show_backends(self) -> None:
        """The selected Service's backends, each capsule with its address and port."""
        caption = self.query_one("#service-backends-caption", Static)
        table = self.backends
        table.clear()
        view = self.current_view()
        if view is None:
            caption.update("no Service selected")
            return
        caption.update(backends_caption(view))
        for number, (capsule, address, port) in enumerate(backend_rows(view)):
            table.add_row(Text(capsule), Text(address), Text(port), key=str(number))  # Text: a str is markup
        if not view.backends:
            caption.update(backends_caption(view).append("; no capsule serves it now", style="bold red"))

    # -- keys -----------------------------------------------------------------

    def action_back(self) -> None:
        """Escape: the pane first, then the filter, then back to the list."""
        if self.pane_open:
            self.pane_open = False
            self.query_one("#service-backends-pane").display = False
        elif self.chosen or self.filter_input.display:
            self._set_filter("")
        else:
            self.app.pop_screen()

    def action_filter(self) -> None:
        self.filter_input.display = True
        self.set_focus(self.filter_input)

    @on(Input.Changed, "#services-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.chosen = parse_filter(event.value)
        self.show_rows()

    @on(Input.Submitted, "#services-filter")
    def _filter_done(self) -> None:
        self.filter_input.display = bool(self.filter_input.value)
        self.set_focus(self.table)

    def _set_filter(self, text: str) -> None:
        with self.filter_input.prevent(Input.Changed):
            self.filter_input.value = text
        self.filter_input.display = bool(text)
        self.chosen = parse_filter(text)
        self.show_rows()
        self.set_focus(self.table)

    # -- deleting -------------------------------------------------------------

    def action_delete(self) -> None:
        from capsule_tui.screens.confirm_delete import ConfirmScreen

        view = self.current_view()
        if view is None:
            self.app.notify("nothing to delete: no Service is selected", severity="warning")
            return
        listed = shown(f"  {view.name}  in namespace {view.namespace}  on {view.host}  "
                       f"({view.type}, {view.ports or 'no ports'}; {view.ready}/{view.total} serving)")
        note = ("Its proxy container goes from every host that has it, and the name stops answering; the "
                "capsules it selects keep running. A namespace left with nothing loses its network.")

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.delete_service(view.namespace, view.name)

        self.app.push_screen(ConfirmScreen(f"Delete service {shown(view.name)} in namespace "
                                           f"{shown(view.namespace)}?", listed, note, yes="Delete (y)"),
                             confirmed)

    @work(group="delete-service", exit_on_error=False, description="deleting the Service")
    async def delete_service(self, namespace: str, name: str) -> None:
        self.app.notify(shown(f"deleting service {name} in namespace {namespace}…"), title="delete")
        results = await self.app.backend.delete_services([(namespace, name)])  # type: ignore[attr-defined]
        for result in results:
            if result.error is not None:
                self.app.notify(shown(str(result.error), block=True), title="delete failed", severity="error",
                                timeout=10)
            else:
                self.app.notify(shown(f"deleted service {result.name} in namespace {result.namespace} "
                                      f"from {', '.join(result.hosts)}"), title="delete")
        # A new round even when one is under way: it may have started before the delete.
        self.gather()
