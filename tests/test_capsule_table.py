"""CapsuleTable: after an update only the changed cells are rendered again, and what
is on screen is always the table's current content (values, cursor, styles)."""

from __future__ import annotations

import pytest
from textual.app import App, ComposeResult
from textual.widgets import DataTable

from capsule_tui import capsule_table
from capsule_tui.capsule_table import CapsuleTable


class TableApp(App[None]):
    def compose(self) -> ComposeResult:
        yield CapsuleTable(id="t", cursor_type="row", zebra_stripes=True)


def line(table: DataTable, row: int) -> str:
    return table.render_line(row + 1).text  # line 0 is the header


async def filled(pilot, rows: int = 30) -> CapsuleTable:  # type: ignore[no-untyped-def]
    table = pilot.app.query_one(CapsuleTable)
    table.add_column("NAME", key="name")
    table.add_column("AGE", key="age")
    for i in range(rows):
        table.add_row(f"c{i:02d}", f"{i}s", key=f"k{i}")
    await pilot.pause()
    return table


def test_the_installed_textual_gets_the_cell_cache() -> None:
    # If a Textual upgrade changes DataTable._render_cell, CapsuleTable falls back to a
    # plain DataTable: correct but slow again, which this test makes visible.
    assert capsule_table._COMPATIBLE


@pytest.mark.asyncio
async def test_only_changed_cells_are_rendered_again_and_the_screen_shows_them(monkeypatch) -> None:
    async with TableApp().run_test(size=(40, 12)) as pilot:
        table = await filled(pilot)
        assert "c00" in line(table, 0) and "0s" in line(table, 0)
        rendered: list[tuple[int, int]] = []
        original = DataTable._render_cell

        def counting(self, row_index, column_index, *args, **kwargs):  # type: ignore[no-untyped-def]
            rendered.append((row_index, column_index))
            return original(self, row_index, column_index, *args, **kwargs)

        monkeypatch.setattr(DataTable, "_render_cell", counting)
        table.update_cell("k1", "age", "42m")
        await pilot.pause()
        texts = [line(table, row) for row in range(5)]
        assert "42m" in texts[1] and "1s" not in texts[1]
        assert "0s" in texts[0] and "2s" in texts[2]
        assert rendered and set(rendered) <= {(1, 1), (-1, 0), (-1, 1)}  # the changed cell (and headers)


@pytest.mark.asyncio
async def test_cursor_sort_and_removal_still_show_the_current_rows() -> None:
    async with TableApp().run_test(size=(40, 12)) as pilot:
        table = await filled(pilot)
        await pilot.press("down")
        assert table.cursor_row == 1
        table.sort("name", reverse=True)
        await pilot.pause()
        assert "c29" in line(table, 0)
        table.remove_row("k29")
        await pilot.pause()
        assert "c28" in line(table, 0)
        table.update_cell("k28", "name", "renamed", update_width=True)
        await pilot.pause()
        assert "renamed" in line(table, 0)
        table.clear()
        table.add_row("fresh", "1s", key="new")
        await pilot.pause()
        assert "fresh" in line(table, 0)
