"""The capsule list: every capsule on every host, live, with each host's state.

A refresh worker asks the backend when an event arrives (a second worker follows
the hosts' event streams and the store's event log through `backend.events`) and,
as a fallback, every `poll_seconds` (never two at once); the answer arrives as a
`Refreshed` message and is applied in place by a worker of its own: rows are keyed
by capsule uuid, only changed cells are rewritten, and when rows come or go the
cursor stays on the same capsule and the scroll position is kept. A host that
stops answering shows in the host line with the reason, and once as a
notification; its capsules stay listed (as the store last knew them).

Keys: `/` filter (name, KEY=VALUE, @host), `s` or a header click sorts, `space`
marks, `a` marks every row shown, `enter` details, `l` logs, `e` the event log, `h` the hosts,
`v` the Services,
`ctrl+d` deletes (by uuid: exactly the rows chosen), `D` deletes every row the filter shows,
`c` creates, `i` the same from a manifest file (creates run on below the list:
widgets/create_progress.py), `r` refreshes now. CPU, %CPU/L, MEM and %MEM/L are sampled
for the rows on screen by a worker of their own (list_usage.py). The filter and sort
are remembered between runs when the app has a `memory_path` (capsule_tui/view_memory.py).
`o` `x` `R` `p` start, stop, restart, pause the marked or selected capsules, `E` runs a command
in one, `u` updates it, `b` rolls it back (capsule_tui/actions/capsule_actions.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

from rich.cells import cell_len
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable, Footer, Header, Input, Static
from textual.widgets.data_table import ColumnKey

from capsule_tui.actions.capsule_actions import ACTION_BINDINGS, CapsuleActions
from capsule_tui.backend import LOADING, REACHABLE, HostState, Snapshot
from capsule_tui.collector_pacing import CollectorPacing
from capsule_tui.formatters.capsule_rows import (
    COLUMN_KEYS,
    COLUMNS,
    SORTABLE,
    CapsuleFilter,
    SortOrder,
    arrange,
    cell,
    parse_filter,
    row_texts,
)
from capsule_tui.formatters.host_line import host_line
from capsule_tui.formatters.safe_text import shown
from capsule_tui.formatters.usage_order import USAGE_SORTABLE
from capsule_tui.screens.base import CapsuleScreen
from capsule_tui.screens.list_usage import USAGE_SORT_BINDINGS, UsageColumns
from capsule_tui.view_memory import ListMemory
from capsule_tui.widgets.capsule_table import CapsuleTable
from capsule_tui.widgets.create_progress import CreateProgress
from runtime.views import CapsuleView

# A step of a refresh's apply: about 5 ms of work on a slow machine.
ROWS_PER_STEP = 100
# The rows on screen are repainted this many at a time, each part painted before the next
# (see _repaint_in_parts): ~0.4 ms a changed row on a slow machine (capsule_tui/widgets/capsule_table.py).
REPAINT_ROWS = 12
FRAME_SECONDS = 1 / 60
CHANGE_SETTLE_SECONDS = 0.25
FIRST_REFRESH_DELAY = 0.1


class CapsuleListScreen(CapsuleActions, UsageColumns, CapsuleScreen):
    BINDINGS = [
        Binding("slash", "filter", "Filter", key_display="/"),
        Binding("s", "sort", "Sort"),
        Binding("S", "reverse_sort", "Reverse sort", show=False),
        Binding("space", "mark", "Mark", show=False),
        Binding("a", "mark_all", "Mark all", show=False),
        Binding("enter", "details", "Details", show=True),
        Binding("c", "create", "Create"),
        Binding("i", "import", "Import", show=False),
        Binding("l", "logs", "Logs"),
        Binding("e", "events", "Events", show=False),
        Binding("h", "hosts", "Hosts"),
        # Out of the footer, as `e`: at 80 columns it would push Delete, Quit and Help off it (`?` lists it).
        Binding("v", "services", "Services", show=False),
        Binding("ctrl+d", "delete", "Delete"),
        Binding("D", "delete_matching", "Delete all matching", show=False),
        Binding("r", "refresh", "Refresh", show=False),
        Binding("escape", "clear_filter", "Clear filter", show=False),
        *ACTION_BINDINGS,
        *USAGE_SORT_BINDINGS,
    ]

    class Changed(Message):
        """A host or another capsule process reported an event: refresh now, not at the next tick."""

    class Refreshed(Message):
        def __init__(self, snapshot: Snapshot) -> None:
            super().__init__()
            self.snapshot = snapshot

    def __init__(self) -> None:
        super().__init__()
        self.snapshot: Snapshot | None = None
        self.chosen: CapsuleFilter = CapsuleFilter()
        self.order = SortOrder()
        self.marked: set[str] = set()
        self._shown: dict[str, tuple[str, ...]] = {}  # uuid -> cell texts on screen (capsule_rows.row_texts)
        self._hosts: dict[str, HostState] = {}
        self._change_pending = False
        self._summary = ""  # the text of #list-summary
        self._collector = CollectorPacing()
        self._apply_generation = 0  # bumped by each apply; a stepped one stops when it changes
        self._memory: ListMemory | None = None  # what the last run left (view_memory), until restored

    # -- parts ----------------------------------------------------------------

    @property
    def table(self) -> CapsuleTable:
        return self.query_one("#capsules", CapsuleTable)

    @property
    def filter_input(self) -> Input:
        return self.query_one("#filter", Input)

    @property
    def host_status(self) -> Static:
        return self.query_one("#hosts", Static)

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="hosts")
        yield Input(placeholder="filter: name, KEY=VALUE, @host (enter keeps it, escape clears)", id="filter")
        yield CapsuleTable(id="capsules", cursor_type="row", zebra_stripes=True)
        yield Static("", id="list-summary")
        yield CreateProgress(id="create-progress")  # creates under way (capsule_tui/create_jobs.py)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self._recall()
        self._add_columns()
        self._hosts = {name: HostState(name, LOADING) for name in self.app.backend.host_names()}  # type: ignore[attr-defined]
        self.host_status.update(host_line(list(self._hosts.values())))
        self.table.focus()
        # Paint first, then ask: the screen (hosts loading…) shows before the hosts are
        # asked, since a large first refresh keeps the event loop busy for a while. (After
        # the first paint, not after a fixed delay: on a slow machine the paint takes longer.)
        self.call_after_refresh(self.set_timer, FIRST_REFRESH_DELAY, self.refresh_capsules)
        self.call_after_refresh(self.set_timer, FIRST_REFRESH_DELAY, self.follow_changes)
        self.set_interval(self.app.poll_seconds, self._tick)  # type: ignore[attr-defined]
        self.start_usage()  # CPU and memory of the rows on screen (list_usage.py)

    # -- the last filter and sort, between runs --------------------------------

    def _recall(self) -> None:
        from capsule_tui.view_memory import load

        path = self.app.memory_path  # type: ignore[attr-defined]
        memory = self._memory = load(path) if path is not None else None
        if memory is not None:
            self.order = SortOrder(memory.sort, memory.reverse)
            self.chosen = parse_filter(memory.filter)
            with self.filter_input.prevent(Input.Changed):
                self.filter_input.value = memory.filter
        self.filter_input.display = bool(self.chosen)

    def _remember(self) -> None:
        from capsule_tui.screen_memory import where
        from capsule_tui.view_memory import ListMemory, save

        path = self.app.memory_path  # type: ignore[attr-defined]
        if path is not None:
            screen, capsule = where(self.app)
            selected = self.current_uuid() or ""
            if self._memory is not None:  # not restored yet (no refresh so far): keep what was remembered
                screen, selected, capsule = self._memory.screen, self._memory.selected, self._memory.capsule
            save(ListMemory(self.chosen.text, self.order.column, self.order.reverse, screen=screen,
                            selected=selected, capsule=capsule), path)

    # -- loading --------------------------------------------------------------

    def _tick(self) -> None:
        if not self.busy("refresh") and not self.busy("apply"):
            self._collector.when_quiet(self.app.last_input)  # type: ignore[attr-defined]  # between refreshes
        self.poll("refresh", self.refresh_capsules)

    def on_screen_resume(self) -> None:
        # Back from a create or a detail: show what changed without waiting for the tick.
        if self.snapshot is not None:
            self.poll("refresh", self.refresh_capsules)

    @work(group="live", exclusive=True, exit_on_error=False, description="following the hosts' events")
    async def follow_changes(self) -> None:
        # New events only (limit 0): the hosts' event streams and other capsule processes.
        async for _event in self.app.backend.events(limit=0):  # type: ignore[attr-defined]
            self.post_message(self.Changed())

    def on_capsule_list_screen_changed(self) -> None:
        # Events come in bursts (a refresh that finds 1,000 new capsules records 1,000
        # events): one refresh for the burst, a moment later, not one per event.
        if not self._change_pending:
            self._change_pending = True
            self.set_timer(CHANGE_SETTLE_SECONDS, self._refresh_for_changes)

    def on_create_progress_rows_changed(self) -> None:
        # A create from the create screen wrote its Starting row, or ended: show it now.
        self.on_capsule_list_screen_changed()

    def _refresh_for_changes(self) -> None:
        if self.busy("refresh"):  # the refresh under way may have missed it: try again soon
            self.set_timer(CHANGE_SETTLE_SECONDS, self._refresh_for_changes)
            return
        self._change_pending = False
        self.refresh_capsules()

    @work(group="refresh", exclusive=True, exit_on_error=False, description="refreshing the capsule list")
    async def refresh_capsules(self) -> None:
        snapshot = await self.app.backend.snapshot()  # type: ignore[attr-defined]
        self.post_message(self.Refreshed(snapshot))

    def on_capsule_list_screen_refreshed(self, message: Refreshed) -> None:
        self.apply_snapshot(message.snapshot)

    @work(group="apply", exclusive=True, exit_on_error=False, description="showing the refreshed list")
    async def apply_snapshot(self, snapshot: Snapshot) -> None:
        """A refresh's rows onto the table, in a worker of its own: the screen's own message
        queue (its key bindings) stays free, and the repaint can wait for the screen's paints.
        A newer snapshot cancels this one between two steps; the table stays true (see
        show_rows_in_steps)."""
        # A key that came in while the snapshot was being built goes first: applying
        # 1,000 rows right after building them would hold the loop for both at a stretch.
        await asyncio.sleep(0)
        self.snapshot = snapshot
        self._note_hosts(snapshot.hosts)
        self.marked &= {v.uuid for v in snapshot.capsules}
        await self.show_rows_in_steps()
        self._collector.after_refresh()
        if self._memory is not None:  # the first refresh: back to the last run's screen and selection
            from capsule_tui.screen_memory import restore

            memory, self._memory = self._memory, None
            if self.app.screen is self:
                restore(self, memory)

    def on_unmount(self) -> None:
        self._collector.stop()

    def _note_hosts(self, hosts: list[HostState]) -> None:
        """Update the host line; a host that stops (or starts) answering is also a notification."""
        for host in hosts:
            before = self._hosts.get(host.name)
            if host.state != REACHABLE and (before is None or before.state != host.state
                                            or before.error != host.error):
                self.app.notify(shown(f"host {host.name} is {host.state}: {host.error or 'no reason given'}",
                                      block=True),
                                title="host", severity="warning", timeout=8)
            elif host.state == REACHABLE and before is not None and before.state not in (REACHABLE, LOADING):
                self.app.notify(shown(f"host {host.name} answers again"), title="host")
        changed = list(self._hosts.values()) != hosts
        self._hosts = {h.name: h for h in hosts}
        if changed:  # an update re-lays the screen out: not every 2 s for the same line
            self.host_status.update(host_line(hosts))

    # -- rows -----------------------------------------------------------------

    def _column_labels(self) -> Iterator[tuple[str, str]]:
        """Each column's key and header, the sorted one with its arrow."""
        for key, label in COLUMNS:
            if key == self.order.column:
                label += " ▼" if self.order.reverse else " ▲"
            yield key, label

    def _add_columns(self) -> None:
        for key, label in self._column_labels():
            self.table.add_column(label, key=key)

    def _sorted_anew(self) -> None:
        """The sort changed: new headers, and the rows reordered in place (not rebuilt: a
        rebuild re-adds, re-measures and re-renders 1,000 rows; this keeps them all)."""
        relabelled = [self.table.relabel_column(key, label)  # type: ignore[attr-defined]  # CapsuleTable
                      for key, label in self._column_labels()]
        self.show_rows(rebuild=not all(relabelled))
        self._remember()

    def shown_views(self) -> list[CapsuleView]:
        return arrange(self.snapshot.capsules if self.snapshot else [], self.chosen, self.order, self.figures)

    def _wanted_rows(self) -> tuple[list[CapsuleView], dict[str, tuple[str, ...]]]:
        """The views to show and each one's cell texts, by uuid; any stepped apply under
        way stops at its next step (it was showing older rows)."""
        self._apply_generation += 1
        rows = self.shown_views()
        return rows, {v.uuid: row_texts(v, marked=v.uuid in self.marked, usage=self.figures(v.uuid)) for v in rows}

    def show_rows(self, *, rebuild: bool = False) -> None:
        rows, wanted = self._wanted_rows()
        if rebuild or not self._shown:
            self._rebuild(wanted)
        else:
            for _ in self._update_in_place(wanted):
                pass
        self._shown = wanted
        self._summarize(len(rows))

    async def show_rows_in_steps(self) -> None:
        """`show_rows` for a refresh: the event loop is given back every ROWS_PER_STEP changed rows.

        A refresh in which every age changed rewrites 1,000 rows; done at a stretch it
        held key presses for tens of milliseconds before the table was even painted.
        Between steps a key is answered; rows that came, went or moved are painted before
        any cell is written, the rows on screen are repainted in parts at the end. A
        `show_rows` meanwhile (the filter changed) wins: this one stops at its next step;
        `_shown` is kept true to the table after every row, so either can go on from it.
        """
        rows, wanted = self._wanted_rows()
        generation = self._apply_generation
        if not self._shown:
            self._rebuild(wanted)
        else:
            self._shown = dict(self._shown)  # written row by row from here on
            for rows_moved in self._update_in_place(wanted, repaint=False):
                if rows_moved:
                    await self._painted()
                else:
                    await asyncio.sleep(0)
                if generation != self._apply_generation:
                    return
            await self._repaint_in_parts()
            if generation != self._apply_generation:  # a show_rows ran during the repaint: its rows stand
                return
        self._shown = wanted
        self._summarize(len(rows))

    async def _repaint_in_parts(self) -> None:
        """Repaint the rows on screen REPAINT_ROWS at a time, each part painted before the next.

        When every row on screen changed (ages tick), painting them all at once held
        the event loop for 30-50 ms on a slow machine (~1 ms a row); in parts, a key
        waits for one part. The screen paints on its own timer: a part asked for
        before the last one was painted would be painted with it, so each part waits
        for that paint (the table's, whose queue this worker does not hold).
        """
        table = self.table
        # The rows from the top of the scrolled view, a table's height of them (a row
        # beyond the window is skipped by refresh_row: it costs nothing).
        first = table.scroll_offset.y
        shown = list(range(first, min(table.row_count, first + table.size.height)))
        for start in range(0, len(shown), REPAINT_ROWS):
            if start:
                await self._painted()
            for row in shown[start:start + REPAINT_ROWS]:
                table.refresh_row(row)

    async def _painted(self) -> None:
        """Until the screen has painted what the table asked for (from the apply's worker)."""
        if not await self.table.wait_for_refresh():
            await asyncio.sleep(FRAME_SECONDS)  # called from the table's own task: a frame instead

    def _update_in_place(self, wanted: dict[str, tuple[str, ...]], *, repaint: bool = True) -> Iterator[bool]:
        """Add, remove and reorder rows, then rewrite changed cells; the cursor stays on its capsule.

        Rows that stay are never redrawn from scratch: with 1,000 rows, re-measuring
        every cell is what makes a refresh slow. A row whose texts are those on screen
        costs one tuple comparison; a column is re-measured only when a cell outgrows it.

        Rows come and go first, and yield True when they did: the table then repaints
        all its rows (they moved), which is cheap while their cells are those already
        drawn (capsule_tui/widgets/capsule_table.py), so a stepped apply waits for that paint
        before it writes any cell. Then yields False after every ROWS_PER_STEP rows
        written (see show_rows_in_steps); the table asks for its one repaint after the last.
        """
        table = self.table
        shown = self._shown
        keep, index = self.current_uuid(), table.cursor_row
        moved = False
        gone = shown.keys() - wanted.keys()
        if gone:
            table.remove_rows(gone)  # type: ignore[attr-defined]  # CapsuleTable: all at once
            for uuid in gone:
                del shown[uuid]
            moved = True
        for uuid, texts in wanted.items():
            if uuid not in shown:
                table.add_row(*(cell(key, text) for key, text in zip(COLUMN_KEYS, texts, strict=True)), key=uuid)
                shown[uuid] = texts
                moved = True
        order = list(wanted)
        if [row.key.value for row in table.ordered_rows] != order:
            # DataTable sorts by cell values only; name and host identify a capsule's row.
            place = {(texts[1], texts[3]): n for n, texts in enumerate(wanted.values())}
            if len(place) != len(order):
                self._rebuild(wanted)
                return
            table.sort("name", "host", key=lambda name_host: place[(str(name_host[0]), str(name_host[1]))])
            moved = True
        if order and (keep is None or keep not in wanted or table.cursor_row != order.index(keep)):
            target = order.index(keep) if keep in wanted else min(index, len(order) - 1)
            table.move_cursor(row=target, animate=False, scroll=False)
        if moved:
            yield True
        widths = {key: table.columns[ColumnKey(key)].content_width for key in COLUMN_KEYS}
        written = 0
        for uuid, texts in wanted.items():
            old = shown[uuid]
            if old == texts:
                continue
            for key, text, before in zip(COLUMN_KEYS, texts, old, strict=True):
                if text != before:
                    grows = cell_len(text) > widths[key]
                    if grows:
                        widths[key] = cell_len(text)
                    table.update_cell_quietly(uuid, key, cell(key, text), update_width=grows)
            shown[uuid] = texts
            written += 1
            if written % ROWS_PER_STEP == 0:
                yield False
        if written and repaint:
            table.refresh()

    def _rebuild(self, wanted: dict[str, tuple[str, ...]]) -> None:
        """A first fill (or headers that could not be changed in place): redraw, keeping the cursor and the scroll."""
        table = self.table
        keep = self.current_uuid()
        index, scroll_y = table.cursor_row, table.scroll_y
        table.clear(columns=True)
        self._add_columns()
        for uuid, texts in wanted.items():
            table.add_row(*(cell(key, text) for key, text in zip(COLUMN_KEYS, texts, strict=True)), key=uuid)
        if not wanted:
            return
        target = list(wanted).index(keep) if keep in wanted else min(index, len(wanted) - 1)
        table.move_cursor(row=target, animate=False, scroll=False)
        if scroll_y:  # clear() leaves the view at the top; restoring 0 later would undo a scroll made meanwhile
            self.call_after_refresh(table.scroll_to, y=scroll_y, animate=False)

    def _summarize(self, count: int) -> None:
        total = len(self.snapshot.capsules) if self.snapshot else 0
        parts = [f"{count} of {total} capsules" if self.chosen else f"{total} capsules"]
        if self.chosen:
            parts.append(f"filter: {self.chosen.text}")
        if self.marked:
            parts.append(f"{len(self.marked)} marked")
        if self.order.column in USAGE_SORTABLE:
            parts.append(f"sorted by {self.order.column}, {'highest' if self.order.reverse else 'lowest'} first")
        else:
            parts.append(f"sorted by {self.order.column}{' (reversed)' if self.order.reverse else ''}")
        summary = " · ".join(parts)
        if summary != self._summary:  # an update re-lays the screen out: only when it says something new
            self._summary = summary
            self.query_one("#list-summary", Static).update(Text(summary))  # Text: the filter is no markup

    def current_uuid(self) -> str | None:
        table = self.table
        if not table.row_count:
            return None
        row_key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
        return row_key.value

    def current_view(self) -> CapsuleView | None:
        uuid = self.current_uuid()
        return next((v for v in self.shown_views() if v.uuid == uuid), None)

    # -- actions --------------------------------------------------------------

    def action_refresh(self) -> None:
        self.poll("refresh", self.refresh_capsules)

    def action_filter(self) -> None:
        self.filter_input.display = True
        self.set_focus(self.filter_input)

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.chosen = parse_filter(event.value)
        self.show_rows()

    @on(Input.Submitted, "#filter")
    def _filter_done(self) -> None:
        self.filter_input.display = bool(self.filter_input.value)
        self.set_focus(self.table)
        self._remember()

    def action_clear_filter(self) -> None:
        self.filter_input.value = ""
        self.filter_input.display = False
        self.chosen = CapsuleFilter()
        self.show_rows()
        self.set_focus(self.table)
        self._remember()

    def action_sort(self) -> None:
        self.order = self.order.next_column()
        self._sorted_anew()

    def action_reverse_sort(self) -> None:
        """The same column, the other way (k9s reverses on the same key again; here S)."""
        self.order = self.order.clicked(self.order.column)
        self._sorted_anew()

    @on(DataTable.HeaderSelected, "#capsules")
    def _header_clicked(self, event: DataTable.HeaderSelected) -> None:
        if event.column_key.value in USAGE_SORTABLE:
            self.action_sort_usage(str(event.column_key.value))
        elif event.column_key.value in SORTABLE:
            self.order = self.order.clicked(str(event.column_key.value))
            self._sorted_anew()

    def action_mark(self) -> None:
        uuid = self.current_uuid()
        if uuid is None:
            return
        self.marked ^= {uuid}
        self.show_rows()

    def action_mark_all(self) -> None:
        """Mark every row shown (e.g. all matching a label filter); again to unmark them."""
        shown = {v.uuid for v in self.shown_views()}
        self.marked = self.marked - shown if shown <= self.marked else self.marked | shown
        self.show_rows()

    @on(DataTable.RowSelected, "#capsules")
    def _row_chosen(self) -> None:
        self.action_details()

    def action_details(self) -> None:
        from capsule_tui.screens.capsule_detail import CapsuleDetailScreen

        view = self.current_view()
        if view is not None:
            self.app.push_screen(CapsuleDetailScreen(view.name, view.uuid))

    def action_logs(self) -> None:
        from capsule_tui.screens.capsule_logs import LogsScreen

        view = self.current_view()
        if view is not None:
            self.app.push_screen(LogsScreen(view.name, view.uuid, view.host))

    def action_events(self) -> None:
        from capsule_tui.screens.event_log import EventLogScreen

        self.app.push_screen(EventLogScreen())

    def action_hosts(self) -> None:
        from capsule_tui.screens.host_list import HostListScreen

        self.app.push_screen(HostListScreen())

    def action_services(self) -> None:
        from capsule_tui.screens.service_list import ServiceListScreen

        self.app.push_screen(ServiceListScreen())

    def action_create(self) -> None:
        from capsule_tui.screens.create_capsule import CreateCapsuleScreen

        self.app.push_screen(CreateCapsuleScreen())

    def action_import(self) -> None:
        from capsule_tui.screens.create_capsule import CreateCapsuleScreen

        # The same screen as `c`, on its path field: a manifest is loaded more often than typed.
        self.app.push_screen(CreateCapsuleScreen(start="path"))

    def action_delete(self) -> None:
        from capsule_tui.screens.confirm_delete import ConfirmDeleteScreen

        views = [v for v in self.shown_views() if v.uuid in self.marked]
        if not views:
            current = self.current_view()
            views = [current] if current is not None else []
        if not views:
            self.app.notify("nothing to delete: select a capsule or mark some with space", severity="warning")
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.delete_capsules(views)

        self.app.push_screen(ConfirmDeleteScreen(views), confirmed)

    def action_delete_matching(self) -> None:
        """`D`: every capsule the filter shows (e.g. app=web), after the same confirmation."""
        from capsule_tui.screens.confirm_delete import ConfirmDeleteScreen

        views = self.shown_views()
        if not self.chosen or not views:
            problem = "no capsule matches the filter" if self.chosen else "there is no filter"
            self.app.notify(f"nothing to delete: {problem}; D deletes every capsule the filter shows "
                            f"(set one with /, e.g. app=web)", severity="warning")
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.delete_capsules(views)

        self.app.push_screen(ConfirmDeleteScreen(views, matching=self.chosen.text), confirmed)

    @work(group="delete", exit_on_error=False, description="deleting capsules")
    async def delete_capsules(self, views: list[CapsuleView]) -> None:
        # By uuid: exactly the rows chosen, not every capsule that shares one's name.
        names = list(dict.fromkeys(v.name for v in views))
        self.app.notify(shown(f"deleting {', '.join(names)}…"), title="delete")
        results = await self.app.backend.delete_by_uuid([v.uuid for v in views])  # type: ignore[attr-defined]
        failed = [r for r in results if r.error is not None]
        done = [f"{r.name} on {r.host}" for r in results if r.error is None]
        if done:
            self.app.notify(shown(f"deleted {', '.join(done)}"), title="delete")
        for result in failed:
            self.app.notify(str(result.error), title="delete failed", severity="error",
                            timeout=10)
        self.marked -= {v.uuid for v in views}
        self.poll("refresh", self.refresh_capsules)

    # -- acting on capsules (capsule_tui/actions/capsule_actions.py) ---------------------

    def action_targets(self) -> list[CapsuleView]:
        """The marked rows shown, else the cursor's."""
        views = [v for v in self.shown_views() if v.uuid in self.marked]
        current = self.current_view()
        return views or ([current] if current is not None else [])

    def exec_target(self) -> CapsuleView | None:
        return self.current_view()

    def after_action(self, changed: dict[str, str] | None = None) -> None:
        self.poll("refresh", self.refresh_capsules)
