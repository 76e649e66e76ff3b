"""Helpers for driving the terminal UI with Textual's pilot in tests.

`RecordingApp` is the real app that also keeps its notifications; `until` waits for
a condition while the app runs (never a fixed sleep); the rest read what a screen
shows.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from rich.text import Text

from capsule_tui.app import CapsuleApp
from capsule_tui.screens.capsule_list import CapsuleListScreen
from support.paths import SAMPLES

SIZE = (130, 32)
SECRET_VALUE = "not-a-real-password"  # the Secret's value in samples/deployment.yaml


def deployment_with_an_ignored_field(folder: Path) -> Path:
    """samples/deployment.yaml with `revisionHistoryLimit: 3` at line 43 (ignored: capsule keeps
    no history), so that a report has an ignored field to show; later lines move down by one."""
    text = (SAMPLES / "deployment.yaml").read_text()
    assert "\n  replicas: 1\n" in text
    path = folder / "deployment.yaml"
    path.write_text(text.replace("\n  replicas: 1\n", "\n  replicas: 1\n  revisionHistoryLimit: 3\n", 1))
    return path


class RecordingApp(CapsuleApp):
    """The real app, also keeping every notification for the test to read."""

    def __init__(self, *args, **kwargs) -> None:
        # No watcher unless a test asks (watch=[its capsule]): on a shared engine an
        # app's watcher would heal capsules the test did not make.
        kwargs.setdefault("watch", False)
        super().__init__(*args, **kwargs)
        self.notes: list[tuple[str, str]] = []

    def notify(self, message: str, *, severity: str = "information", **kwargs) -> None:  # type: ignore[override]
        self.notes.append((severity, message))
        super().notify(message, severity=severity, **kwargs)  # type: ignore[arg-type]


async def until(condition: Callable[[], bool], pilot, timeout: float = 10.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await pilot.pause(0.05)


def names(screen: CapsuleListScreen) -> list[str]:
    table = screen.table
    return [str(table.get_cell(row.key, "name")) for row in table.ordered_rows]


def cell(screen: CapsuleListScreen, uuid: str, column: str) -> str:
    value = screen.table.get_cell(uuid, column)
    return value.plain if isinstance(value, Text) else str(value)


def list_screen(app: CapsuleApp) -> CapsuleListScreen:
    screen = app.screen
    assert isinstance(screen, CapsuleListScreen), type(screen).__name__
    return screen


async def loaded(app: CapsuleApp, pilot) -> CapsuleListScreen:
    await until(lambda: isinstance(app.screen, CapsuleListScreen) and app.screen.snapshot is not None, pilot,
                what="the first refresh")
    return list_screen(app)


def hits(app: CapsuleApp) -> list[str]:
    """The command palette's hits, as text."""
    from textual.command import CommandList

    if not app.screen.query(CommandList):
        return []
    options = app.screen.query_one(CommandList)
    return [str(options.get_option_at_index(i).prompt).split("\n")[0] for i in range(options.option_count)]


def capsule_yaml(name: str, label: str = "tui") -> str:
    return f"""\
apiVersion: beta
kind: capsule
metadata:
  name: {name}
  labels:
    app: {label}
spec:
  containers:
    - name: main
      image: busybox:1.36
      command: ["sh", "-c", "echo hello from the {label} member; exec sleep 600"]
"""


