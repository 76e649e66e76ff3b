"""CapsuleTable: after an update only the changed cells are rendered again, and what
is on screen is always the table's current content (values, cursor, styles)."""

from __future__ import annotations

import pytest
from textual.app import App, ComposeResult
from textual.widgets import DataTable

from capsule_tui.widgets import capsule_table
from capsule_tui.widgets.capsule_table import CapsuleTable


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


class TwinApp(App[None]):
    """A plain DataTable and a CapsuleTable, given the same content and state."""

    CSS = "DataTable { height: 10; width: 50; }"

    def compose(self) -> ComposeResult:
        yield DataTable(id="plain", cursor_type="row", zebra_stripes=True)
        yield CapsuleTable(id="fast", cursor_type="row", zebra_stripes=True)


def twins(app: App) -> tuple[DataTable, CapsuleTable]:  # type: ignore[type-arg]
    return app.query_one("#plain", DataTable), app.query_one("#fast", CapsuleTable)


async def painted(pilot, table: DataTable, *, focused: bool = False) -> list[list[tuple[str, object]]]:  # type: ignore[no-untyped-def]
    """Every line of the table as the screen would get it: (text, style) segments."""
    from textual.geometry import Region

    if focused:
        pilot.app.set_focus(table)
        await pilot.pause()  # the focus styles apply
    table.refresh()  # the widget's own line cache would answer otherwise
    width, height = table.size
    return [[(segment.text, segment.style) for segment in strip]
            for strip in table.render_lines(Region(0, 0, width, height))]


def test_the_installed_textual_gets_the_fast_row_lines() -> None:
    # As above, for the lines CapsuleTable puts together itself (a fallback is correct, but slow).
    assert capsule_table._COMPATIBLE_LINES


@pytest.mark.asyncio
async def test_row_lines_are_what_a_plain_data_table_paints_in_every_state(monkeypatch) -> None:
    from rich.text import Text

    put_together: list[int] = []
    row_line = CapsuleTable._row_line

    def counting(self, paint, row_index, *args):  # type: ignore[no-untyped-def]
        put_together.append(row_index)
        return row_line(self, paint, row_index, *args)

    monkeypatch.setattr(CapsuleTable, "_row_line", counting)
    restamped: list[int] = []
    restamp = capsule_table._restamped

    def counting_restamps(lines, row_index, column_index):  # type: ignore[no-untyped-def]
        restamped.append(row_index)
        return restamp(lines, row_index, column_index)

    monkeypatch.setattr(capsule_table, "_restamped", counting_restamps)
    app = TwinApp()
    async with app.run_test(size=(60, 24)) as pilot:
        plain, fast = twins(app)
        for table in (plain, fast):
            table.add_column("NAME", key="name")
            table.add_column("STATUS", key="status")
            table.add_column("AGE", key="age")
            for i in range(40):
                table.add_row(f"capsule-{i:02d}", Text("Running", style="green" if i % 3 else "bold red"),
                              f"{i}s", key=f"k{i}")
        await pilot.pause()

        def same(ours, theirs) -> None:  # type: ignore[no-untyped-def]
            for y, (their_line, our_line) in enumerate(zip(theirs, ours, strict=False)):
                assert our_line == their_line, (y, [(a, b) for a, b in zip(our_line, their_line, strict=False) if a != b][:1])
            assert len(ours) == len(theirs)

        same(await painted(pilot, fast, focused=True), await painted(pilot, plain, focused=True))
        app.set_focus(None)  # from here on both are painted as the screen paints them, unfocused

        async def both(change) -> None:  # type: ignore[no-untyped-def]
            for table in (plain, fast):
                change(table)
            await pilot.pause()
            same(await painted(pilot, fast), await painted(pilot, plain))

        await both(lambda t: None)
        await both(lambda t: t.move_cursor(row=3))
        await both(lambda t: t.update_cell("k3", "age", "9m"))
        await both(lambda t: [t.update_cell(f"k{i}", "age", Text("1m")) for i in range(0, 12)])  # one text, many rows
        await both(lambda t: t.update_cell("k4", "name", "a-much-longer-capsule-name", update_width=True))
        await both(lambda t: t.scroll_to(x=6, y=12, animate=False))
        await both(lambda t: t.move_cursor(row=15))
        await both(lambda t: setattr(t, "zebra_stripes", False))
        await both(lambda t: (t._set_hover_cursor(True), setattr(t, "hover_coordinate", t.cursor_coordinate.up())))
        await both(lambda t: setattr(t, "hover_coordinate", t.cursor_coordinate))
        await both(lambda t: setattr(t, "show_cursor", False))
        await both(lambda t: t.sort("name", reverse=True))
        await both(lambda t: t.remove_row("k20"))
        await both(lambda t: t.remove_row(t.ordered_rows[0].key))  # every row on screen moves up one
        assert len(put_together) > 40  # the fast table's lines were its own, not DataTable's
        assert len(restamped) > 20  # and the moved rows' cells were kept, not rendered again


@pytest.mark.asyncio
async def test_removing_many_rows_at_once_leaves_what_removing_them_one_by_one_leaves() -> None:
    app = TwinApp()
    async with app.run_test(size=(60, 24)) as pilot:
        plain, fast = twins(app)
        for table in (plain, fast):
            table.add_column("NAME", key="name")
            for i in range(30):
                table.add_row(f"c{i:02d}", key=f"k{i}")
            table.move_cursor(row=25)
        await pilot.pause()
        doomed = [f"k{i}" for i in range(0, 30, 3)] + ["k25", "k26", "k28", "k29"]
        for key in doomed:
            plain.remove_row(key)
        fast.remove_rows(doomed)
        await pilot.pause()
        assert [r.key.value for r in fast.ordered_rows] == [r.key.value for r in plain.ordered_rows]
        assert fast.row_count == plain.row_count == 30 - len(doomed)
        assert fast.cursor_coordinate == plain.cursor_coordinate
        assert [fast.get_row_at(i) for i in range(fast.row_count)] == [plain.get_row_at(i) for i in range(plain.row_count)]
        with pytest.raises(Exception, match="not valid"):
            fast.remove_rows(["k1", "no-such-row"])
        assert "k1" in [r.key.value for r in fast.ordered_rows]  # nothing removed by a refused call


@pytest.mark.asyncio
async def test_new_rows_are_measured_as_a_plain_data_table_measures_them() -> None:
    from rich.text import Text

    app = TwinApp()
    async with app.run_test(size=(60, 24)) as pilot:
        plain, fast = twins(app)
        for table in (plain, fast):
            table.add_column("NAME", key="name")
            table.add_column("NOTE", key="note")
            table.add_row(Text("short"), Text("x"), key="a")
            table.add_row(Text("a-much-longer-name"), Text("wide 日本語"), key="b")
            table.add_row(Text("two\nlines"), Text("tab\there"), key="c")  # left to DataTable
            table.add_row("[b]markup[/b]", None, key="d")  # likewise
        await pilot.pause()
        assert [c.content_width for c in fast.ordered_columns] == [c.content_width for c in plain.ordered_columns]
        assert fast.virtual_size == plain.virtual_size
        assert [c.content_width for c in fast.ordered_columns][0] == len("a-much-longer-name")
