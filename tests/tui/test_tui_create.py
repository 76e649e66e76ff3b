"""The create screen: validation while typing, the report, the placement preview, creating (stub)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from textual.widgets import Static

from capsule_tui.screens.capsule_list import CapsuleListScreen
from capsule_tui.screens.confirm_delete import ConfirmScreen
from capsule_tui.screens.create_capsule import CreateCapsuleScreen
from capsule_tui.widgets.create_progress import CreateProgress
from runtime.build.model import ProgressEvent
from runtime.create_flow import CreateResult
from support.tui_fakes import StubBackend
from support.tui_pilot import (
    SECRET_VALUE,
    SIZE,
    RecordingApp,
    capsule_yaml,
    deployment_with_an_ignored_field,
    loaded,
    until,
)
from translate.translation import translate_paths

# ------------------------------------------------------------------ create (stub)

BAD_YAML = """\
apiVersion: beta
kind: capsule
metadata:
  name: Bad_Name
spec:
  containers:
    - name: main
      imag: busybox:1.36
"""


async def test_create_validates_while_typing_and_creates_on_ctrl_s() -> None:
    backend = StubBackend()
    app = RecordingApp(backend, poll_seconds=60)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app, pilot)
        await pilot.press("c")
        create = app.screen
        assert isinstance(create, CreateCapsuleScreen)
        validation = create.query_one("#validation", Static)
        create.editor.insert(BAD_YAML)
        await until(lambda: "error" in str(validation.render()), pilot, what="the errors")
        report = str(validation.render())
        assert "<editor>:4:9: error: metadata.name: 'Bad_Name' is not a DNS-1123 subdomain" in report
        assert "<editor>:7:7: error: spec.containers[0].image: is required" in report
        assert "(did you mean 'image'?)" in report and "2 errors" in report
        assert "rejected" in report
        await pilot.press("ctrl+s")  # refused: nothing is created from text with errors
        await until(lambda: any("nothing created" in m for _, m in app.notes), pilot, what="the refusal")
        assert backend.created == [] and app.screen is create
        # Fix it by typing: the report follows.
        create.editor.load_text(capsule_yaml("fixed"))
        await pilot.press("end")
        await until(lambda: "✓ valid: 1 capsule (fixed)" in str(validation.render()), pilot, what="valid")
        assert "apiVersion: beta" in str(create.query_one("#preview", Static).render())
        placement = create.query_one("#placement", Static)
        await until(lambda: "fixed → local" in str(placement.render()), pilot, what="the placement preview")
        assert "local: chosen, score 87" in str(placement.render()) and "lab: fits, score 40" in str(placement.render())
        await pilot.press("ctrl+s")
        await until(lambda: isinstance(app.screen, CapsuleListScreen), pilot, what="back to the list")
        assert [c.name for c in backend.created[0].capsules] == ["fixed"]


async def test_create_reports_a_kubernetes_manifest_with_its_warnings(tmp_path: Path) -> None:
    app = RecordingApp(StubBackend(), poll_seconds=60)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app, pilot)
        await pilot.press("c")
        create = app.screen
        assert isinstance(create, CreateCapsuleScreen)
        sample = deployment_with_an_ignored_field(tmp_path)
        create.path_input.value = str(sample)
        create.path_input.focus()
        await pilot.press("enter")  # in the path field: loads the file
        validation = create.query_one("#validation", Static)
        await until(lambda: "valid" in str(validation.render()), pilot, timeout=10, what="the report")
        report = str(validation.render())
        # The Deployment's one replica, named as Kubernetes names a Deployment's pods.
        [replica] = [c.name for c in translate_paths([str(sample)]).capsules]
        assert replica.startswith("web-")
        assert f"✓ valid: 1 capsule ({replica})\n" in report and "1 ignored" in report
        assert f"{sample}:43:3: warning: spec.revisionHistoryLimit: is ignored" in report
        preview = str(create.query_one("#preview", Static).render())
        assert "secretKeyRef" in preview and SECRET_VALUE not in preview
        create.path_input.value = str(tmp_path / "missing.yaml")
        create.path_input.focus()
        await pilot.press("enter")
        await until(lambda: any("cannot load" in m for _, m in app.notes), pilot, what="the load error")
        assert any("No such file or directory" in m for _, m in app.notes)




async def test_tab_completes_the_path_field_and_moves_on_only_when_nothing_is_suggested(tmp_path: Path) -> None:
    """Issue 13, item 6: tab moved the focus and dropped the suggestion."""
    (tmp_path / "manifests").mkdir()
    (tmp_path / "manifests" / "web-deployment.yaml").write_text("kind: Pod\n")
    app = RecordingApp(StubBackend(), poll_seconds=60)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app, pilot)
        await pilot.press("c")
        create = app.screen
        create.set_focus(create.path_input)
        await pilot.press(*f"{tmp_path}/man")
        await until(lambda: create.path_input._suggestion.endswith("manifests/"), pilot, what="the suggestion")
        await pilot.press("tab")
        assert create.path_input.value == f"{tmp_path}/manifests/" and create.path_input.has_focus
        await pilot.press("w")
        await until(lambda: create.path_input._suggestion.endswith(".yaml"), pilot, what="the file's suggestion")
        await pilot.press("tab")
        assert create.path_input.value == f"{tmp_path}/manifests/web-deployment.yaml"
        assert create.path_input.has_focus
        await pilot.press("tab")  # nothing more to complete: on to the editor, as tab does elsewhere
        assert not create.path_input.has_focus


class SlowBackend(StubBackend):
    """A create that reports one long progress line, then runs until the test lets it end (or it is cancelled)."""

    def __init__(self) -> None:
        super().__init__()
        self.release = asyncio.Event()
        self.cancelled = False

    async def create(self, translation: Any, on_progress: Any = None) -> list[Any]:
        self.created.append(translation)
        name = translation.capsules[0].name
        on_progress(name, ProgressEvent("pull", "busybox:1.36", "x" * 150 + " the end of a long engine message"))
        try:
            await self.release.wait()
        except asyncio.CancelledError:
            self.cancelled = True
            raise
        return [CreateResult(name, "local", "uuid-1", "Running")]


async def test_a_long_progress_line_wraps_under_the_list_instead_of_being_cut_at_the_edge() -> None:
    """Issue 13, item 14 (its last part): long progress lines were cut at the screen edge."""
    backend = SlowBackend()
    app = RecordingApp(backend, poll_seconds=60)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await loaded(app, pilot)
        await pilot.press("c")
        app.screen.editor.load_text(capsule_yaml("slow"))
        await pilot.press("ctrl+s")
        await until(lambda: app.screen is screen, pilot, what="the list, at once")
        progress = screen.query_one(CreateProgress)
        await until(lambda: progress.display and "the end" in str(progress.render()), pilot, what="the progress")
        await pilot.pause()
        assert progress.region.height > 2 and progress.region.right <= 80  # wrapped, not cut
        assert "the end of a long engine message" in " ".join(str(progress.render()).split())
        backend.release.set()
        await until(lambda: not progress.display, pilot, what="the line to go when the create ended")
        assert any(m == "created slow Running on local" for _, m in app.notes), app.notes


async def test_create_hands_over_at_once_and_quitting_meanwhile_asks_what_to_do() -> None:
    """Issue 13, item 3: the create screen blocked the UI until Running, and q quit mid-create without a word."""
    backend = SlowBackend()
    app = RecordingApp(backend, poll_seconds=60)
    async with app.run_test(size=SIZE) as pilot:
        screen = await loaded(app, pilot)
        await pilot.press("c")
        app.screen.editor.load_text(capsule_yaml("slow"))
        await pilot.press("ctrl+s")
        await until(lambda: app.screen is screen, pilot, what="the list, while the create runs")
        assert any(m.startswith("creating slow:") for _, m in app.notes), app.notes
        await pilot.press("h")  # the rest of the UI answers meanwhile
        assert type(app.screen).__name__ == "HostListScreen"
        await pilot.press("escape", "q")
        confirm = app.screen
        assert isinstance(confirm, ConfirmScreen)
        assert "Quit while creating slow?" in str(confirm.query_one("#confirm-question").render())
        assert "creating slow: pull busybox:1.36" in str(confirm.query_one("#confirm-list").render())
        await pilot.press("n")  # stay: the create goes on
        assert app.screen is screen and app.is_running and not backend.cancelled
        await pilot.press("q", "y")
        await until(lambda: backend.cancelled, pilot, what="the create to be stopped")
        await until(lambda: not app.is_running, pilot, what="the app to end")
    assert any(m.startswith("stopping the create of slow") for _, m in app.notes), app.notes


async def test_quit_with_no_create_under_way_quits_at_once() -> None:
    app = RecordingApp(StubBackend(), poll_seconds=60)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app, pilot)
        await pilot.press("q")
        await until(lambda: not app.is_running, pilot, what="the app to end")


async def test_the_preview_says_a_name_is_taken_and_where() -> None:
    """Issue 13, item 14: a duplicate name passed the preview and failed only at ctrl+s."""
    app = RecordingApp(StubBackend(), poll_seconds=60)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app, pilot)
        await pilot.press("c")
        create = app.screen
        create.editor.load_text(capsule_yaml("redis"))  # the stub has a redis on lab
        placement = create.query_one("#placement", Static)
        await until(lambda: "taken" in str(placement.render()), pilot, what="the name taken")
        assert "redis: the name is taken: capsule redis already exists on host lab" in str(placement.render())
        create.editor.load_text(capsule_yaml("fresh"))
        await until(lambda: "fresh → local" in str(placement.render()), pilot, what="a free name placed")
        assert "taken" not in str(placement.render())


async def test_c_and_i_open_one_screen_that_differs_only_in_where_the_cursor_starts(tmp_path: Path) -> None:
    """Issue 13, item 15: create and import were two near-duplicate screens."""
    app = RecordingApp(StubBackend(), poll_seconds=60)
    async with app.run_test(size=SIZE) as pilot:
        screen = await loaded(app, pilot)
        await pilot.press("c")
        created = app.screen
        assert isinstance(created, CreateCapsuleScreen) and created.editor.has_focus
        parts = {w.id for w in created.query("*") if w.id}
        await pilot.press("escape", "escape")  # leave the editor, then back to the list
        assert app.screen is screen
        await pilot.press("i")
        await pilot.pause()
        imported = app.screen
        assert type(imported) is CreateCapsuleScreen and imported.path_input.has_focus
        assert {w.id for w in imported.query("*") if w.id} == parts  # the same fields, the same path field
        assert {"path", "editor", "validation", "placement", "preview", "outcomes"} <= parts
        assert "import a Kubernetes manifest" in imported.sub_title
        # A capsule typed into the "import" screen is as welcome as a manifest in the "create" one.
        imported.editor.load_text(capsule_yaml("typed"))
        validation = imported.query_one("#validation", Static)
        await until(lambda: "✓ valid: 1 capsule (typed)" in str(validation.render()), pilot, what="valid")
        await pilot.press("escape")
        assert app.screen is screen
