"""Snapshots of the main screens at a fixed terminal size, with fixed data from the stub backend."""

from __future__ import annotations



from capsule_tui.app import CapsuleApp
from capsule_tui.screens.capsule_list import CapsuleListScreen
from tui_fakes import StubBackend
from tui_pilot import until


# ------------------------------------------------------------------ snapshots

def snapshot_app() -> CapsuleApp:
    return CapsuleApp(StubBackend(), poll_seconds=3600)


async def _first_refresh(pilot) -> None:
    await until(lambda: isinstance(pilot.app.screen, CapsuleListScreen) and pilot.app.screen.snapshot is not None,
                pilot, what="the first refresh")
    await pilot.pause()


def test_snapshot_capsule_list(snap_compare) -> None:
    async def run_before(pilot) -> None:
        await _first_refresh(pilot)
        await pilot.press("down", "space")  # a marked row

    assert snap_compare(snapshot_app(), terminal_size=(120, 20), run_before=run_before)


def test_snapshot_capsule_detail(snap_compare) -> None:
    async def run_before(pilot) -> None:
        await _first_refresh(pilot)
        await pilot.press("down", "down", "down", "down", "enter")  # web
        await until(lambda: getattr(pilot.app.screen, "detail", None) is not None, pilot, what="the detail")
        await pilot.pause()

    assert snap_compare(snapshot_app(), terminal_size=(120, 36), run_before=run_before)
