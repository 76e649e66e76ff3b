"""The capsule list's table: a DataTable that renders only the rows that changed, quickly.

Textual's DataTable keys its rendered-cell and rendered-line caches on a counter
that every `update_cell` bumps, and its line cache also on where the cursor is, so
changing one cell (an age going from 41s to 43s) or moving the cursor renders
every visible line again: with 1,000 capsules on a 160x50 terminal that is ~45
lines and 30-50 ms on a slow machine, during which key presses wait. Here

- a rendered cell is kept for as long as the same value object sits in the same
  row and column with the same width, style, cursor and hover state (a row that
  moves up or down gets its kept cells with the new row index stamped on), and a
  Text cell that looks like one rendered in another row (same text, styles, width
  and state: most columns repeat a few texts) is that one with its row stamped on;
- a rendered line of a row is kept for as long as the row holds the same value
  objects at the same index, with the same column widths, styles and crop, and the
  cursor and hover are on it (or not) as before: moving the cursor renders the two
  rows it leaves and enters, a refresh renders the rows whose cells changed;
- a row line that must be rendered is put together from its cells with the styles
  looked up once per paint, not three times per line (each lookup walks the
  widget's ancestors): the same segments DataTable makes, several times faster
  (tests/tui/test_capsule_table.py compares the two, line by line).

Everything else (headers, row labels, fixed rows and columns, other cursor types)
goes through DataTable as before.

`update_cell_quietly` changes a cell without asking for a repaint, so that a
refresh can change many cells in steps (giving the event loop back between them)
and have the rows repainted afterwards, rather than once per step.

New rows are measured without asking Rich (and the terminal) for each cell: a
one-line Text is as wide as its text. `remove_rows` removes many rows at once.

It relies on DataTable's private rendering methods and attributes; when a Textual
version has other signatures, `CapsuleTable` is a plain DataTable (correct, just
slower), and the tests say so.
Must not hold anything but rendering caches: the rows live in DataTable.
"""

from __future__ import annotations

import inspect
from collections.abc import Collection
from dataclasses import dataclass
from itertools import chain
from typing import Any

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.strip import Strip
from textual.widgets import DataTable
from textual.widgets.data_table import CellKey, ColumnKey, RowKey

try:  # what DataTable crops a line and numbers its rows with (private to Textual: checked, like the rest)
    from textual._segment_tools import line_crop
    from textual._two_way_dict import TwoWayDict
except ImportError:  # pragma: no cover - another Textual version
    line_crop = TwoWayDict = None


def _parameters(function: Any) -> list[str]:
    return list(inspect.signature(function).parameters)


# DataTable._render_cell(row_index, column_index, base_style, width, cursor, hover)
_COMPATIBLE = _parameters(DataTable._render_cell) == [
    "self", "row_index", "column_index", "base_style", "width", "cursor", "hover"]
# What the row lines are put together from (see _BodyPaint).
_COMPATIBLE_LINES = (
    _COMPATIBLE
    and line_crop is not None
    and _parameters(DataTable._render_line) == ["self", "y", "x1", "x2", "base_style"]
    and _parameters(DataTable._get_row_style) == ["self", "row_index", "base_style"]
    and len(_parameters(DataTable._get_styles_to_render_cell)) == 10
    and hasattr(DataTable, "_get_offsets")
)
# Enough for every visible cell (line) in a few cursor/hover states; cleared beyond that.
_KEEP_AT_MOST = 20_000


def _restamped(lines: list[list[Segment]], row_index: int, column_index: int) -> list[list[Segment]]:
    """A rendered cell's lines with another row index in their styles' meta.

    DataTable puts {"row": r, "column": c} into every segment's style (a mouse click
    finds its cell by it); adding a style with only that meta replaces it and keeps
    everything else, exactly as rendering the cell at the new index would.
    """
    meta = Style.from_meta({"row": row_index, "column": column_index})
    return [[Segment(text, style + meta if style is not None else style, control)
             for text, style, control in line] for line in lines]


def _one_line_width(value: object) -> int | None:
    """The cells a one-line Text takes (as Rich measures it), or None for anything else."""
    if isinstance(value, Text) and "\n" not in value.plain and "\t" not in value.plain:
        return cell_len(value.plain)
    return None


@dataclass(frozen=True)
class _BodyPaint:
    """What every row line of one paint shares, looked up once at its start."""

    base_style: Style
    row_styles: tuple[Style, Style]  # even rows, odd rows
    widths: tuple[int, ...]  # each column's render width
    header_height: int
    width: int
    remaining: int  # blank cells right of the last column
    cursor_extend: Style  # the blank's style on the cursor row
    hover_extend: Style
    cursor_hover_extend: Style
    plain_extend: Style
    key: tuple[Any, ...]  # all of the above that a kept line depends on


class CapsuleTable(DataTable):
    """A DataTable whose unchanged rows are not rendered again after an update.

    Moves as k9s and lazydocker users' hands expect: j/k down and up, g/Home the first
    row, G/End the last (DataTable's own Home/End only scroll sideways).
    """

    BINDINGS = [
        Binding("j", "cursor_down", show=False),
        Binding("k", "cursor_up", show=False),
        Binding("g,home", "first_row", "First row", show=False),
        Binding("G,end", "last_row", "Last row", show=False),
    ]

    def action_first_row(self) -> None:
        if self.row_count:
            self.move_cursor(row=0)

    def action_last_row(self) -> None:
        if self.row_count:
            self.move_cursor(row=self.row_count - 1)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Before DataTable's __init__: its reactive watchers already clear the caches.
        self._kept_cells: dict[tuple[Any, ...], tuple[object, Any, int]] = {}
        self._kept_lines: dict[tuple[Any, ...], tuple[tuple[object, ...], Strip]] = {}
        self._rendered_texts: dict[tuple[Any, ...], Any] = {}  # a Text's looks -> its rendered lines
        self._paint: _BodyPaint | None = None  # set while render_lines runs
        super().__init__(*args, **kwargs)

    if _COMPATIBLE:

        def _render_cell(self, row_index: int, column_index: int, base_style: Any, width: int,
                         cursor: bool = False, hover: bool = False) -> Any:
            if row_index < 0 or column_index < 0:  # header row, row labels: DataTable's own cache
                return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
            row_key = self._row_locations.get_key(row_index)
            column_key = self._column_locations.get_key(column_index)
            value = self._data[row_key][column_key]
            # Not keyed on the row's index: a row that moved (one was added or removed above
            # it, or the table was sorted) keeps its cells, with the new index stamped on.
            key = (row_key, column_key, column_index, row_index < self.fixed_rows, base_style, width,
                   cursor, hover, self._show_hover_cursor, self._pseudo_class_state, self.rows[row_key].height)
            kept = self._kept_cells.get(key)
            if kept is not None and kept[0] is value:  # the very object rendered last time
                if kept[2] == row_index:
                    return kept[1]
                lines = _restamped(kept[1], row_index, column_index)
            elif isinstance(value, Text):
                lines = self._render_text_cell(value, key, row_index, column_index, base_style, width, cursor, hover)
            else:
                lines = super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
            if len(self._kept_cells) >= _KEEP_AT_MOST:
                self._kept_cells.clear()
            self._kept_cells[key] = (value, lines, row_index)
            return lines

        def _render_text_cell(self, value: Text, key: tuple[Any, ...], row_index: int, column_index: int,
                              base_style: Any, width: int, cursor: bool, hover: bool) -> Any:
            """A Text cell as DataTable renders it, from an equal Text rendered in another row
            when there is one: most columns repeat a few texts (Running, a host, 1/1, 0, 5s)."""
            looks = (value.plain, value.style, tuple(value.spans), value.justify, value.overflow, value.no_wrap,
                     value.end, value.tab_size, self.show_cursor, self.cell_padding, key[2:])
            like = self._rendered_texts.get(looks)
            if like is not None:
                return _restamped(like, row_index, column_index)
            lines = super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
            if len(self._rendered_texts) >= _KEEP_AT_MOST:
                self._rendered_texts.clear()
            self._rendered_texts[looks] = lines
            return lines

    if _COMPATIBLE_LINES:

        def render_lines(self, crop: Any) -> Any:
            self._paint = self._body_paint()
            try:
                return super().render_lines(crop)
            finally:
                self._paint = None

        def render_line(self, y: int) -> Strip:
            paint = self._paint
            if paint is None:
                return super().render_line(y)
            scroll_x, scroll_y = self.scroll_offset
            if y >= paint.header_height:
                y += scroll_y
            return self._render_line(y, scroll_x, scroll_x + paint.width, paint.base_style)

        def _render_line(self, y: int, x1: int, x2: int, base_style: Any) -> Strip:
            paint = self._paint
            if paint is None or base_style is not paint.base_style:
                return super()._render_line(y, x1, x2, base_style)
            try:
                row_key, line_in_row = self._get_offsets(y)
            except LookupError:
                return super()._render_line(y, x1, x2, base_style)
            row_index = self._row_locations.get(row_key)
            if row_index is None:  # the header
                return super()._render_line(y, x1, x2, base_style)
            row = self.rows[row_key]
            values = (row.label, *self._data[row_key].values())
            cursor = self.cursor_coordinate.row == row_index
            hover = self.hover_coordinate.row == row_index
            key = (row_key, line_in_row, row_index, row.height, x1, x2, cursor, hover, paint.key)
            kept = self._kept_lines.get(key)
            if kept is not None and len(kept[0]) == len(values) and all(
                    a is b for a, b in zip(kept[0], values, strict=True)):
                return kept[1]
            strip = self._row_line(paint, row_index, line_in_row, x1, x2, cursor, hover)
            if len(self._kept_lines) >= _KEEP_AT_MOST:
                self._kept_lines.clear()
            self._kept_lines[key] = (values, strip)
            return strip

    def _body_paint(self) -> _BodyPaint | None:
        """The paint's shared styles, or None where DataTable must draw the rows itself."""
        if (self.cursor_type != "row" or self.fixed_rows or self.fixed_columns
                or (self._labelled_row_exists and self.show_row_labels)):
            return None
        self._pseudo_class_state = self.get_pseudo_class_state()  # as DataTable.render_lines does
        base_style = self.rich_style
        row_styles = (self._get_row_style(0, base_style), self._get_row_style(1, base_style))
        widths = tuple(column.get_render_width(self) for column in self.ordered_columns)
        width = self.size.width
        remaining = max(0, width - (sum(widths) + self._row_label_column_width))

        def extend(hover: bool, cursor: bool) -> Style:
            style, _ = self._get_styles_to_render_cell(False, False, False, hover, cursor, self.show_cursor,
                                                       self._show_hover_cursor, False, False)
            return style

        header_height = self.get_row_height(self._header_row_key) if self.show_header else 0
        columns = tuple(column.key for column in self.ordered_columns)
        key = (base_style, row_styles, columns, widths, width, header_height, self.show_cursor,
               self._show_hover_cursor, self._pseudo_class_state, self.cell_padding,
               self.cursor_foreground_priority, self.cursor_background_priority)
        return _BodyPaint(base_style, row_styles, widths, header_height, width, remaining,
                          extend(False, True), extend(True, False), extend(True, True), extend(False, False),
                          key)

    def _row_line(self, paint: _BodyPaint, row_index: int, line_in_row: int, x1: int, x2: int,
                  cursor: bool, hover: bool) -> Strip:
        """One line of a row, as DataTable._render_line makes it (without fixed parts or labels)."""
        row_style = paint.row_styles[row_index % 2]
        render_cell = self._render_cell
        cells = [render_cell(row_index, column_index, row_style, width, cursor, hover)[line_in_row]
                 for column_index, width in enumerate(paint.widths)]
        extend = (paint.cursor_hover_extend if cursor and hover else paint.cursor_extend if cursor
                  else paint.hover_extend if hover else paint.plain_extend)
        blank_style = row_style + extend + Style.from_meta({"row": row_index, "column": 0, "out_of_bounds": True})
        segments = list(chain.from_iterable(cells))
        segments.append(Segment(" " * paint.remaining, blank_style))
        line = line_crop(segments, x1, x2, paint.width)
        return Strip(line).adjust_cell_length(paint.width, paint.base_style).simplify()

    if _COMPATIBLE and _parameters(DataTable._update_dimensions) == ["self", "new_rows"]:

        def _update_dimensions(self, new_rows: Any) -> None:
            # DataTable measures every cell of every new row through Rich, which asks the
            # terminal for its size three times per cell: 1,000 rows took over half a
            # second. A one-line Text measures as its plain text's cell length (what Rich's
            # measurement of it comes to); anything else is left to DataTable.
            others = []
            columns = self.ordered_columns
            for row_key in new_rows:
                row = self.rows.get(row_key)
                if row is None or row_key not in self._row_locations:
                    continue  # removed before it was measured
                cells = self._data[row_key]
                widths = [_one_line_width(cells.get(column.key)) for column in columns]
                if row.label is not None or row.auto_height or None in widths:
                    others.append(row_key)
                    continue
                for column, width in zip(columns, widths, strict=True):
                    if width > column.content_width:  # type: ignore[operator]
                        column.content_width = width
            super()._update_dimensions(others)  # those rows, then the table's virtual size

    def relabel_column(self, column_key: str, label: str) -> bool:
        """A new header for a column, as wide as add_column would make it with these rows.

        (DataTable has no way to change a header: the sort arrow moved by clearing the
        table and adding every row again.) False when this Textual's DataTable is not the
        one this was written for: the caller rebuilds the table instead.
        """
        if not _COMPATIBLE or not hasattr(self, "_update_count"):
            return False
        column = self.columns[ColumnKey(column_key)]
        if column.label.plain == label:
            return True
        column.label = Text(label)
        widths = [_one_line_width(self._data[row][column.key]) for row in self._data]
        if None in widths:  # a cell only Rich can measure: never narrower than before
            column.content_width = max(column.content_width, cell_len(label))
        else:
            column.content_width = max([cell_len(label), *widths])  # type: ignore[list-item]
        self._update_count += 1  # the header's rendered cells are kept by this count
        self._require_update_dimensions = True
        self.check_idle()
        self.refresh()
        return True

    def remove_rows(self, row_keys: Collection[str]) -> None:
        """`remove_row` for many rows at once.

        DataTable's renumbers every remaining row for each row removed, and checks the
        cursor against every row's place: a filter that hides 1,000 rows took a second.
        Here the rows are renumbered once. Raises RowDoesNotExist as remove_row does.
        """
        doomed = {RowKey(key) for key in row_keys}
        if len(doomed) < 2 or TwoWayDict is None or not hasattr(self, "_updated_cells"):
            for key in doomed:
                self.remove_row(key)
            return
        for key in doomed:
            if key not in self._row_locations:
                self.remove_row(key)  # raises RowDoesNotExist
        self._require_update_dimensions = True
        self.check_idle()
        staying = sorted((self._row_locations.get(key), key) for key in self._row_locations if key not in doomed)
        self._row_locations = TwoWayDict({key: index for index, (_, key) in enumerate(staying)})
        for key in doomed:
            for column_key in self._data[key]:
                self._updated_cells.discard(CellKey(key, column_key))
            del self.rows[key]
            del self._data[key]
        self.cursor_coordinate = self.cursor_coordinate  # as remove_row: kept within the rows left
        self.hover_coordinate = self.hover_coordinate
        self._update_count += 1
        self.refresh(layout=True)

    def update_cell_quietly(self, row_key: str, column_key: str, value: object, *,
                            update_width: bool = False) -> None:
        """`update_cell` without the repaint it asks for: refresh the row (or table) afterwards."""
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
        self._kept_lines.clear()
        self._rendered_texts.clear()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._kept_cells.clear()
        self._kept_lines.clear()
        self._rendered_texts.clear()
