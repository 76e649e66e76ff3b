"""Acting on capsules from the list and the details: the keys, the confirmations, the workers.

The list acts on its marked rows, else the cursor's; the details on its capsule.
Each screen says which with `action_targets()` and what to do afterwards with
`after_action()` (both refresh, so the row's status shows the result).

- `o` start, `x` stop, `R` restart, `p` pause (unpause when paused): as
  `capsule start|stop|...` (runtime/ops/lifecycle.py through the backend). Stop and
  restart ask first (they end the members' processes); every capsule is acted on
  at once in a worker, and one that fails is a notification naming it and why.
- `E` exec: a member and a command (screens/exec_prompt.py), then `capsule exec`
  with the terminal handed over (actions/exec_terminal.py).
- `u` update from YAML (screens/update_capsule.py), `b` roll back to the previous
  revision (asks first), as `capsule update` and `capsule rollback`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from textual import work
from textual.binding import Binding
from textual.worker import get_current_worker

from capsule_tui.formatters.safe_text import shown
from runtime.views import CapsuleView

# Out of the footer (at 80 columns it must keep Delete, Quit and Help); `?` lists them all.
ACTION_BINDINGS = [
    Binding("o", "capsule_action('start')", "Start", show=False),
    Binding("x", "capsule_action('stop')", "Stop", show=False),
    Binding("R", "capsule_action('restart')", "Restart", show=False),
    Binding("p", "capsule_action('pause')", "Pause/unpause", show=False),
    Binding("E", "exec", "Exec", show=False),
    Binding("u", "update", "Update", show=False),
    Binding("b", "rollback", "Rollback", show=False),
]
# Confirmation first: these end what runs in the members.
DESTRUCTIVE = frozenset({"stop", "restart"})
DONE = {"start": "started", "stop": "stopped", "restart": "restarted", "pause": "paused", "unpause": "unpaused"}
GERUND = {"start": "starting", "stop": "stopping", "restart": "restarting", "pause": "pausing",
          "unpause": "unpausing"}


def is_paused(view: CapsuleView) -> bool:
    """Paused capsules stay Running (runtime/observe/status.py) with the reason `paused: ...`."""
    return view.reason.startswith("paused")


def lifecycle_action(action: str, view: CapsuleView) -> str:
    """`p` toggles: pause a running capsule, unpause a paused one."""
    return "unpause" if action == "pause" and is_paused(view) else action


class CapsuleActions:
    """Mixin for a screen (a `WorkerFailures` one): the actions above over `action_targets()`."""

    def action_targets(self) -> list[CapsuleView]:
        raise NotImplementedError

    def after_action(self, changed: dict[str, str] | None = None) -> None:
        """A refresh; `changed` (old uuid -> new uuid): an update made a new revision."""
        raise NotImplementedError

    def _targets_or_say(self, what: str) -> list[CapsuleView]:
        views = self.action_targets()
        if not views:
            self.app.notify(f"nothing to {what}: select a capsule (or mark some with space)",  # type: ignore[attr-defined]
                            severity="warning")
        return views

    # -- start, stop, restart, pause ----------------------------------------------------

    def action_capsule_action(self, action: str) -> None:
        from capsule_tui.screens.confirm_delete import LISTED, ConfirmScreen

        views = self._targets_or_say(action)
        if not views:
            return
        if action not in DESTRUCTIVE:
            self.run_lifecycle(action, views)
            return
        what = f"capsule {shown(views[0].name)}" if len(views) == 1 else f"these {len(views)} capsules"
        listed = "\n".join(shown(f"  {v.name}  on {v.host}  ({v.status})") for v in views[:LISTED])
        if len(views) > LISTED:
            listed += f"\n  … and {len(views) - LISTED} more"
        note = ("Their members are stopped (SIGTERM, then SIGKILL after 10 s), then the sandbox; "
                "nothing is removed." if action == "stop" else
                "Their members are stopped and started again (their processes start afresh).")

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.run_lifecycle(action, views)

        self.app.push_screen(  # type: ignore[attr-defined]
            ConfirmScreen(f"{action.capitalize()} {what}?", listed, note, yes=f"{action.capitalize()} (y)"),
            confirmed)

    @work(group="lifecycle", exit_on_error=False, description="acting on capsules")
    async def run_lifecycle(self, action: str, views: Sequence[CapsuleView]) -> None:
        from runtime.errors import CapsuleError

        backend = self.app.backend  # type: ignore[attr-defined]
        chosen = [(v, lifecycle_action(action, v)) for v in views]
        self.app.notify(shown(", ".join(f"{GERUND[a]} {v.name}" for v, a in chosen) + "…"),  # type: ignore[attr-defined]
                        title=action)

        async def one(view: CapsuleView, act: str) -> str | None:
            try:
                await backend.lifecycle(act, view.name, view.uuid, view.host)
            except CapsuleError as exc:
                self.app.notify(f"{act} {view.name} on {view.host} failed: {exc}",  # type: ignore[attr-defined]
                                title=f"{act} failed", severity="error", timeout=10)
                return None
            return f"{view.name} {DONE[act]}"

        done = [line for line in await asyncio.gather(*(one(v, a) for v, a in chosen)) if line]
        if done and not get_current_worker().is_cancelled:
            self.app.notify(shown(", ".join(done)), title=action)  # type: ignore[attr-defined]
        self.after_action()

    # -- exec -----------------------------------------------------------------------------

    def action_exec(self) -> None:
        from capsule_tui.screens.exec_prompt import ExecPromptScreen

        views = self.action_targets()
        view = views[0] if len(views) == 1 else self.exec_target()
        if view is None:
            self.app.notify("nothing to run in: select a capsule", severity="warning")  # type: ignore[attr-defined]
            return

        def chosen(answer: tuple[str, list[str]] | None) -> None:
            if answer is not None:
                self.run_exec(view, *answer)

        self.app.push_screen(ExecPromptScreen(view.name, view.uuid), chosen)  # type: ignore[attr-defined]

    def exec_target(self) -> CapsuleView | None:
        """With several marked, exec goes to the cursor's capsule (one terminal, one member)."""
        return None

    def run_exec(self, view: CapsuleView, member: str, command: list[str]) -> None:
        """Hand the terminal over to the command; where the app cannot be suspended, run it captured."""
        from textual.app import SuspendNotSupported

        from capsule_tui.actions import exec_terminal

        app = self.app  # type: ignore[attr-defined]
        try:
            with app.suspend():
                if command:
                    exec_terminal.run_in_terminal(view.name, member, command, view.host)
                else:
                    exec_terminal.shell_in_terminal(view.name, member, view.host)
        except SuspendNotSupported:
            if not command:
                app.notify("a shell needs the terminal, which this window cannot hand over; "
                           "give a command instead", severity="warning")
                return
            self.exec_captured(view, member, command)
            return
        self.after_action()

    @work(group="exec", exit_on_error=False, description="running the command in the member")
    async def exec_captured(self, view: CapsuleView, member: str, command: list[str]) -> None:
        from capsule_tui.actions.exec_terminal import run_captured

        captured = await run_captured(view.name, member, command, host=view.host)
        self.app.notify(captured.summary(view.name, member, command), title="exec",  # type: ignore[attr-defined]
                        severity="information" if captured.code == 0 else "error", timeout=15)
        self.after_action()

    # -- update and rollback ----------------------------------------------------------------

    def _one_target(self, what: str) -> CapsuleView | None:
        views = self._targets_or_say(what)
        if len(views) > 1:
            self.app.notify(f"{what} works on one capsule at a time; unmark the others (space)",  # type: ignore[attr-defined]
                            severity="warning")
            return None
        return views[0] if views else None

    def action_update(self) -> None:
        from capsule_tui.screens.update_capsule import UpdateCapsuleScreen

        view = self._one_target("update")
        if view is None:
            return

        def updated(new_uuid: str | None) -> None:
            self.after_action({view.uuid: new_uuid} if new_uuid else None)

        self.app.push_screen(UpdateCapsuleScreen(view.name, view.uuid, view.host), updated)  # type: ignore[attr-defined]

    def action_rollback(self) -> None:
        from capsule_tui.screens.confirm_delete import ConfirmScreen

        view = self._one_target("roll back")
        if view is None:
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.run_rollback(view)

        self.app.push_screen(ConfirmScreen(  # type: ignore[attr-defined]
            f"Roll back capsule {shown(view.name)}?",
            shown(f"  {view.name}  on {view.host}  (revision {view.revision})"),
            "It is switched to the previous revision that served (a new revision number); its members "
            "are stopped and rebuilt, its IP may change. If that revision used Secrets, use capsule "
            "rollback -f FILE instead.", yes="Roll back (y)"), confirmed)

    @work(group="rollback", exit_on_error=False, description="rolling back")
    async def run_rollback(self, view: CapsuleView) -> None:
        from runtime.errors import CapsuleError

        self.app.notify(shown(f"rolling back {view.name}…"), title="rollback")  # type: ignore[attr-defined]
        try:
            done = await self.app.backend.rollback(view.name, uuid=view.uuid, host=view.host)  # type: ignore[attr-defined]
        except CapsuleError as exc:
            self.app.notify(f"rollback {view.name} on {view.host} failed: {exc}",  # type: ignore[attr-defined]
                            title="rollback failed", severity="error", timeout=10)
            self.after_action()
            return
        self.app.notify(shown(f"rolled back {view.name}: revision {done.previous_revision} → {done.revision}, "  # type: ignore[attr-defined]
                              f"{done.status}"), title="rollback")
        self.after_action({view.uuid: done.uuid})
