"""The terminal UI on the real local engine, checked through the docker package as a second client."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Static

from capsule_tui.screens.capsule_detail import CapsuleDetailScreen
from capsule_tui.screens.capsule_list import CapsuleListScreen
from capsule_tui.screens.confirm_delete import ConfirmDeleteScreen
from capsule_tui.screens.create_capsule import CreateCapsuleScreen
from capsule_tui.screens.spec_yaml import SpecScreen
from support.tui_pilot import SIZE, RecordingApp, capsule_yaml, cell, loaded, names, until

# ------------------------------------------------------------------ real engine: create, see, delete


async def test_create_see_running_and_delete_on_a_real_engine(docker_engine, capsule_home, unique_name) -> None:
    label = f"capsule.name={unique_name}"
    app = RecordingApp(poll_seconds=0.5)  # the real backend: CapsuleService on the local engine
    async with app.run_test(size=SIZE) as pilot:
        screen = await loaded(app, pilot)
        await until(lambda: "local reachable" in str(screen.host_status.render()), pilot, what="the local host")
        await pilot.press("c")
        create = app.screen
        assert isinstance(create, CreateCapsuleScreen)
        create.editor.insert(capsule_yaml(unique_name, label="tui-e2e"))
        validation = create.query_one("#validation", Static)
        await until(lambda: f"✓ valid: 1 capsule ({unique_name})" in str(validation.render()), pilot,
                    what="a valid capsule")
        placement = create.query_one("#placement", Static)
        await until(lambda: f"{unique_name} → local" in str(placement.render()), pilot, timeout=15,
                    what="the placement preview")
        assert "local: chosen" in str(placement.render())
        await pilot.press("ctrl+s")
        await until(lambda: isinstance(app.screen, CapsuleListScreen), pilot, timeout=5, what="the list")
        # The create goes on behind the list (capsule_tui/create_jobs.py) and says when it is Running.
        await until(lambda: any(m.startswith(f"created {unique_name} Running on local") for _, m in app.notes),
                    pilot, timeout=90, what="the create")
        # The list shows it Running (the next refresh at the latest).
        await until(lambda: any(v.name == unique_name and v.status == "Running" for v in screen.shown_views()),
                    pilot, timeout=15, what="the capsule Running in the list")
        assert len(docker_engine.client.containers.list(ignore_removed=True, filters={"label": label})) == 2  # sandbox + member
        # The hosts screen shows the engine the docker package sees, with this capsule on it.
        await pilot.press("h")
        hosts = app.screen
        assert type(hosts).__name__ == "HostListScreen"
        await until(lambda: hosts.facts is not None, pilot, timeout=15, what="the host facts")
        assert str(hosts.table.get_cell("local", "state")) == "reachable"
        assert str(hosts.table.get_cell("local", "engine")) == docker_engine.client.version()["Version"]
        assert int(str(hosts.table.get_cell("local", "capsules"))) >= 1
        await pilot.press("escape")
        # The event log has its creation.
        await pilot.press("e")
        events = app.screen
        assert type(events).__name__ == "EventLogScreen"
        await until(lambda: any(e.capsule == unique_name and e.kind == "created" for e in events.events), pilot,
                    timeout=15, what="the created event")
        await pilot.press("escape")
        assert app.screen is screen
        # Select it by filtering, then delete with ctrl+d, y.
        await pilot.press("slash", *unique_name, "enter")
        assert names(screen) == [unique_name]
        row = screen.current_view()
        assert row is not None and row.status == "Running" and row.ready == "1/1" and row.ip
        assert cell(screen, row.uuid, "status") == "Running" and cell(screen, row.uuid, "labels") == "app=tui-e2e"
        # Its details and spec, read back from the engine through the service.
        await pilot.press("enter")
        detail = app.screen
        assert isinstance(detail, CapsuleDetailScreen)
        await until(lambda: detail.detail is not None, pilot, timeout=15, what="the detail")
        members = {m.name: m for m in detail.detail.members}
        assert members["main"].state == "running" and members["main"].image == "busybox:1.36"
        assert members["(sandbox)"].role == "sandbox"
        await pilot.press("y")
        spec_screen = app.screen
        assert isinstance(spec_screen, SpecScreen)
        await until(lambda: bool(spec_screen.yaml_text), pilot, timeout=15, what="the spec")
        assert f"name: {unique_name}" in spec_screen.yaml_text and "exec sleep 600" in spec_screen.yaml_text
        await pilot.press("escape", "l")
        logs = app.screen
        assert type(logs).__name__ == "LogsScreen"
        await until(lambda: "main | hello from the tui-e2e member" in logs.shown_lines(), pilot, timeout=15,
                    what="the member's log line")
        await pilot.press("escape", "escape")
        assert app.screen is screen
        await pilot.press("ctrl+d")
        assert isinstance(app.screen, ConfirmDeleteScreen)
        await pilot.press("y")
        await until(lambda: any(m.startswith(f"deleted {unique_name}") for _, m in app.notes), pilot,
                    timeout=60, what="the delete")
        await until(lambda: names(screen) == [], pilot, timeout=10, what="the row to go")
        assert not [m for s, m in app.notes if s == "error"], app.notes
    # Checked through the docker package, not through capsule.
    assert docker_engine.client.containers.list(ignore_removed=True, all=True, filters={"label": label}) == []
    assert docker_engine.client.volumes.list(filters={"label": label}) == []


def test_a_broken_inventory_is_a_message_and_exit_code_2(capsule_home: Path, capsys) -> None:
    from capsule_tui.app import run

    (capsule_home / "hosts.yaml").write_text("hosts:\n  - name: x\n    url: ftp://nowhere\n")
    assert run() == 2
    err = capsys.readouterr().err
    assert "the host inventory cannot be read" in err and "hosts.yaml:3" in err


