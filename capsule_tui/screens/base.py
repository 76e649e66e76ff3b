"""The base of every capsule screen: one handler for worker failures.

Workers post `Worker.StateChanged` to the screen that started them; this handler
hands every failed one to `CapsuleApp.report_failure`, so no screen has its own
error path and no host error ends the app. Screens also get `poll`, which starts a
refresh worker only when the previous one has finished (an `exclusive` worker
restarted every tick would cancel a slow host's answer forever).

Key actions that move the focus use `Screen.set_focus` (at once), not
`widget.focus()` (queued behind the keys already waiting): typed or pasted text
right after `/` or `ctrl+o` must land in the field that key opened.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.binding import Binding
from textual.screen import Screen
from textual.worker import Worker, WorkerState


class WorkerFailures:
    """Mixin: failed workers become notifications."""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            self.app.report_failure(event.worker)  # type: ignore[attr-defined]

    def busy(self, group: str) -> bool:
        """True while a worker of `group` started by this screen is pending or running."""
        return any(
            w.node is self and w.group == group and w.state in (WorkerState.PENDING, WorkerState.RUNNING)
            for w in self.app.workers  # type: ignore[attr-defined]
        )

    def poll(self, group: str, start: Callable[[], object]) -> None:
        if not self.busy(group):
            start()


class CapsuleScreen(WorkerFailures, Screen):
    """A full screen of the app."""

    # `:` opens the commands on every screen, as k9s does (a text field still takes it as text).
    BINDINGS = [Binding("colon", "app.command_palette", "Commands", show=False, key_display=":")]
