"""Snapshots of the main screens at a fixed terminal size, with fixed data from the stub backend."""

from __future__ import annotations

from capsule_tui.app import CapsuleApp
from capsule_tui.screens.capsule_list import CapsuleListScreen
from support.tui_fakes import StubBackend
from support.tui_pilot import until

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


IMPORT_TEXT = """\
apiVersion: v1
kind: Pod
metadata:
  name: web
  labels:
    app: web
spec:
  nodeName: somewhere
  containers:
    - name: httpd
      image: busybox:1.36
      command: ["httpd", "-f", "-p", "8080"]
      ports:
        - containerPort: 8080
"""


def test_snapshot_import_screen(snap_compare) -> None:
    async def run_before(pilot) -> None:
        from textual.widgets import Static

        from capsule_tui.screens.create_capsule import CreateCapsuleScreen

        await _first_refresh(pilot)
        await pilot.press("i")
        screen = pilot.app.screen
        assert isinstance(screen, CreateCapsuleScreen)
        screen.editor.load_text(IMPORT_TEXT)  # pasted
        placement = screen.query_one("#placement", Static)
        # The stub has a capsule web: the preview says so, with its host (issue 13, item 14).
        await until(lambda: "web: the name is taken" in str(placement.render()), pilot, what="the placement preview")
        screen.path_input.cursor_blink = False  # a blinking cursor would be caught on or off
        screen.set_focus(screen.path_input)
        await pilot.pause()

    assert snap_compare(snapshot_app(), terminal_size=(120, 36), run_before=run_before)


def test_snapshot_host_form_with_an_error(snap_compare, tmp_path) -> None:
    async def run_before(pilot) -> None:
        from textual.widgets import Static

        from capsule_tui.screens.host_form import HostFormScreen

        await _first_refresh(pilot)
        await pilot.press("h")
        await until(lambda: pilot.app.screen.facts is not None, pilot, what="the host facts")
        await pilot.press("a")
        form = pilot.app.screen
        assert isinstance(form, HostFormScreen)
        form.input_for("url").cursor_blink = False  # a blinking cursor would be caught on or off
        await pilot.press(*"edge", "tab", *"tcp://10.0.0.99:2375")
        form.input_for("labels").value = "zone=b"
        await pilot.press("ctrl+s")
        error = form.query_one("#host-form-error", Static)
        await until(lambda: "refused" in str(error.render()), pilot, what="the error")
        await pilot.pause()

    app = CapsuleApp(StubBackend(inventory=tmp_path / "hosts.yaml"), poll_seconds=3600)
    assert snap_compare(app, terminal_size=(120, 36), run_before=run_before)


def test_snapshot_services_with_backends_and_a_host_error(snap_compare) -> None:
    async def run_before(pilot) -> None:
        from capsule_tui.screens.service_list import ServiceListScreen

        await _first_refresh(pilot)
        await pilot.press("v")
        screen = pilot.app.screen
        assert isinstance(screen, ServiceListScreen)
        await until(lambda: screen.views is not None, pilot, what="the Services")
        await pilot.press("down", "enter")  # web: its two backends below
        pilot.app.clear_notifications()  # the host error's toast would cover the pane
        await pilot.pause()

    backend = StubBackend()
    backend.service_problems = ["host edge: connection refused"]
    assert snap_compare(CapsuleApp(backend, poll_seconds=3600), terminal_size=(100, 24), run_before=run_before)
