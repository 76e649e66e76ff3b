"""Delete in the list: exactly the chosen capsules by uuid, and every capsule a filter shows (stub)."""

from __future__ import annotations

from textual.widgets import Static

from capsule_tui.screens.confirm_delete import ConfirmDeleteScreen
from support.tui_fakes import StubBackend, view
from support.tui_pilot import SIZE, RecordingApp, loaded, names, until


def twins() -> StubBackend:
    """Two capsules named web on two hosts (created from two machines), and one other."""
    return StubBackend([view("web", host="local", labels={"app": "web"}), view("web", host="lab", labels={"app": "web"}),
                        view("db", host="local", labels={"app": "db"})])


async def test_ctrl_d_deletes_the_selected_capsule_not_its_namesake_on_another_host() -> None:
    backend = twins()
    app = RecordingApp(backend, poll_seconds=60)
    async with app.run_test(size=SIZE) as pilot:
        screen = await loaded(app, pilot)
        await pilot.press("slash", *"web @lab", "enter")
        assert names(screen) == ["web"] and screen.current_view().host == "lab"
        await pilot.press("ctrl+d")
        dialog = app.screen
        assert isinstance(dialog, ConfirmDeleteScreen)
        assert "web  on lab" in str(dialog.query_one("#confirm-list", Static).render())
        await pilot.press("y")
        await until(lambda: backend.deleted_uuids == [["uuid-lab-web"]], pilot, what="the delete call")
        await until(lambda: any(m == "deleted web on lab" for _, m in app.notes), pilot, what="the note")
        assert [(v.name, v.host) for v in backend.views] == [("web", "local"), ("db", "local")]


async def test_shift_d_deletes_every_capsule_the_filter_shows_after_confirming() -> None:
    backend = twins()
    app = RecordingApp(backend, poll_seconds=60)
    async with app.run_test(size=SIZE) as pilot:
        screen = await loaded(app, pilot)
        await pilot.press("D")  # no filter: refused, nothing asked
        await until(lambda: any("there is no filter" in m for _, m in app.notes), pilot, what="the refusal")
        assert app.screen is screen
        await pilot.press("slash", *"app=web", "enter")
        assert len(screen.shown_views()) == 2
        await pilot.press("D")
        dialog = app.screen
        assert isinstance(dialog, ConfirmDeleteScreen)
        assert str(dialog.query_one("#confirm-question").render()) == "Delete every capsule matching app=web (2)?"
        await pilot.press("n")
        assert backend.deleted_uuids == []
        await pilot.press("D", "y")
        await until(lambda: backend.deleted_uuids != [], pilot, what="the delete call")
        assert sorted(backend.deleted_uuids[0]) == ["uuid-lab-web", "uuid-local-web"]
        assert [v.name for v in backend.views] == ["db"]


class WarningBackend(StubBackend):
    """A delete whose tidying leaves a network, said through the `capsule` logger as the runtime says it
    (runtime/application_flow.py settle): once on the loop, once from a worker thread."""

    async def delete_by_uuid(self, uuids: list[str]):  # type: ignore[no-untyped-def]
        import asyncio
        import logging

        results = await super().delete_by_uuid(uuids)
        logger = logging.getLogger("capsule")
        logger.warning("capsule: warning: %s", "network capsule-ns-shop left on host lab: the swarm still counts ...")
        await asyncio.to_thread(logger.warning, "capsule: warning: %s", "Services of namespace shop not updated")
        return results


async def test_a_warning_the_delete_logs_is_a_toast_not_a_line_on_the_hidden_stderr(capsys) -> None:  # type: ignore[no-untyped-def]
    backend = WarningBackend(twins().views)
    app = RecordingApp(backend, poll_seconds=60)
    async with app.run_test(size=SIZE) as pilot:
        screen = await loaded(app, pilot)
        await pilot.press("slash", *"web @lab", "enter")
        assert screen.current_view().host == "lab"
        await pilot.press("ctrl+d", "y")
        wanted = [("warning", "network capsule-ns-shop left on host lab: the swarm still counts ..."),
                  ("warning", "Services of namespace shop not updated")]
        await until(lambda: all(w in app.notes for w in wanted), pilot, what="both warnings as toasts")
    import logging

    assert not [h for h in logging.getLogger("capsule").handlers if type(h).__name__ == "NotifyingHandler"]
    assert "left on host lab" not in capsys.readouterr().err  # the UI's stderr got nothing of it
