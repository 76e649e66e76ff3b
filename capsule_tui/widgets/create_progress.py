"""The line under the capsule list while creates run: each capsule and the step it is at.

It reads `app.creates` (capsule_tui/create_jobs.py) whenever a create reports
progress, and hides when none runs. A Static wraps: a pull's or an engine's long
message is read whole, not cut at the screen's edge. When a create's rows changed
(a capsule's Starting row written, or the create ended) it posts `RowsChanged`, for
the list to refresh now rather than at its next tick.
"""

from __future__ import annotations

from textual.message import Message
from textual.widgets import Static


class CreateProgress(Static):
    class RowsChanged(Message):
        """A create wrote or settled rows of the list."""

    DEFAULT_CSS = """
    CreateProgress {
        height: auto;
        max-height: 8;
        padding: 0 1;
        border-top: solid $primary;
    }
    """

    def on_mount(self) -> None:
        self.app.creates.listen(self._show)  # type: ignore[attr-defined]
        self._show()

    def on_unmount(self) -> None:
        self.app.creates.unlisten(self._show)  # type: ignore[attr-defined]

    def _show(self, rows: bool = False) -> None:
        if rows:
            self.post_message(self.RowsChanged())
        text = self.app.creates.progress_text()  # type: ignore[attr-defined]
        self.display = bool(text.plain)
        self.update(text)
