"""The screens beside the list: details, spec, logs, events, hosts, commands, help (stub backend)."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Static

from capsule_tui.screens.capsule_detail import CapsuleDetailScreen
from capsule_tui.screens.capsule_list import CapsuleListScreen
from capsule_tui.screens.create_capsule import CreateCapsuleScreen
from capsule_tui.screens.help import HelpScreen
from capsule_tui.screens.spec_yaml import SpecScreen
from support.tui_fakes import StubBackend
from support.tui_pilot import (
    SECRET_VALUE,
    SIZE,
    RecordingApp,
    deployment_with_an_ignored_field,
    hits,
    loaded,
    until,
)
from translate.translation import translate_paths

# ------------------------------------------------------------------ detail, spec, help (stub)


async def test_detail_shows_members_env_events_and_the_spec_without_secret_values() -> None:
    app = RecordingApp(StubBackend(), poll_seconds=60)
    async with app.run_test(size=SIZE) as pilot:
        screen = await loaded(app, pilot)
        screen.filter_input.value = "web @local app=web"
        await pilot.pause()
        await pilot.press("enter")
        detail = app.screen
        assert isinstance(detail, CapsuleDetailScreen) and detail.capsule_name == "web"
        await until(lambda: detail.detail is not None, pilot, what="the detail")
        members = detail.members
        rows = [[str(members.get_cell(r.key, c)) for c in ("member", "state", "image", "ports", "restarts")]
                for r in members.ordered_rows]
        assert rows == [["(sandbox)", "running", "registry.k8s.io/pause:3.10", "-", "0"],
                        ["httpd", "running", "busybox:1.36", "18082->8080/TCP", "0"]]
        env = str(detail.query_one("#detail-env", Static).render())
        assert "PASSWORD=<secret web-credentials/password>" in env
        events = str(detail.query_one("#detail-events", Static).render())
        assert "2026-01-01 00:00:00Z  created" in events and "all members started" in events
        assert "site: configMap" in str(detail.query_one("#detail-volumes", Static).render())
        await pilot.press("y")
        spec_screen = app.screen
        assert isinstance(spec_screen, SpecScreen)
        await until(lambda: bool(spec_screen.yaml_text), pilot, what="the spec")
        assert "secretKeyRef:" in spec_screen.yaml_text and "name: web-credentials" in spec_screen.yaml_text
        assert SECRET_VALUE not in spec_screen.yaml_text
        await pilot.press("end")
        assert SECRET_VALUE not in app.export_screenshot()
        await pilot.press("escape")
        assert app.screen is detail
        assert SECRET_VALUE not in app.export_screenshot()
        await pilot.press("escape")
        assert app.screen is screen


async def test_a_capsule_deleted_while_its_details_show_is_said_once() -> None:
    backend = StubBackend()
    app = RecordingApp(backend, poll_seconds=0.1)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app, pilot)
        await pilot.press("enter")  # batch
        detail = app.screen
        assert isinstance(detail, CapsuleDetailScreen)
        await until(lambda: detail.detail is not None, pilot, what="the detail")
        backend.views = [v for v in backend.views if v.name != "batch"]
        await until(lambda: detail.gone, pilot, what="the capsule to be gone")
        await pilot.pause(0.5)
        assert [m for _, m in app.notes if "no longer exists" in m] == ["capsule batch no longer exists"]
        assert "no longer exists on any host" in str(detail.query_one("#detail-summary", Static).render())
        assert not [m for s, m in app.notes if s == "error"]


async def test_logs_merge_members_filter_search_and_keep_a_bounded_buffer(monkeypatch) -> None:
    from capsule_tui.screens import capsule_logs

    monkeypatch.setattr(capsule_logs, "BUFFER_LINES", 8)
    backend = StubBackend()
    app = RecordingApp(backend, poll_seconds=60)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app, pilot)
        await pilot.press("down", "down", "down", "down", "l")  # web
        logs = app.screen
        assert isinstance(logs, capsule_logs.LogsScreen)
        await until(lambda: len(logs.buffer) == 8, pilot, what="the lines")
        assert backend.log_requests == [("uuid-local-web", "local", capsule_logs.TAIL_LINES)]
        assert logs.shown_lines()[0] == "httpd | line 2 from httpd"  # lines 0 and 1 dropped off
        assert logs.shown_lines()[-1] == "writer | line 9 from writer"
        status = str(logs.query_one("#log-status", Static).render())
        assert "8 lines (oldest dropped)" in status and "following" in status
        await pilot.press("m")
        assert logs.member == "httpd" and all(s.startswith("httpd |") for s in logs.shown_lines())
        await pilot.press("m", "m")
        assert logs.member is None and len(logs.shown_lines()) == 8
        await pilot.press("slash", *"line 7")
        assert logs.shown_lines() == ["writer | line 7 from writer"]
        await pilot.press("enter", "w", "f")
        assert logs.view.wrap and not logs.following
        await pilot.press("escape")  # clears the search first
        assert logs.search == "" and len(logs.shown_lines()) == 8 and app.screen is logs
        backend.logs_end.set()
        await until(lambda: logs.ended, pilot, what="the end of the stream")
        assert "every member has stopped" in str(logs.query_one("#log-status", Static).render())
        await pilot.press("escape")
        assert isinstance(app.screen, CapsuleListScreen)


async def test_the_logs_read_in_time_order_across_members_and_t_shows_the_stamps() -> None:
    """Issue 13, item 1: each member's backlog arrives as one burst, so the view read effects before causes."""
    import asyncio

    from runtime.views import MemberLogLine

    class Bursts(StubBackend):
        async def logs(self, uuid: str, host: str, *, tail: int, member: str | None = None):  # type: ignore[override]
            stamp = "2026-12-04T10:00:0{}.000000000Z".format
            for second in (1, 3, 5):  # httpd's backlog, then writer's: as the engine's streams deliver them
                yield MemberLogLine("httpd", "stdout", f"httpd at {second}", stamp(second))
            for second in (2, 4, 6):
                yield MemberLogLine("writer", "stdout", f"writer at {second}", stamp(second))
            await asyncio.sleep(0.2)
            yield MemberLogLine("writer", "stdout", "writer at 7", stamp(7))
            await self.logs_end.wait()

    app = RecordingApp(Bursts(), poll_seconds=60)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app, pilot)
        await pilot.press("down", "down", "down", "down", "l")
        logs = app.screen
        await until(lambda: len(logs.buffer) == 7, pilot, what="every line")
        expected = ["httpd | httpd at 1", "writer | writer at 2", "httpd | httpd at 3", "writer | writer at 4",
                    "httpd | httpd at 5", "writer | writer at 6", "writer | writer at 7"]
        assert logs.shown_lines() == expected
        await until(lambda: len(logs.view.lines) == 7, pilot, what="the view drawn in that order")
        assert [str(line.text).split(" | ", 1)[1] for line in logs.view.lines] == [e.split(" | ")[1] for e in expected]
        await pilot.press("t")
        assert str(logs.view.lines[0].text).startswith("2026-12-04T10:00:01.000")


async def test_m_offers_every_container_silent_members_and_init_containers_too() -> None:
    """Issue 13, item 2: only members that had printed were offered, never an init container."""
    from runtime.views import MemberView

    class WithInit(StubBackend):
        async def describe(self, name: str, uuid: str):  # type: ignore[no-untyped-def]
            detail = await super().describe(name, uuid)
            detail.members += [MemberView("quiet", "member", "busybox:1.36", "running", 0, None, "", ""),
                               MemberView("migrate", "init", "busybox:1.36", "exited", 0, 0, "", ""),
                               MemberView("proxy", "sidecar", "busybox:1.36", "running", 0, None, "", "")]
            return detail

    backend = WithInit()
    app = RecordingApp(backend, poll_seconds=60)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app, pilot)
        await pilot.press("down", "down", "down", "down", "l")
        logs = app.screen
        await until(lambda: logs.inits == ["migrate", "proxy"] and "quiet" in logs.members, pilot,
                    what="the containers, a native sidecar among the init containers")
        seen = []
        for _ in range(len(logs.members) + 1):
            await pilot.press("m")
            seen.append(logs.member)
        assert seen == [*logs.members, "migrate"] and "quiet" in seen  # silent, still offered
        await until(lambda: logs.shown_lines() == ["migrate | migrate ran"], pilot, what="the init's own log")
        assert backend.log_requests[-1][3] == "migrate"
        await pilot.press("m")  # the sidecar, on its own log as an init container's
        assert logs.member == "proxy"
        await until(lambda: backend.log_requests[-1][3] == "proxy", pilot, what="the sidecar's own log asked for")
        await pilot.press("m")  # back to all members: the merged stream again
        assert logs.member is None
        await until(lambda: len(logs.buffer) > 1 and "migrate" not in logs.members, pilot, what="the members' lines")


async def test_no_members_stdout_is_drawn_in_the_red_of_stderr() -> None:
    """Issue 13, item 9: the second member's stdout was as red as stderr."""
    from capsule_tui.screens import capsule_logs
    from runtime.views import MemberLogLine

    app = RecordingApp(StubBackend(), poll_seconds=60)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app, pilot)
        await pilot.press("down", "down", "down", "down", "l")
        logs = app.screen
        await until(lambda: len(logs.members) >= 2, pilot, what="two members")
        reddish = ("red", "magenta")
        logs.members = [*logs.members, "a", "b", "c", "d", "e", "f"]  # every colour of the palette, and again
        for member in logs.members:
            line = logs._line_text(MemberLogLine(member=member, stream="stdout", text="out"))
            styles = [str(span.style) for span in line.spans] + [str(line.style)]
            assert not any(r in s for s in styles for r in reddish), (member, styles)
        err = logs._line_text(MemberLogLine(member=logs.members[1], stream="stderr", text="err"))
        assert any(capsule_logs.STDERR_STYLE in str(span.style) for span in err.spans)


async def test_the_event_log_shows_history_then_new_events_and_keeps_to_the_bottom(monkeypatch) -> None:
    from capsule_tui.screens import event_log
    from runtime.state.records import EventRecord

    monkeypatch.setattr(event_log, "MAX_ROWS", 3)
    backend = StubBackend()
    app = RecordingApp(backend, poll_seconds=60)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app, pilot)
        await pilot.press("e")
        screen = app.screen
        assert isinstance(screen, event_log.EventLogScreen)
        await until(lambda: screen.table.row_count == 2, pilot, what="the history")
        assert backend.event_limits == [0, event_log.HISTORY]  # the list follows new events only
        backend.event_records.append(EventRecord(3, 1_767_225_700.0, "broken", "uuid-local-broken", "local",
                                                 "failed", "member httpd exited with code 1"))
        await until(lambda: screen.table.row_count == 3, pilot, what="the new event")
        row = [str(screen.table.get_cell("3", c)) for c in ("time", "kind", "capsule", "host", "message")]
        assert row == ["2026-01-01 00:01:40Z", "failed", "broken", "local", "member httpd exited with code 1"]
        assert screen.table.cursor_row == 2  # followed to the bottom
        backend.event_records.append(EventRecord(4, 1_767_225_800.0, "broken", "", "local", "deleted", "bye"))
        await until(lambda: "4" in [r.key.value for r in screen.table.ordered_rows], pilot, what="event 4")
        assert [r.key.value for r in screen.table.ordered_rows] == ["2", "3", "4"]  # bounded: the oldest went
        await pilot.press("escape")
        assert isinstance(app.screen, CapsuleListScreen)


async def test_the_hosts_screen_shows_each_host_with_capacity_or_why_not() -> None:
    backend = StubBackend()
    app = RecordingApp(backend, poll_seconds=60)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app, pilot)
        await pilot.press("h")
        screen = app.screen
        assert type(screen).__name__ == "HostListScreen"
        await until(lambda: screen.facts is not None, pilot, what="the host facts")
        table = screen.table
        local = [str(table.get_cell("local", c)) for c in ("host", "state", "engine", "api", "cpu", "memory",
                                                            "capsules", "labels")]
        assert local == ["local", "reachable", "24.0.7", "1.43", "0.5/4", "536.9 MB/8.6 GB", "1", ""]
        lab = [str(table.get_cell("lab", c)) for c in ("state", "engine", "labels", "url")]
        assert lab == ["unreachable: connection refused", "-", "zone=a", "tcp://10.0.0.9:2376"]
        assert table.row_count == 2
        await pilot.press("r")
        await until(lambda: backend.fact_rounds == 2, pilot, what="a second round")
        assert table.row_count == 2  # updated in place
        await pilot.press("escape")
        assert isinstance(app.screen, CapsuleListScreen)


async def test_colon_commands_go_to_a_view_from_anywhere() -> None:
    from textual.command import CommandPalette

    app = RecordingApp(StubBackend(), poll_seconds=60)
    async with app.run_test(size=SIZE) as pilot:
        screen = await loaded(app, pilot)
        await pilot.press("colon")
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"hosts")
        await until(lambda: hits(app) == [":hosts"], pilot, what="the hit")
        await pilot.press("enter")
        await until(lambda: type(app.screen).__name__ == "HostListScreen", pilot, what="the hosts screen")
        # From the hosts screen straight to the event log: back to the list, then there.
        await pilot.press("ctrl+p", *":events")
        await until(lambda: hits(app) == [":events"], pilot, what="the hit")
        await pilot.press("enter")
        await until(lambda: type(app.screen).__name__ == "EventLogScreen", pilot, what="the event log")
        assert app.screen_stack[-2] is screen
        await pilot.press("ctrl+p", *":capsules")
        await until(lambda: hits(app) == [":capsules"], pilot, what="the hit")
        await pilot.press("enter")
        await until(lambda: app.screen is screen, pilot, what="the list")


async def test_i_opens_the_import_screen_manifest_beside_the_capsules_it_becomes(tmp_path: Path) -> None:
    backend = StubBackend()
    app = RecordingApp(backend, poll_seconds=60)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app, pilot)
        await pilot.press("i")
        await pilot.pause()
        screen = app.screen
        # The create screen, on its path field (issue 13, item 15: one screen, not two).
        assert isinstance(screen, CreateCapsuleScreen) and screen.path_input.has_focus
        sample = deployment_with_an_ignored_field(tmp_path)
        # The Deployment's one replica, named as Kubernetes names a Deployment's pods.
        [replica] = [c.name for c in translate_paths([str(sample)]).capsules]
        assert replica.startswith("web-")
        await pilot.press(*str(sample), "enter")
        validation = screen.query_one("#validation", Static)
        await until(lambda: "✓ valid" in str(validation.render()), pilot, timeout=10, what="the import's report")
        assert "kind: Deployment" in screen.editor.text and screen.editor.has_focus
        assert f"✓ valid: 1 capsule ({replica})" in str(validation.render())
        # Every field with its line: the ignored one with why, the applied ones after it.
        fields = str(screen.query_one("#outcomes", Static).render())
        assert "ignored (1)" in fields and "line 43   spec.revisionHistoryLimit: is ignored" in fields
        assert "line 57   spec.template.spec.containers[0].image" in fields and "applied (" in fields
        preview = str(screen.query_one("#preview", Static).render())
        assert "kind: capsule" in preview and "secretKeyRef" in preview and SECRET_VALUE not in preview
        placement = screen.query_one("#placement", Static)
        await until(lambda: f"{replica} → local" in str(placement.render()), pilot, what="the placement preview")
        assert SECRET_VALUE not in app.export_screenshot()
        await pilot.press("ctrl+s")
        await until(lambda: isinstance(app.screen, CapsuleListScreen), pilot, what="back to the list")
        assert [c.name for c in backend.created[0].capsules] == [replica]
        # `:import` in the palette opens the same screen.
        await pilot.press("colon", *"import")
        await until(lambda: hits(app) == [":import"], pilot, what="the hit")
        await pilot.press("enter")
        await until(lambda: isinstance(app.screen, CreateCapsuleScreen) and app.screen.path_input.has_focus, pilot,
                    what="the import screen")


async def test_import_shows_rejected_fields_with_their_lines_and_creates_nothing() -> None:
    backend = StubBackend()
    app = RecordingApp(backend, poll_seconds=60)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app, pilot)
        await pilot.press("i")
        screen = app.screen
        assert isinstance(screen, CreateCapsuleScreen)
        screen.editor.load_text(POD_WITH_HOST_NETWORK)  # pasted, not loaded from a file
        fields = screen.query_one("#outcomes", Static)
        await until(lambda: "rejected (1)" in str(fields.render()), pilot, what="the rejected field")
        assert "line 6    spec.hostNetwork: is not supported" in str(fields.render())
        assert "<editor>:6:3: error: spec.hostNetwork" in str(screen.query_one("#validation", Static).render())
        await pilot.press("ctrl+s")
        await until(lambda: any("nothing created" in m for _, m in app.notes), pilot, what="the refusal")
        assert backend.created == [] and app.screen is screen


POD_WITH_HOST_NETWORK = """\
apiVersion: v1
kind: Pod
metadata:
  name: hostnet
spec:
  hostNetwork: true
  containers:
    - name: main
      image: busybox:1.36
"""


async def test_the_detail_says_where_and_why_or_that_it_was_placed_elsewhere() -> None:
    app = RecordingApp(StubBackend(), poll_seconds=60)
    async with app.run_test(size=SIZE) as pilot:
        screen = await loaded(app, pilot)
        screen.filter_input.value = "web @local app=web"
        await pilot.pause()
        await pilot.press("enter")
        detail = app.screen
        assert isinstance(detail, CapsuleDetailScreen)
        shown = detail.query_one("#detail-placement", Static)
        await until(lambda: detail.placement is not None, pilot, what="the placement")
        lines = str(shown.render()).splitlines()
        assert lines[0] == "placed on local"
        assert lines[1:] == ["  1/2 hosts available: 1 unreachable", "  spread (least allocated): score 87",
                             "  after placing cpu 0.5/4, memory 536.9 MB/8.6 GB requested"]
        await pilot.press("escape")
        screen.filter_input.value = "redis"
        await pilot.pause()
        await pilot.press("enter")
        detail = app.screen
        assert isinstance(detail, CapsuleDetailScreen) and detail.capsule_name == "redis"
        await until(lambda: detail.placement is not None, pilot, what="the placement")
        assert str(detail.query_one("#detail-placement", Static).render()).startswith(
            "created elsewhere; placed by its creator on host lab")


async def test_help_opens_with_question_mark_and_closes_with_escape() -> None:
    app = RecordingApp(StubBackend(), poll_seconds=60)
    async with app.run_test(size=SIZE) as pilot:
        screen = await loaded(app, pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        shown = app.export_screenshot()
        assert "ctrl+d" in shown and "capsules,&#160;or&#160;the&#160;selected&#160;one" in shown
        await pilot.press("escape")
        assert app.screen is screen


# ------------------------------------------------------------------ hosts: add and remove (stub, real checks)

async def _fill_host_form(pilot, form, *, name: str, url: str, labels: str = "", insecure: bool = False) -> None:
    form.input_for("name").value = name
    form.input_for("url").value = url
    form.input_for("labels").value = labels
    form.insecure.value = insecure
    await pilot.press("ctrl+s")


async def test_the_host_form_shows_what_the_inventory_refuses_then_adds_and_removes(tmp_path: Path) -> None:
    from capsule_tui.screens.confirm_delete import ConfirmScreen
    from capsule_tui.screens.host_form import HostFormScreen

    backend = StubBackend(inventory=tmp_path / "hosts.yaml")
    app = RecordingApp(backend, poll_seconds=60)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app, pilot)
        await pilot.press("h")
        hosts = app.screen
        await until(lambda: hosts.facts is not None, pilot, what="the host facts")
        await pilot.press("a")
        form = app.screen
        assert isinstance(form, HostFormScreen) and form.input_for("name").has_focus
        error = form.query_one("#host-form-error", Static)

        async def refused(text: str) -> str:
            await until(lambda: text in str(error.render()), pilot, what=f"the error {text!r}")
            assert app.screen is form and backend.added_hosts == []
            return str(error.render())

        await _fill_host_form(pilot, form, name="edge", url="tcp://10.0.0.99:2375")
        shown = await refused("plain tcp to 10.0.0.99 is refused")
        assert shown.startswith("✗ host 'edge': ") and "insecure" in shown  # the hint says how to fix it
        await _fill_host_form(pilot, form, name="edge", url="ftp://10.0.0.99")
        await refused("has 'ftp://'; capsule reaches engines over unix:// sockets, ssh:// and tcp://")
        await _fill_host_form(pilot, form, name="Edge_1", url="unix:///run/edge.sock")
        await refused("host name")
        await _fill_host_form(pilot, form, name="local", url="unix:///run/edge.sock")
        await refused("host 'local' is already in the inventory")
        await _fill_host_form(pilot, form, name="edge", url="unix:///run/edge.sock", labels="zone")
        await refused("labels: 'zone' is not KEY=VALUE")
        form.input_for("tls-ca").value = str(tmp_path / "missing-ca.pem")
        await _fill_host_form(pilot, form, name="edge", url="tcp://10.0.0.99:2376")
        await refused("missing-ca.pem' does not exist")
        form.input_for("tls-ca").value = ""
        # Fixed: plain tcp with the insecure switch on, as `--insecure` allows it.
        await _fill_host_form(pilot, form, name="edge", url="tcp://10.0.0.99:2375", labels="zone=b, disk=ssd",
                              insecure=True)
        await until(lambda: app.screen is hosts, pilot, what="the form to close")
        assert [(h.name, h.url, h.labels, h.insecure) for h in backend.added_hosts] == [
            ("edge", "tcp://10.0.0.99:2375", {"zone": "b", "disk": "ssd"}, True)]
        assert "name: edge" in (tmp_path / "hosts.yaml").read_text()  # written by runtime.hosts.inventory
        assert any(s == "warning" and "reached over plain tcp" in m for s, m in app.notes)
        await until(lambda: str(hosts.table.get_cell("edge", "state")) == "reachable", pilot,
                    what="the new host asked")
        assert str(hosts.table.get_cell("edge", "labels")) == "disk=ssd,zone=b"
        assert hosts.current_host() == "edge"
        # Remove it: a confirmation first (n keeps it), then y.
        await pilot.press("ctrl+d")
        assert isinstance(app.screen, ConfirmScreen)
        assert "no capsules run there" in str(app.screen.query_one("#confirm-list", Static).render())
        await pilot.press("n")
        assert app.screen is hosts and backend.removed_hosts == []
        await pilot.press("delete", "y")
        await until(lambda: backend.removed_hosts == ["edge"], pilot, what="the removal")
        await until(lambda: "edge" not in [r.key.value for r in hosts.table.ordered_rows], pilot, what="the row")
        assert any("removed from the inventory" in m for _, m in app.notes)


async def test_removing_a_host_says_which_capsules_still_run_there() -> None:
    from capsule_tui.screens.confirm_delete import ConfirmScreen

    app = RecordingApp(StubBackend(), poll_seconds=60)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app, pilot)
        await pilot.press("h")
        hosts = app.screen
        await until(lambda: hosts.facts is not None, pilot, what="the host facts")
        await pilot.press("ctrl+d")  # on local, where web runs
        assert isinstance(app.screen, ConfirmScreen)
        listed = str(app.screen.query_one("#confirm-list", Static).render())
        assert "1 capsules still run there: web; they keep running" in listed
        assert "containers are not touched" in str(app.screen.query_one("#confirm-note", Static).render())
        await pilot.press("escape")
        assert app.screen is hosts


async def test_at_80_by_24_the_footer_keeps_delete_quit_and_help_and_the_help_fits() -> None:
    """Issue 13, item 8: an 80-column terminal lost Delete, Quit and Help, and the help was cut off."""
    from textual.widgets._footer import FooterKey

    app = RecordingApp(StubBackend(), poll_seconds=60)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(app, pilot)
        for key in ("", "h", "escape", "v", "escape", "c", "escape"):
            if key:
                await pilot.press(key)
                await pilot.pause()
            if key == "v":  # the Services screen's footer is checked, not the list's again
                assert type(app.screen).__name__ == "ServiceListScreen"
            keys = {k.description: k.region for k in app.screen.query(FooterKey)}
            palette = keys.pop("palette", None)
            if not isinstance(app.screen, CreateCapsuleScreen):  # there q and ? are text in the editor
                assert {"Quit", "Help"} <= set(keys), (type(app.screen).__name__, keys)
            assert all(region.right <= 80 for region in keys.values()), (type(app.screen).__name__, keys)
            if palette is not None:  # drawn at the right edge: nothing may be under it
                assert all(region.right <= palette.x for region in keys.values()), keys
            if isinstance(app.screen, CapsuleListScreen):
                assert "Delete" in keys
        await pilot.press("question_mark")
        await pilot.pause()
        assert app.screen.query_one("#help-body").region.right <= 80
