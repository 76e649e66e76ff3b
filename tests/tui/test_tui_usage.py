"""The list's and the details' live CPU and memory, with a stub backend whose `usage` is slow.

The figures' arithmetic and the engine's stats are tested in tests/usage/; here: the
columns are there and show the figures in words, only the rows on screen are sampled,
the details show each member's figures and a sparkline of the capsule's CPU, and keys
(and the list's own refresh) go on while a sample is outstanding.
"""

from __future__ import annotations

import asyncio
import time

from textual.widgets import Sparkline, Static

from capsule_tui.formatters.capsule_rows import COLUMN_KEYS
from capsule_tui.screens import detail_usage, list_usage
from capsule_tui.screens.capsule_detail import CapsuleDetailScreen
from runtime.views import CapsuleUsage, MemberUsage, Usage
from support.tui_fakes import StubBackend, view
from support.tui_pilot import SIZE, RecordingApp, cell, loaded, names, until

MiB = 1 << 20


class UsageBackend(StubBackend):
    """StubBackend with a `usage` that answers after `delay` seconds: web burns half a core of its
    0.5 limit with 64 MiB of 128; every other capsule is idle and unlimited."""

    def __init__(self, *args, delay: float = 0.0, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.delay = delay
        self.asked: list[list[str]] = []
        self.outstanding = 0
        self.cpu = 49.6

    async def usage(self, uuids: list[str]) -> dict[str, CapsuleUsage]:
        self.asked.append(list(uuids))
        self.outstanding += 1
        try:
            await asyncio.sleep(self.delay)
        finally:
            self.outstanding -= 1
        answer = {}
        for uuid in uuids:
            if uuid == "uuid-local-web":
                member = Usage(self.cpu, 64 * MiB, 0.5, 128 * MiB)
                sandbox = Usage(0.0, 300 * 1024, None, None)
                answer[uuid] = CapsuleUsage(uuid, Usage(self.cpu, 64 * MiB + 300 * 1024, 0.5, 128 * MiB), (
                    MemberUsage("(sandbox)", "sandbox", "0123456789ab" + "0" * 52, sandbox),
                    MemberUsage("httpd", "member", "abcdef012345" + "0" * 52, member)))
            else:
                answer[uuid] = CapsuleUsage(uuid, Usage(0.2, 2 * MiB, None, None))
        return answer


def fast(monkeypatch) -> None:
    monkeypatch.setattr(list_usage, "USAGE_SECONDS", 0.1)
    monkeypatch.setattr(detail_usage, "USAGE_SECONDS", 0.1)


async def test_the_list_shows_cpu_and_memory_of_the_rows_on_screen(monkeypatch) -> None:
    fast(monkeypatch)
    views = [view(f"idle-{n:03}") for n in range(200)] + [view("web")]
    backend = UsageBackend(views)
    app = RecordingApp(backend, poll_seconds=60)
    async with app.run_test(size=SIZE) as pilot:
        screen = await loaded(app, pilot)
        headers = [str(c.label) for c in screen.table.ordered_columns]
        assert headers[headers.index("RESTARTS") + 1:headers.index("AGE")] == ["CPU", "%CPU/L", "MEM", "%MEM/L"]
        await until(lambda: cell(screen, "uuid-local-idle-000", "mem") != "-", pilot, what="the first figures")
        assert [cell(screen, "uuid-local-idle-000", c) for c in ("cpu", "cpu_limit", "mem", "mem_limit")] == \
            ["0.2%", "-", "2Mi", "-"]  # unlimited: no % of a limit
        # Only the rows in the table's window are asked about, never the 201.
        on_screen = set(screen.rows_on_screen())
        assert 0 < len(on_screen) <= screen.table.size.height
        assert all(set(asked) <= on_screen for asked in backend.asked)
        assert cell(screen, "uuid-local-web", "cpu") == "-"  # off screen: not sampled
        await pilot.press("G")  # the last row, web, comes into the window and is sampled
        await until(lambda: cell(screen, "uuid-local-web", "cpu") == "50%", pilot, what="web's figures")
        assert [cell(screen, "uuid-local-web", c) for c in ("cpu_limit", "mem", "mem_limit")] == \
            ["99%", "64Mi", "50%"]
        backend.cpu = 12.5  # the next sample's figure replaces the cell in place
        await until(lambda: cell(screen, "uuid-local-web", "cpu") == "12%", pilot, what="the next figure")
        # A click on CPU sorts by it, highest first, as C does (test_sorting_by_cpu_and_memory_...).
        def header_x(label: str) -> int:
            columns = screen.table.ordered_columns
            return sum(c.get_render_width(screen.table) for c in columns[:headers.index(label)]) + 1

        await pilot.click("#capsules", offset=(header_x("CPU"), 0))
        assert (screen.order.column, screen.order.reverse) == ("cpu", True)
        await pilot.click("#capsules", offset=(header_x("AGE"), 0))
        assert screen.order.column == "age"


async def test_keys_and_refreshes_go_on_while_a_sample_is_outstanding(monkeypatch) -> None:
    fast(monkeypatch)
    backend = UsageBackend([view(f"c-{n:03}") for n in range(60)], delay=3.0)
    app = RecordingApp(backend, poll_seconds=60)
    async with app.run_test(size=SIZE) as pilot:
        screen = await loaded(app, pilot)
        await until(lambda: backend.outstanding == 1, pilot, what="a sample under way")
        started = time.monotonic()
        for row in range(1, 11):
            await pilot.press("j")
            assert screen.table.cursor_row == row
        assert time.monotonic() - started < 2.0  # ten keys answered well before the sample
        refreshes = backend.snapshots
        await pilot.press("r")
        await until(lambda: backend.snapshots > refreshes and not screen.busy("refresh"), pilot, timeout=2.5,
                    what="a refresh while the sample is outstanding")
        assert backend.outstanding == 1  # still waiting, and never a second one beside it


async def test_the_details_show_each_members_figures_and_a_minute_of_cpu(monkeypatch) -> None:
    fast(monkeypatch)
    backend = UsageBackend()
    app = RecordingApp(backend, poll_seconds=60)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app, pilot)
        app.push_screen(CapsuleDetailScreen("web", "uuid-local-web"))
        await until(lambda: isinstance(app.screen, CapsuleDetailScreen) and app.screen.detail is not None, pilot,
                    what="the details")
        screen = app.screen
        table = screen.members

        def member_cells(key: str) -> list[str]:
            return [str(table.get_cell(key, c)) for c in ("cpu", "%cpu/l", "mem", "%mem/l")]

        await until(lambda: member_cells("web.httpd")[0] != "-", pilot, what="the members' figures")
        assert member_cells("web.httpd") == ["50%", "99%", "64Mi", "50%"]
        assert member_cells("web") == ["0.0%", "-", "300Ki", "-"]  # the sandbox: no limit of its own
        usage = str(screen.query_one("#detail-usage", Static).render())
        assert "CPU 50% of a core (99% of its limit)" in usage and "MEM 64Mi (50% of its limit)" in usage
        backend.cpu = 10.0
        await until(lambda: len(screen.query_one("#detail-cpu", Sparkline).data or []) >= 3
                    and 10.0 in screen.query_one("#detail-cpu", Sparkline).data, pilot, what="a trend")
        trend = str(screen.query_one("#detail-usage-trend", Static).render())
        assert "CPU over the last minute: 10% to 50%" in trend
        assert len(screen.query_one("#detail-cpu", Sparkline).data) <= detail_usage.HISTORY


class FiguresBackend(StubBackend):
    """`usage` with fixed figures for some capsules; the others have none (never sampled yet)."""

    def __init__(self, figures: dict[str, tuple[float, int]], *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.known = figures

    async def usage(self, uuids: list[str]) -> dict[str, CapsuleUsage]:
        return {u: CapsuleUsage(u, Usage(*self.known[u])) for u in uuids if u in self.known}


async def test_sorting_by_cpu_and_memory_highest_first_rows_without_figures_last(monkeypatch) -> None:
    fast(monkeypatch)
    views = [view(n) for n in ("a", "b", "c", "d", "e")]
    figures = {"uuid-local-a": (5.0, 300 * MiB), "uuid-local-b": (80.0, 10 * MiB), "uuid-local-c": (20.0, 900 * MiB),
               "uuid-local-e": (20.0, 1 * MiB)}  # d: no figures; c and e tie on CPU (name order)
    app = RecordingApp(FiguresBackend(figures, views), poll_seconds=60)
    async with app.run_test(size=SIZE) as pilot:
        screen = await loaded(app, pilot)
        await until(lambda: cell(screen, "uuid-local-e", "mem") != "-", pilot, what="the figures")
        await pilot.press("C")
        assert names(screen) == ["b", "c", "e", "a", "d"]
        assert "sorted by cpu, highest first" in str(screen.query_one("#list-summary", Static).render())
        assert str(screen.table.ordered_columns[COLUMN_KEYS.index("cpu")].label) == "CPU ▼"
        await pilot.press("C")  # again: lowest first; still without figures last
        assert names(screen) == ["a", "c", "e", "b", "d"]
        await pilot.press("M")
        assert names(screen) == ["c", "a", "b", "e", "d"]
        await pilot.press("M")
        assert names(screen) == ["e", "b", "a", "c", "d"]
        await pilot.press("s")  # s steps on to the next ordinary column (from a usage one: name)
        assert screen.order.column == "name" and names(screen) == ["a", "b", "c", "d", "e"]
