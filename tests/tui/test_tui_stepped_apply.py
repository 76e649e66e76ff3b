"""A refresh applied in steps (the event loop is given back between them) ends with the
same table as an apply at a stretch; a filter change or a key between the steps wins;
and the collector is paced around refreshes (capsule_tui/collector_pacing.py)."""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import time
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from capsule_tui.backend import REACHABLE, HostState, Snapshot
from capsule_tui.collector_pacing import FULL_COLLECTION_SECONDS, CollectorPacing
from capsule_tui.screens import capsule_list
from support.tui_fakes import StubBackend, view
from support.tui_pilot import SIZE, RecordingApp, cell, loaded, names, until

MANY = 3 * capsule_list.ROWS_PER_STEP + 17  # several steps and a partial one


def many_views(age: float) -> list:
    return [view(f"c{n:04d}", host="local" if n % 2 else "lab", age=age) for n in range(MANY)]


@asynccontextmanager
async def listed(backend: StubBackend) -> AsyncIterator[tuple]:
    """The app over `backend`, run until its list shows the first refresh."""
    app = RecordingApp(backend, poll_seconds=3600)
    async with app.run_test(size=SIZE) as pilot:
        yield app, pilot, await loaded(app, pilot), backend


def post_older_ages(screen, backend) -> list:  # type: ignore[no-untyped-def]
    """A refresh in which every capsule is two hours old: every row's age changes."""
    newer = [dataclasses.replace(v, age_seconds=7200.0) for v in many_views(age=5)]
    screen.post_message(capsule_list.CapsuleListScreen.Refreshed(Snapshot(backend.hosts, newer)))
    return newer


def table_texts(screen) -> dict[str, tuple[str, ...]]:  # type: ignore[no-untyped-def]
    keys = [c.key.value for c in screen.table.ordered_columns]
    return {row.key.value: tuple(str(screen.table.get_cell(row.key, k)) for k in keys)
            for row in screen.table.ordered_rows}


async def test_a_refresh_in_steps_ends_as_the_whole_apply_would_and_yields_between_steps() -> None:
    backend = StubBackend(many_views(age=5), hosts=[HostState("local", REACHABLE), HostState("lab", REACHABLE)])
    async with listed(backend) as (app, pilot, screen, backend):
        assert len(names(screen)) == MANY
        steps = 0
        update_in_place = screen._update_in_place

        def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
            nonlocal steps
            for step in update_in_place(*args, **kwargs):
                steps += 1
                yield step

        screen._update_in_place = counting  # type: ignore[method-assign]
        older = [dataclasses.replace(v, age_seconds=125.0) for v in many_views(age=5)]
        screen.post_message(capsule_list.CapsuleListScreen.Refreshed(Snapshot(backend.hosts, older)))
        await until(lambda: screen._shown and all(t[-2] == "2m" for t in screen._shown.values())
                    and screen.snapshot.capsules == older, pilot, what="the refresh applied")
        assert steps >= MANY // capsule_list.ROWS_PER_STEP  # the loop was given back between steps
        assert {cell(screen, v.uuid, "age") for v in older} == {"2m"}
        assert screen._shown == table_texts(screen)  # what the screen believes is what it shows
        assert list(screen._shown) == [row.key.value for row in screen.table.ordered_rows]


async def test_a_filter_typed_during_a_stepped_apply_wins_and_the_table_stays_true() -> None:
    async with listed(StubBackend(many_views(age=5))) as (app, pilot, screen, backend):
        screen.snapshot = Snapshot(backend.hosts, [dataclasses.replace(v, age_seconds=600.0)
                                                   for v in many_views(age=5)])
        applying = asyncio.ensure_future(screen.show_rows_in_steps())
        await asyncio.sleep(0)  # the first step is done, the rest waits
        assert not applying.done()
        screen.filter_input.value = "@lab"  # show_rows at once, from what is on screen now
        await pilot.pause()
        await applying
        await pilot.pause()
        lab = [v for v in screen.snapshot.capsules if v.host == "lab"]
        assert names(screen) == sorted(v.name for v in lab)
        assert {cell(screen, v.uuid, "age") for v in lab} == {"10m"}  # the newest data, not a half
        assert set(screen._shown) == {v.uuid for v in lab}


async def test_a_key_between_the_steps_moves_the_cursor_for_good() -> None:
    async with listed(StubBackend(many_views(age=5))) as (app, pilot, screen, backend):
        assert screen.table.cursor_row == 0
        screen.snapshot = Snapshot(backend.hosts, [dataclasses.replace(v, age_seconds=900.0)
                                                   for v in many_views(age=5)])
        applying = asyncio.ensure_future(screen.show_rows_in_steps())
        await asyncio.sleep(0)
        screen.table.move_cursor(row=3)  # what `down` three times does, between two steps
        await applying
        await pilot.pause()
        assert screen.table.cursor_row == 3 and screen.current_uuid() == names_uuid(screen, 3)


def names_uuid(screen, row: int) -> str:  # type: ignore[no-untyped-def]
    return screen.table.ordered_rows[row].key.value


class Cycle:
    def __init__(self) -> None:
        self.me = self


def test_the_collector_skips_what_a_refresh_left_and_collects_it_all_now_and_then() -> None:
    now = [1000.0]
    pacing = CollectorPacing(clock=lambda: now[0])
    try:
        garbage = Cycle()
        alive = weakref.ref(garbage)
        pacing.after_refresh()
        assert gc.get_freeze_count() > 0
        del garbage
        gc.collect()
        assert alive() is not None  # frozen: out of the collector's scans
        assert pacing.when_quiet() is False  # not yet time
        now[0] += FULL_COLLECTION_SECONDS
        assert pacing.when_quiet() is True
        assert alive() is None  # the full collection found the cycle
        assert gc.get_freeze_count() > 0  # and froze what lives on
    finally:
        pacing.stop()
    assert gc.get_freeze_count() == 0


def test_the_full_collection_waits_for_a_pause_in_the_keys_unless_it_is_long_overdue() -> None:
    from capsule_tui.collector_pacing import IDLE_SECONDS, OVERDUE_SECONDS

    now = [1000.0]
    pacing = CollectorPacing(clock=lambda: now[0])
    try:
        now[0] += FULL_COLLECTION_SECONDS
        assert pacing.when_quiet(last_input=now[0] - 0.5) is False  # typing: not now
        assert pacing.when_quiet(last_input=now[0] - IDLE_SECONDS) is True  # a pause: now
        now[0] += OVERDUE_SECONDS
        assert pacing.when_quiet(last_input=now[0]) is True  # never a pause: it happens anyway
    finally:
        pacing.stop()


async def test_the_app_notes_when_a_key_came_in() -> None:
    async with listed(StubBackend(many_views(age=5))) as (app, pilot, screen, backend):
        before = time.monotonic()
        await pilot.press("down")
        assert app.last_input >= before


async def test_every_row_on_screen_is_repainted_in_parts_after_a_stepped_apply(monkeypatch) -> None:
    async with listed(StubBackend(many_views(age=5))) as (app, pilot, screen, backend):
        table = screen.table
        table.move_cursor(row=150, animate=False)  # scrolled: the rows on screen are not the first ones
        await until(lambda: table.scroll_offset.y > 0, pilot, what="the table scrolled to the cursor")
        asked: list[int] = []
        monkeypatch.setattr(table, "refresh_row", lambda row: asked.append(row) or table)
        top = table.scroll_offset.y
        on_screen = set(range(top, top + table.size.height - 1))  # less the header line
        post_older_ages(screen, backend)
        await until(lambda: on_screen <= set(asked), pilot, what="every row on screen repainted")
        assert table.scroll_offset.y == top > 0
        shown = [table.render_line(y).text for y in range(1, table.size.height)]
        assert all(" 2h " in line for line in shown if line.strip())


async def test_the_screens_own_keys_are_answered_while_a_refresh_is_being_applied(monkeypatch) -> None:
    # The apply runs in a worker of its own: the screen's message queue (its bindings,
    # such as `/`) is free meanwhile. Held mid-way here, the apply cannot finish first.
    async with listed(StubBackend(many_views(age=5))) as (app, pilot, screen, backend):
        held, repainting = asyncio.Event(), asyncio.Event()
        repaint = screen._repaint_in_parts

        async def held_repaint() -> None:
            repainting.set()
            await held.wait()
            await repaint()

        monkeypatch.setattr(screen, "_repaint_in_parts", held_repaint)
        newer = post_older_ages(screen, backend)
        await until(repainting.is_set, pilot, what="the apply under way")
        await pilot.press("slash")
        assert app.focused is screen.filter_input and screen.busy("apply")  # answered during the apply
        held.set()
        await until(lambda: not screen.busy("apply"), pilot, what="the apply done")
        assert {cell(screen, v.uuid, "age") for v in newer} == {"2h"}


async def test_no_paint_during_an_apply_draws_more_than_a_part_of_the_changed_rows(monkeypatch) -> None:
    from capsule_tui.widgets.capsule_table import CapsuleTable

    async with listed(StubBackend(many_views(age=5))) as (app, pilot, screen, backend):
        table = screen.table
        await pilot.pause()
        per_paint: list[int] = []
        render_lines, row_line = CapsuleTable.render_lines, CapsuleTable._row_line

        def counting_paint(self, crop):  # type: ignore[no-untyped-def]
            per_paint.append(0)
            return render_lines(self, crop)

        def counting_row(self, *args):  # type: ignore[no-untyped-def]
            per_paint[-1] += 1
            return row_line(self, *args)

        monkeypatch.setattr(CapsuleTable, "render_lines", counting_paint)
        monkeypatch.setattr(CapsuleTable, "_row_line", counting_row)
        newer = post_older_ages(screen, backend)
        await until(lambda: screen.snapshot.capsules == newer and not screen.busy("apply"), pilot,
                    what="the apply done")
        await pilot.pause()
        rows_on_screen = table.size.height - 1
        assert rows_on_screen > 2 * capsule_list.REPAINT_ROWS  # so that parts matter here
        assert sum(per_paint) >= rows_on_screen  # every changed row on screen was drawn again
        assert max(per_paint) <= capsule_list.REPAINT_ROWS  # but never all of them in one paint
        shown = [table.render_line(y).text for y in range(1, table.size.height)]
        assert all(" 2h " in line for line in shown if line.strip())


async def test_a_refresh_applied_while_another_screen_is_on_top_finishes_and_shows_on_return() -> None:
    # The repaint parts wait for the screen's paints; with the help screen on top the
    # list is not painted at all, and the apply must not wait for it forever.
    async with listed(StubBackend(many_views(age=5))) as (app, pilot, screen, backend):
        newer = post_older_ages(screen, backend)
        backend.views = newer  # what the refresh on coming back will find too
        await pilot.press("question_mark")
        assert app.screen is not screen
        await until(lambda: screen.snapshot.capsules == newer and not screen.busy("apply"), pilot,
                    what="the apply done behind the help screen")
        await pilot.press("escape")
        await until(lambda: app.screen is screen, pilot, what="back on the list")
        await pilot.pause()
        shown = [screen.table.render_line(y).text for y in range(1, screen.table.size.height)]
        assert all(" 2h " in line for line in shown if line.strip())


async def test_a_sort_reorders_in_place_and_paints_what_a_rebuilt_table_paints() -> None:
    backend = StubBackend([view(f"c{n:02d}-{'x' * (n % 7)}", host="local" if n % 2 else "lab", age=5 + 37 * n)
                           for n in range(40)])
    async with listed(backend) as (app, pilot, screen, backend):
        table = screen.table
        table.move_cursor(row=7)
        for _ in range(len(capsule_list.COLUMNS) + 1):  # round every column, and back
            await pilot.press("s")
            await pilot.pause()
            picked, keys = screen.current_uuid(), [r.key.value for r in table.ordered_rows]
            in_place = [table.render_line(y).text for y in range(table.size.height)]
            widths = [c.get_render_width(table) for c in table.ordered_columns]
            screen.show_rows(rebuild=True)  # what the sort did before: clear and add every row
            await pilot.pause()
            assert [r.key.value for r in table.ordered_rows] == keys
            assert [c.get_render_width(table) for c in table.ordered_columns] == widths
            assert [table.render_line(y).text for y in range(table.size.height)] == in_place
            assert screen.current_uuid() == picked
