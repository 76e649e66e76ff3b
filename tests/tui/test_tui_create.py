"""The create screen: validation while typing, the report, the placement preview, creating (stub)."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Static

from capsule_tui.screens.capsule_list import CapsuleListScreen
from capsule_tui.screens.create_capsule import CreateCapsuleScreen
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
        assert "<editor>:4:9: error: metadata.name: 'Bad_Name' is not a DNS-1123 label" in report
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


async def test_a_long_progress_line_wraps_instead_of_being_cut_at_the_edge() -> None:
    """Issue 13, item 14 (its last part): long progress lines were cut at the screen edge."""
    app = RecordingApp(StubBackend(), poll_seconds=60)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(app, pilot)
        await pilot.press("c")
        create = app.screen
        create.progress.display = True
        tail = "the end of a long engine message"
        create.post_message(create.Progress("web: pull busybox:1.36: " + "x" * 150 + " " + tail))
        await until(lambda: len(create.progress.lines) > 1, pilot, what="the line, wrapped")
        shown_text = "".join(strip.text for strip in create.progress.lines)
        assert tail in shown_text.replace("  ", " ")
