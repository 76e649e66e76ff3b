"""The details' live resource use: the capsule's CPU and memory, a sparkline of its last minute
of CPU, and each member's figures in the members table.

Every USAGE_SECONDS (as the list: list_usage.py) a worker of its own asks the backend
for this one capsule's figures and writes them; HISTORY figures (a minute) feed the
sparkline. The figures are those of the containers the list last saw; a backend
without `usage` (a stub) leaves everything at `-`.

A mixin of CapsuleDetailScreen (capsule_detail.py): it yields `compose_usage` in its
body, calls `start_usage` once mounted and takes `member_usage_cells` for its rows.
"""

from __future__ import annotations

from collections import deque

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.widgets import DataTable, Label, Sparkline, Static
from textual.widgets.data_table import CellDoesNotExist

from capsule_tui.formatters.usage_text import USAGE_HEADERS, trend_line, usage_cells, usage_line
from capsule_tui.screens.list_usage import USAGE_SECONDS
from runtime.views import CapsuleUsage, MemberView, Usage

HISTORY = int(60 / USAGE_SECONDS)  # figures in the sparkline: the last minute


class DetailUsage:
    """Mixin: the resource use of CapsuleDetailScreen."""

    uuid: str
    members: DataTable

    def compose_usage(self) -> ComposeResult:
        yield Label("Resource use", classes="section")
        yield Static(Text(usage_line(None)), id="detail-usage")
        yield Static(Text(trend_line([]), style="dim"), id="detail-usage-trend")
        yield Sparkline([], summary_function=max, id="detail-cpu")

    def start_usage(self) -> None:
        self._cpu_history: deque[float] = deque(maxlen=HISTORY)
        self._usage: CapsuleUsage | None = None
        for header in USAGE_HEADERS:
            self.members.add_column(header, key=header.lower())
        if hasattr(self.app.backend, "usage"):  # type: ignore[attr-defined]
            self.set_interval(USAGE_SECONDS, self._usage_tick)  # type: ignore[attr-defined]
            self._usage_tick()

    def member_usage_cells(self, member: MemberView) -> tuple[str, ...]:
        return usage_cells(self._member_figures(member))

    def _member_figures(self, member: MemberView) -> Usage | None:
        usage = getattr(self, "_usage", None)
        if usage is None or not member.container_id:
            return None
        return next((m.usage for m in usage.members if m.container_id.startswith(member.container_id)), None)

    def _usage_tick(self) -> None:
        if self.app.screen is self and not self.gone:  # type: ignore[attr-defined]
            self.poll("usage", self.sample_usage)  # type: ignore[attr-defined]

    @work(group="usage", exclusive=True, exit_on_error=False, description="sampling the capsule's CPU and memory")
    async def sample_usage(self) -> None:
        sampled = await self.app.backend.usage([self.uuid])  # type: ignore[attr-defined]
        if self.uuid in sampled:
            self.show_usage(sampled[self.uuid])

    def show_usage(self, usage: CapsuleUsage) -> None:
        self._usage = usage
        if usage.usage.cpu is not None:
            self._cpu_history.append(usage.usage.cpu)
        self.query_one("#detail-usage", Static).update(Text(usage_line(usage.usage)))  # type: ignore[attr-defined]
        self.query_one("#detail-usage-trend", Static).update(  # type: ignore[attr-defined]
            Text(trend_line(list(self._cpu_history)), style="dim"))
        self.query_one("#detail-cpu", Sparkline).data = list(self._cpu_history)  # type: ignore[attr-defined]
        detail = self.detail  # type: ignore[attr-defined]
        if detail is None:
            return
        for member in detail.members:
            key = member.docker_name or f"absent:{member.role}:{member.name}"
            for header, text in zip(USAGE_HEADERS, self.member_usage_cells(member), strict=True):
                try:
                    self.members.update_cell(key, header.lower(), text, update_width=True)
                except CellDoesNotExist:
                    break  # a member that came or went since: the next load adds its row
