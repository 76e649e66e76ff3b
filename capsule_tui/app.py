"""The capsule terminal UI: `capsule` with no arguments, or `capsule tui`.

`CapsuleApp` opens on the capsule list. Screens live in capsule_tui/screens/, one
module each; every call to the hosts runs in a worker through the `backend`
(capsule_tui/backend.py), and every worker failure ends in `report_failure`, one
place that turns it into a notification: a host error never ends the app.

Must not be imported by translate/ or runtime/ (they never import textual).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

from textual.app import App
from textual.binding import Binding
from textual.notifications import SeverityLevel
from textual.worker import Worker

from capsule_tui.backend import CapsuleBackend

DEFAULT_POLL_SECONDS = 2.0
REPEAT_QUIET_SECONDS = 30.0


class CapsuleApp(App[None]):
    """The app; `backend` is the door to the hosts (a stub in tests that need fixed data)."""

    # Absolute: a relative CSS_PATH is read beside the module of a subclass (tests subclass it).
    CSS_PATH = Path(__file__).with_name("app.tcss")
    TITLE = "capsule"
    SUB_TITLE = "pods for plain Docker hosts"
    COMMANDS = App.COMMANDS | {lambda: _capsule_commands()}
    BINDINGS = [
        Binding("q", "quit", "Quit"),
        Binding("question_mark", "help", "Help", key_display="?"),
    ]

    def __init__(self, backend: CapsuleBackend | None = None, *,
                 backend_factory: Callable[[], CapsuleBackend] | None = None,
                 poll_seconds: float = DEFAULT_POLL_SECONDS, memory_path: Path | None = None) -> None:
        super().__init__()
        # Where the list's filter and sort are remembered; None (tests): not remembered.
        self.memory_path = memory_path
        self._last_failure: tuple[str, float] | None = None
        if backend is None:
            from capsule_tui.backend import Backend

            backend = (backend_factory or Backend.open)()
        self.backend: CapsuleBackend = backend
        self.poll_seconds = poll_seconds

    def on_mount(self) -> None:
        from capsule_tui.screens.capsule_list import CapsuleListScreen

        self.push_screen(CapsuleListScreen())

    async def on_unmount(self) -> None:
        # Closes engine connections and the store, flushing webhook deliveries.
        await self.backend.aclose()

    def action_show(self, view: str) -> None:
        """Go to a view from anywhere: back to the list, then the view on top of it."""
        from capsule_tui.screens.capsule_list import CapsuleListScreen

        while len(self.screen_stack) > 1 and not isinstance(self.screen, CapsuleListScreen):
            self.pop_screen()
        if not isinstance(self.screen, CapsuleListScreen):
            return  # the list is not up yet (still starting)
        actions = {"hosts": "action_hosts", "events": "action_events", "create": "action_create",
                   "import": "action_import"}
        if view in actions:
            getattr(self.screen, actions[view])()
        elif view == "help":
            self.action_help()

    def action_help(self) -> None:
        from capsule_tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = False) -> None:
        # Plain text by default: host errors carry brackets ("[Errno 111] ...") that are not markup.
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    def report_failure(self, worker: Worker) -> None:
        """A worker failed: say what and why, and carry on.

        The same failure again within REPEAT_QUIET_SECONDS is not repeated: a refresh
        that fails every 2 seconds would otherwise bury the screen in notifications.
        """
        error = worker.error
        what = worker.description or worker.name or "a background task"
        text = f"{what} failed: {str(error) or type(error).__name__}"
        now = time.monotonic()
        if self._last_failure is not None and self._last_failure[0] == text \
                and now - self._last_failure[1] < REPEAT_QUIET_SECONDS:
            return
        self._last_failure = (text, now)
        self.notify(text, title="capsule", severity="error", timeout=10)


def _capsule_commands() -> type:
    from capsule_tui.palette import CapsuleCommands

    return CapsuleCommands


def run() -> int:
    """Open the UI; returns the exit code for `capsule` (2 when the host inventory is broken)."""
    from runtime.inventory import InventoryError
    from runtime.service_errors import CapsuleError

    from capsule_tui.view_memory import default_path

    try:
        app = CapsuleApp(memory_path=default_path())
    except InventoryError as exc:  # names the file, line and field of each problem
        print(f"capsule: the host inventory cannot be used:\n{exc}", file=sys.stderr)
        return 2
    except (CapsuleError, OSError) as exc:
        print(f"capsule: {exc}", file=sys.stderr)
        return 1
    app.run()
    return int(app.return_code or 0)
