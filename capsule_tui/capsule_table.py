"""The capsule list's table: a DataTable that re-renders only the cells that changed.

Textual's DataTable keys its rendered-cell cache on a counter that every
`update_cell` bumps, so changing one cell (an age going from 41s to 43s) renders
every visible cell again: with 1,000 capsules on a 160x50 terminal that is ~450
cells and ~100 ms on a slow machine, during which key presses wait. Here a
rendered cell is kept for as long as the same value object sits at the same
place with the same width, style, cursor and hover state; everything else
(headers, row labels, anything after a style or size change) goes through
DataTable as before.

`update_cell_quietly` changes a cell without asking for a repaint, so that a
refresh can change many cells in steps (giving the event loop back between them)
and have the table painted once at the end (`refresh()`), rather than once per step.

It relies on DataTable's `_render_cell` signature and the attributes `update_cell`
sets; when a Textual version has others, `CapsuleTable` is a plain DataTable
(correct, just slower).
Must not hold anything but rendering caches: the rows live in DataTable.
"""

from __future__ import annotations

import inspect
from typing import Any

from textual.widgets import DataTable
from textual.widgets.data_table import CellKey, ColumnKey, RowKey

# DataTable._render_cell(row_index, column_index, base_style, width, cursor, hover)
_EXPECTED = ["self", "row_index", "column_index", "base_style", "width", "cursor", "hover"]
_COMPATIBLE = list(inspect.signature(DataTable._render_cell).parameters) == _EXPECTED
# Enough for every visible cell in a few cursor/hover states; cleared beyond that.
_KEEP_AT_MOST = 20_000


class CapsuleTable(DataTable):
    """A DataTable whose unchanged cells are not rendered again after an update."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Before DataTable's __init__: its reactive watchers already clear the caches.
        self._kept_cells: dict[tuple[Any, ...], tuple[object, Any]] = {}
        super().__init__(*args, **kwargs)

    if _COMPATIBLE:

        def _render_cell(self, row_index: int, column_index: int, base_style: Any, width: int,
                         cursor: bool = False, hover: bool = False) -> Any:
            if row_index < 0 or column_index < 0:  # header row, row labels: DataTable's own cache
                return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
            row_key = self._row_locations.get_key(row_index)
            column_key = self._column_locations.get_key(column_index)
            value = self._data[row_key][column_key]
            key = (row_key, column_key, row_index, column_index, base_style, width, cursor, hover,
                   self._show_hover_cursor, self._pseudo_class_state, self.rows[row_key].height)
            kept = self._kept_cells.get(key)
            if kept is not None and kept[0] is value:  # the very object rendered last time
                return kept[1]
            lines = super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
            if len(self._kept_cells) >= _KEEP_AT_MOST:
                self._kept_cells.clear()
            self._kept_cells[key] = (value, lines)
            return lines

    def update_cell_quietly(self, row_key: str, column_key: str, value: object, *,
                            update_width: bool = False) -> None:
        """`update_cell` without the repaint it asks for: call `refresh()` after the last one."""
        if not _COMPATIBLE or not hasattr(self, "_updated_cells"):
            self.update_cell(row_key, column_key, value, update_width=update_width)
            return
        row, column = RowKey(row_key), ColumnKey(column_key)
        if row not in self._row_locations or column not in self._column_locations:
            self.update_cell(row_key, column_key, value)  # raises CellDoesNotExist, as update_cell does
        self._data[row][column] = value
        self._update_count += 1  # what DataTable's line caches are keyed on
        if update_width:
            self._updated_cells.add(CellKey(row, column))
            self._require_update_dimensions = True

    def _clear_caches(self) -> None:
        super()._clear_caches()
        self._kept_cells.clear()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._kept_cells.clear()
