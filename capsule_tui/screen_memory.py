"""Which screen the UI was on and which capsule was selected, for the next run.

`where(app)` reads it off the screen stack when the app exits (a dialog, create
or update counts as the screen under it); `restore` comes back to it after the
list's first refresh: the cursor on the same capsule, then the same screen
(details or logs only when their capsule still exists). Saved with the filter and
sort (capsule_tui/view_memory.py), when the app has a `memory_path`.
"""

from __future__ import annotations

from typing import Any

from capsule_tui.view_memory import ListMemory

# Screen class names (imports would load every screen at start) and what they are called in the file.
_KINDS = {"CapsuleListScreen": "list", "CapsuleDetailScreen": "details", "LogsScreen": "logs",
          "HostListScreen": "hosts", "ServiceListScreen": "services", "EventLogScreen": "events"}


def where(app: Any) -> tuple[str, str]:
    """(screen kind, uuid of its capsule or "") of the topmost screen worth coming back to."""
    for screen in reversed(app.screen_stack):
        kind = _KINDS.get(type(screen).__name__)
        if kind is not None:
            return kind, getattr(screen, "uuid", "") if kind in ("details", "logs") else ""
    return "list", ""


def restore(list_screen: Any, memory: ListMemory) -> None:
    """The cursor back on the remembered capsule, and the remembered screen on top of the list."""
    views = {v.uuid: v for v in list_screen.shown_views()}
    if memory.selected in views:
        row = list(views).index(memory.selected)
        list_screen.table.move_cursor(row=row, animate=False)
    if memory.screen in ("hosts", "services", "events"):
        getattr(list_screen, f"action_{memory.screen}")()
        return
    view = next((v for v in list_screen.snapshot.capsules if v.uuid == memory.capsule), None)
    if view is None:
        return  # the list, or a capsule that is gone: the list it is
    if memory.screen == "details":
        from capsule_tui.screens.capsule_detail import CapsuleDetailScreen

        list_screen.app.push_screen(CapsuleDetailScreen(view.name, view.uuid))
    elif memory.screen == "logs":
        from capsule_tui.screens.capsule_logs import LogsScreen

        list_screen.app.push_screen(LogsScreen(view.name, view.uuid, view.host))
