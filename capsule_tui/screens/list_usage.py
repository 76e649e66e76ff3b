"""The capsule list's live CPU and memory columns: sampled for the rows on screen, never in a key's way.

Every USAGE_SECONDS a worker of its own (group "usage", never two at once) asks the
backend for the figures of the capsules whose rows are on screen (a few dozen of
1,000: one-shot stats of their containers, runtime/usage/), and writes the usage
cells of those rows that changed, then repaints just them, a part at a time. The list's refresh is
not waited for and does not wait: its rows take the last figures as they are built
(`figures`), and while a stepped apply is under way the cells are left to it.
Nothing is sampled while another screen is on top, or when the backend has no
`usage` (a stub): the columns then show `-`.

A mixin of CapsuleListScreen (capsule_list.py), which calls `start_usage` once
mounted and `figures(uuid)` when it builds a row or sorts by CPU or MEM (`C`, `M`).
"""

from __future__ import annotations

from rich.cells import cell_len
from textual import work
from textual.binding import Binding
from textual.coordinate import Coordinate
from textual.widgets.data_table import ColumnKey, RowDoesNotExist

from capsule_tui.formatters.capsule_rows import COLUMN_KEYS, SortOrder, cell, row_texts
from runtime.views import CapsuleUsage, Usage

USAGE_SECONDS = 2.0  # k9s' refresh; a CPU figure is the average between two samples
REPAINT_ROWS = 12  # rows repainted at a time (as the list's own stepped repaint)
# k9s' keys: shift+c, shift+m sort by CPU, MEM (highest first); the same key again reverses.
USAGE_SORT_BINDINGS = [
    Binding("C", "sort_usage('cpu')", "Sort by CPU", show=False),
    Binding("M", "sort_usage('mem')", "Sort by MEM", show=False),
]


class UsageColumns:
    """Mixin: the usage columns of CapsuleListScreen."""

    _usage: dict[str, Usage]

    def start_usage(self) -> None:
        self._usage = {}
        if hasattr(self.app.backend, "usage"):  # type: ignore[attr-defined]
            self.set_interval(USAGE_SECONDS, self._usage_tick)  # type: ignore[attr-defined]

    def figures(self, uuid: str) -> Usage | None:
        return getattr(self, "_usage", {}).get(uuid)

    def action_sort_usage(self, column: str) -> None:
        """Highest first (k9s' order), by the figures sampled last (formatters/usage_order.py);
        the same key again reverses."""
        order: SortOrder = self.order  # type: ignore[attr-defined]
        self.order = order.clicked(column) if order.column == column else SortOrder(column, reverse=True)
        self._sorted_anew()  # type: ignore[attr-defined]

    def rows_on_screen(self) -> list[str]:
        """The uuids of the rows in the table's window (scrolled to where it is)."""
        table = self.table  # type: ignore[attr-defined]
        first = table.scroll_offset.y
        last = min(table.row_count, first + table.size.height)
        return [table.coordinate_to_cell_key(Coordinate(row, 0)).row_key.value for row in range(first, last)]

    def _usage_tick(self) -> None:
        if self.app.screen is not self or self.busy("usage"):  # type: ignore[attr-defined]
            return
        uuids = self.rows_on_screen()
        if uuids:
            self.sample_usage(uuids)

    @work(group="usage", exclusive=True, exit_on_error=False, description="sampling CPU and memory")
    async def sample_usage(self, uuids: list[str]) -> None:
        sampled = await self.app.backend.usage(uuids)  # type: ignore[attr-defined]
        changed = self.show_usage(sampled)
        await self._repaint_rows(changed)

    async def _repaint_rows(self, uuids: list[str]) -> None:
        """Those rows repainted REPAINT_ROWS at a time, each part painted before the next: every
        CPU cell on screen changes in most samples, and ~45 rows painted at once held the loop
        for tens of milliseconds on a slow machine (capsule_list.py's _repaint_in_parts)."""
        table = self.table  # type: ignore[attr-defined]
        for start in range(0, len(uuids), REPAINT_ROWS):
            if start and not await table.wait_for_refresh():
                return
            for uuid in uuids[start:start + REPAINT_ROWS]:
                try:
                    table.refresh_row(table.get_row_index(uuid))
                except RowDoesNotExist:
                    pass  # removed by a refresh meanwhile

    def show_usage(self, sampled: dict[str, CapsuleUsage]) -> list[str]:
        """Keep the figures; rewrite the usage cells of the rows shown whose text changed (without
        a repaint: `_repaint_rows` does that); returns those rows' uuids."""
        self._usage.update({uuid: figures.usage for uuid, figures in sampled.items()})
        snapshot = self.snapshot  # type: ignore[attr-defined]
        if snapshot is None or self.busy("apply"):  # type: ignore[attr-defined]
            return []  # the apply under way (or the next) builds its rows with these figures
        table = self.table  # type: ignore[attr-defined]
        shown: dict[str, tuple[str, ...]] = self._shown  # type: ignore[attr-defined]
        views = {v.uuid: v for v in snapshot.capsules if v.uuid in sampled}
        changed = []
        for uuid, view in views.items():
            before = shown.get(uuid)
            if before is None:
                continue  # filtered out meanwhile
            texts = row_texts(view, marked=uuid in self.marked, usage=self._usage.get(uuid))  # type: ignore[attr-defined]
            if texts == before:
                continue
            for key, text, old in zip(COLUMN_KEYS, texts, before, strict=True):
                if text != old:
                    grows = cell_len(text) > table.columns[ColumnKey(key)].content_width
                    table.update_cell_quietly(uuid, key, cell(key, text), update_width=grows)
            shown[uuid] = texts
            changed.append(uuid)
        return changed
