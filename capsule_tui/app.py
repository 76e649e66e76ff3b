"""The capsule terminal UI: `capsule` with no arguments, or `capsule tui`.

`CapsuleApp` opens on the capsule list and runs the watcher (runtime.watch.watcher, as
`capsule watch`) in a worker while it is open: its heals become notifications; when
a `capsule watch` already holds the CAPSULE_HOME's lock it says so once and runs
none. Screens live in capsule_tui/screens/, one
module each; every call to the hosts runs in a worker through the `backend`
(capsule_tui/backend.py), and every worker failure ends in `report_failure`, one
place that turns it into a notification: a host error never ends the app.
Creates outlive the create screen (`creates`, capsule_tui/create_jobs.py): `q`
asks while one runs, and the app closes the service only after they have stopped.

Must not be imported by translate/ or runtime/ (they never import textual).
"""

from __future__ import annotations

import contextlib
import logging
import sys
import time
from collections.abc import Awaitable, Callable, Collection
from pathlib import Path
from typing import Any

from textual import events
from textual.app import App
from textual.binding import Binding
from textual.notifications import SeverityLevel
from textual.worker import Worker, WorkerState

from capsule_tui.backend import CapsuleBackend
from capsule_tui.create_jobs import CreateJobs
from capsule_tui.exit_signals import exit_on_signals
from capsule_tui.formatters.safe_text import shown
from capsule_tui.runtime_warnings import notify_runtime_warnings, stop_notifying

DEFAULT_POLL_SECONDS = 2.0
REPEAT_QUIET_SECONDS = 30.0
# The watcher's state, for the host bar and tests: `elsewhere` = a `capsule watch` holds the lock.
WATCHER_OFF, WATCHER_STARTING, WATCHER_RUNNING, WATCHER_STOPPED, WATCHER_ELSEWHERE = (
    "off", "starting", "running", "stopped", "elsewhere")
# Recorded as capsule events already; a notification each would bury the screen.
_QUIET_ACTIONS = frozenset({"exited", "restarted"})
_WARNING_ACTIONS = frozenset({"probe_error", "error", "host_down", "stopped"})


class CapsuleApp(App[None]):
    """The app; `backend` is the door to the hosts (a stub in tests that need fixed data)."""

    # Absolute: a relative CSS_PATH is read beside the module of a subclass (tests subclass it).
    CSS_PATH = Path(__file__).with_name("app.tcss")
    TITLE = "capsule"
    SUB_TITLE = "pods for plain Docker hosts"
    COMMANDS = App.COMMANDS | {lambda: _capsule_commands()}
    BINDINGS = [
        Binding("q", "quit", "Quit"),
        # As in k9s and lazydocker, and as a terminal user's hand expects. Textual's own
        # ctrl+c only says how to quit; a focused text field still takes ctrl+c as copy.
        Binding("ctrl+c", "quit", show=False, system=True),
        Binding("question_mark", "help", "Help", key_display="?"),
    ]

    def __init__(self, backend: CapsuleBackend | None = None, *,
                 backend_factory: Callable[[], CapsuleBackend] | None = None,
                 poll_seconds: float = DEFAULT_POLL_SECONDS, memory_path: Path | None = None,
                 watch: bool | Collection[str] = True, handle_signals: bool = False) -> None:
        super().__init__()
        # `capsule tui` only: tests run the app in pytest's own process, whose signals stay pytest's.
        self.handle_signals = handle_signals
        # The watcher: True every capsule (as `capsule watch`), False none, names: only those
        # (tests on a shared engine must not heal capsules they did not make).
        # (Not `self.watch`: that is Textual's method for watching reactives.)
        self.watch_capsules = watch
        # Where the list's filter and sort are remembered; None (tests): not remembered.
        self.memory_path = memory_path
        self._last_failure: tuple[str, float] | None = None
        self._warnings: logging.Handler | None = None
        if backend is None:
            from capsule_tui.backend import Backend

            backend = (backend_factory or Backend.open)()
        self.backend: CapsuleBackend = backend
        # Creates under way, which outlive the create screen (capsule_tui/create_jobs.py).
        self.creates = CreateJobs(self)
        self.poll_seconds = poll_seconds
        self.watcher_state = WATCHER_OFF
        self.watcher_worker: Worker[None] | None = None
        # When (time.monotonic) a key or a click last came in: a pause in them is when
        # slow housekeeping may run (capsule_tui/collector_pacing.py).
        self.last_input = float("-inf")

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, (events.Key, events.MouseDown, events.MouseScrollDown, events.MouseScrollUp)):
            self.last_input = time.monotonic()
        await super().on_event(event)

    def on_mount(self) -> None:
        import asyncio

        from capsule_tui.screens.capsule_list import CapsuleListScreen
        from runtime.event_loop import quiet_abandoned_reads

        # As the commands do: a read abandoned on a unix socket is no error, and its
        # traceback on stderr would land in the middle of the screen (runtime/event_loop.py).
        quiet_abandoned_reads(asyncio.get_running_loop())
        # A signal ends the app as q does, so that a create under way cleans up (exit_signals.py).
        if self.handle_signals:
            exit_on_signals(self)
        self._warnings = notify_runtime_warnings(self)
        self.push_screen(CapsuleListScreen())
        # After the first paint: the watcher's modules (and the engine client) load first.
        self.call_after_refresh(self._start_watcher)

    async def action_quit(self) -> None:
        # Asks first while a create is under way, saying what it would stop (create_jobs.py).
        self.creates.quit()

    async def on_unmount(self) -> None:
        # A create cut short removes what it made: through the service, so before it is closed.
        await self.creates.stop_all()
        # The watcher first: it uses the service's engines and store, closed next.
        if self.watcher_worker is not None:
            self.watcher_worker.cancel()
            with contextlib.suppress(Exception):
                await self.watcher_worker.wait()
        # Closes engine connections and the store, flushing webhook deliveries.
        await self.backend.aclose()
        if self._warnings is not None:
            stop_notifying(self._warnings)

    # -- the watcher (runtime.watch.watcher), as `capsule watch` runs it ---------------

    def _start_watcher(self) -> None:
        """Heal and probe while the UI is open; a backend without `watch` runs none."""
        watch = getattr(self.backend, "watch", None)
        if watch is None or self.watch_capsules is False:
            return
        names = None if self.watch_capsules is True else list(self.watch_capsules)
        self.watcher_state = WATCHER_STARTING
        self.watcher_worker = self.run_worker(self._watch(watch, names), name="watcher", group="watcher",
                                              description="the watcher", exclusive=True, exit_on_error=False)

    async def _watch(self, watch: Callable[..., Awaitable[None]], names: list[str] | None) -> None:
        from runtime.errors import WatcherBusy

        self.watcher_state = WATCHER_RUNNING
        try:
            await (watch(self.on_watch_action) if names is None else watch(self.on_watch_action, names=names))
        except WatcherBusy:
            # One watcher per CAPSULE_HOME: a `capsule watch` already heals and probes.
            self.watcher_state = WATCHER_ELSEWHERE
            self.notify("a capsule watch already runs for this state; it heals and probes the capsules, "
                        "so this window does not run its own watcher", title="watcher", timeout=8)
        finally:
            if self.watcher_state == WATCHER_RUNNING:
                self.watcher_state = WATCHER_STOPPED

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # Only the app's own watcher: screens report their workers themselves (screens/base.py).
        if event.worker.group == "watcher" and event.state == WorkerState.ERROR:
            self.watcher_state = WATCHER_STOPPED
            self.report_failure(event.worker)

    def on_watch_action(self, action: Any) -> None:
        """One WatchAction: heals and problems become notifications; exits and restarts
        are capsule events already (the events screen follows them)."""
        if action.kind in _QUIET_ACTIONS:
            return
        severity: SeverityLevel = "warning" if action.kind in _WARNING_ACTIONS else "information"
        who = f"{action.capsule}: " if action.capsule else (f"host {action.host}: " if action.host else "")
        self.notify(who + action.message, title=f"watcher: {action.kind}", severity=severity, timeout=8)

    def action_show(self, view: str) -> None:
        """Go to a view from anywhere: back to the list, then the view on top of it."""
        from capsule_tui.screens.capsule_list import CapsuleListScreen

        while len(self.screen_stack) > 1 and not isinstance(self.screen, CapsuleListScreen):
            self.pop_screen()
        if not isinstance(self.screen, CapsuleListScreen):
            return  # the list is not up yet (still starting)
        actions = {"hosts": "action_hosts", "services": "action_services", "events": "action_events",
                   "create": "action_create", "import": "action_import"}
        if view in actions:
            getattr(self.screen, actions[view])()
        elif view == "help":
            self.action_help()

    def show_capsule(self, name: str, uuid: str) -> None:
        """A capsule's details on top of whatever screen asks (the event log does, which the
        details screen itself opens: going through the app keeps the two from importing each other)."""
        from capsule_tui.screens.capsule_detail import CapsuleDetailScreen

        self.push_screen(CapsuleDetailScreen(name, uuid))

    def exit(self, *args: Any, **kwargs: Any) -> None:
        # Every way out (q, ctrl+c, the palette) comes here while the screens still stand:
        # the list remembers the screen and the selection for the next run (screen_memory.py).
        from capsule_tui.screens.capsule_list import CapsuleListScreen

        if self.memory_path is not None and self.screen_stack:
            lists = [s for s in self.screen_stack if isinstance(s, CapsuleListScreen)]
            if lists and lists[0].is_mounted:
                with contextlib.suppress(Exception):  # remembering must never keep the app from ending
                    lists[0]._remember()
        super().exit(*args, **kwargs)

    def action_help(self) -> None:
        from capsule_tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = False) -> None:
        # Plain text by default: host errors carry brackets ("[Errno 111] ...") that are not markup;
        # and no control character from a host or a container reaches the terminal.
        if not markup:
            message = shown(message, block=True)
        super().notify(message, title=shown(title), severity=severity, timeout=timeout, markup=markup)

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


def run(*, watch: bool = True) -> int:
    """Open the UI; returns the exit code for `capsule` (2 when the host inventory is broken).

    `watch=False` (`capsule tui --no-watch`): no watcher heals or probes while it is open.
    """
    from capsule_tui.view_memory import default_path
    from runtime.errors import CapsuleError

    try:
        app = CapsuleApp(memory_path=default_path(), watch=watch, handle_signals=True)
    except CapsuleError as exc:  # a broken inventory names the file, line and field of each problem
        print(f"capsule: {exc}", file=sys.stderr)
        return exc.exit_code
    except OSError as exc:
        print(f"capsule: {exc}", file=sys.stderr)
        return 1
    app.run()
    return int(app.return_code or 0)
