"""The Services screen (`v`) and a capsule's Services in its details (stub backend), and the
pure rows behind them (formatters/service_rows.py)."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from capsule_tui.formatters.capsule_rows import parse_filter
from capsule_tui.formatters.service_rows import arrange, backend_rows, selects
from capsule_tui.screens.capsule_detail import CapsuleDetailScreen
from capsule_tui.screens.capsule_list import CapsuleListScreen
from capsule_tui.screens.confirm_delete import ConfirmScreen
from capsule_tui.screens.service_list import ServiceListScreen
from runtime.views import ServiceView
from support.tui_fakes import StubBackend, sample_services, service
from support.tui_pilot import SIZE, RecordingApp, hits, loaded, until


def rows(screen: ServiceListScreen, *columns: str) -> list[list[str]]:
    table = screen.table
    return [[str(table.get_cell(row.key, c)) for c in columns] for row in table.ordered_rows]


def backends_shown(screen: ServiceListScreen) -> list[list[str]]:
    table = screen.backends
    return [[str(table.get_cell(row.key, c)) for c in ("capsule", "address", "port")] for row in table.ordered_rows]


async def services_screen(app: RecordingApp, pilot) -> ServiceListScreen:  # type: ignore[no-untyped-def]
    await loaded(app, pilot)
    await pilot.press("v")
    screen = app.screen
    assert isinstance(screen, ServiceListScreen)
    await until(lambda: screen.views is not None, pilot, what="the Services")
    return screen


# ------------------------------------------------------------------ the rows, pure


def test_the_filter_reads_namespace_and_name_the_selector_and_the_host() -> None:
    views = sample_services()
    assert [v.name for v in arrange(views, parse_filter(""))] == ["db", "web", "api"]  # by namespace, then name
    assert [v.name for v in arrange(views, parse_filter("shop/"))] == ["db", "web"]
    assert [v.name for v in arrange(views, parse_filter("app=api"))] == ["api"]
    assert [v.name for v in arrange(views, parse_filter("app=*  @local"))] == ["db", "web"]
    assert [v.name for v in arrange(views, parse_filter("tier=x"))] == []


def test_backends_split_into_capsule_address_and_port_and_a_bare_address_stays_whole() -> None:
    view = ServiceView("s", "ns", "ClusterIP", "80->8080/TCP", "local", "10.0.0.9",
                       ["web-a 10.89.0.2:8080", "10.89.0.9:8080", "odd\x1bname 10.89.0.3:http"], 2, 3)
    assert backend_rows(view) == [("web-a", "10.89.0.2", "8080"), ("-", "10.89.0.9", "8080"),
                                  ("odd\\x1bname", "10.89.0.3", "http")]


def test_a_service_selects_a_capsule_of_its_own_namespace_by_every_selector_pair() -> None:
    web = service("web", "shop", "ClusterIP", "", "local", None, [], 0, 0, selector={"app": "web", "tier": "a"})
    assert selects(web, "shop", {"app": "web", "tier": "a", "more": "x"})
    assert not selects(web, "shop", {"app": "web"})
    assert not selects(web, "other", {"app": "web", "tier": "a"})
    assert not selects(web, None, {"app": "web", "tier": "a"})
    nothing = service("none", "shop", "ClusterIP", "", "local", None, [], 0, 0, selector={})
    assert not selects(nothing, "shop", {"app": "web"})  # an empty selector selects nothing


# ------------------------------------------------------------------ the screen


async def test_v_lists_every_service_with_its_ports_address_and_backends_ready_of_total() -> None:
    backend = StubBackend()
    app = RecordingApp(backend, poll_seconds=60)
    async with app.run_test(size=SIZE) as pilot:
        screen = await services_screen(app, pilot)
        assert rows(screen, "name", "namespace", "type", "ports", "host", "address", "backends") == [
            ["db", "shop", "ClusterIP (headless)", "5432->5432/TCP", "local", "-", "1/2"],
            ["web", "shop", "ClusterIP", "80->8080/TCP", "local", "10.89.0.5", "2/2"],
            ["api", "tools", "LoadBalancer", "7070->http-api/TCP", "lab", "10.90.0.2", "0/1"],
        ]
        assert backend.service_rounds == [None]  # every namespace, in one round
        styles = [screen.table.get_cell(row.key, "backends").style for row in screen.table.ordered_rows]
        assert styles == ["yellow", "green", "bold red"]
        assert str(screen.query_one("#services-summary", Static).render()).startswith("3 services")
        assert not screen.query_one("#services-problems", Static).display
        # Asked again in place: a Service's backends move, the cursor stays on its row.
        await pilot.press("down")
        backend.service_views[0].ready = 1
        await pilot.press("r")
        await until(lambda: len(backend.service_rounds) == 2, pilot, what="a second round")
        await until(lambda: rows(screen, "backends")[1] == ["1/2"], pilot, what="the new count")
        assert screen.current_view().name == "web"
        await pilot.press("escape")
        assert isinstance(app.screen, CapsuleListScreen)
        # `:services` in the palette goes there too.
        await pilot.press("colon", *"services")
        await until(lambda: hits(app) == [":services"], pilot, what="the hit")
        await pilot.press("enter")
        await until(lambda: isinstance(app.screen, ServiceListScreen), pilot, what="the Services screen")


async def test_slash_filters_and_escape_clears_the_filter_before_going_back() -> None:
    app = RecordingApp(StubBackend(), poll_seconds=60)
    async with app.run_test(size=SIZE) as pilot:
        screen = await services_screen(app, pilot)
        await pilot.press("slash", *"app=web", "enter")
        assert rows(screen, "name") == [["web"]] and screen.table.has_focus
        assert "1 of 3 services · filter: app=web" in str(screen.query_one("#services-summary", Static).render())
        await pilot.press("slash", "ctrl+u", *"[b]x", "enter")  # no markup, no error: text
        assert rows(screen, "name") == []
        assert "0 of 3 services · filter: [b]x" in str(screen.query_one("#services-summary", Static).render())
        await pilot.press("slash", "ctrl+u", *"@lab", "enter")  # ctrl+u: the field's text goes
        assert rows(screen, "name") == [["api"]]
        await pilot.press("escape")
        assert app.screen is screen and len(rows(screen, "name")) == 3 and not screen.filter_input.display
        await pilot.press("escape")
        assert isinstance(app.screen, CapsuleListScreen)


async def test_enter_shows_the_backends_of_the_selected_service_and_follows_the_cursor() -> None:
    app = RecordingApp(StubBackend(), poll_seconds=60)
    async with app.run_test(size=SIZE) as pilot:
        screen = await services_screen(app, pilot)
        pane = screen.query_one("#service-backends-pane")
        assert not pane.display
        await pilot.press("down", "enter")  # web
        assert pane.display
        assert backends_shown(screen) == [["web", "10.89.0.2", "8080"], ["web-sidecar", "10.89.0.3", "8080"]]
        caption = str(screen.query_one("#service-backends-caption", Static).render())
        assert caption == "shop/web on local: 2/2 capsules serving (selector app=web)"
        await pilot.press("down")  # api: nobody serves it
        assert backends_shown(screen) == []
        caption = str(screen.query_one("#service-backends-caption", Static).render())
        assert caption.endswith("(selector app=api); no capsule serves it now")
        await pilot.press("up", "up")  # db, headless
        assert backends_shown(screen) == [["db-0", "10.89.0.7", "5432"]]
        assert "headless" in str(screen.query_one("#service-backends-caption", Static).render())
        await pilot.press("escape")  # the pane first
        assert app.screen is screen and not pane.display
        await pilot.press("escape")
        assert isinstance(app.screen, CapsuleListScreen)


async def test_d_deletes_the_selected_service_after_confirming() -> None:
    backend = StubBackend()
    app = RecordingApp(backend, poll_seconds=60)
    async with app.run_test(size=SIZE) as pilot:
        screen = await services_screen(app, pilot)
        await pilot.press("down", "d")  # web
        dialog = app.screen
        assert isinstance(dialog, ConfirmScreen)
        assert str(dialog.query_one("#confirm-question").render()) == "Delete service web in namespace shop?"
        listed = str(dialog.query_one("#confirm-list", Static).render())
        assert "web  in namespace shop  on local  (ClusterIP, 80->8080/TCP; 2/2 serving)" in listed
        assert "capsules it selects keep running" in str(dialog.query_one("#confirm-note", Static).render())
        await pilot.press("n")
        assert app.screen is screen and backend.deleted_services == []
        await pilot.press("d", "y")
        await until(lambda: backend.deleted_services == [[("shop", "web")]], pilot, what="the delete call")
        await until(lambda: rows(screen, "name") == [["db"], ["api"]], pilot, what="the row to go")
        assert ("information", "deleted service web in namespace shop from local") in app.notes
        # A Service that is gone by the time the delete runs: said, as an error.
        backend.service_views = [v for v in backend.service_views if v.name != "api"]
        await pilot.press("down", "ctrl+d", "y")
        await until(lambda: any(s == "error" and "no service api in namespace tools" in m for s, m in app.notes),
                    pilot, what="the error")


async def test_a_host_that_could_not_be_asked_shows_above_the_table_and_is_said_once() -> None:
    backend = StubBackend()
    backend.service_problems = ["host lab: connection refused"]
    backend.service_views = [v for v in backend.service_views if v.host != "lab"]
    app = RecordingApp(backend, poll_seconds=60)
    async with app.run_test(size=SIZE) as pilot:
        screen = await services_screen(app, pilot)
        problems = screen.query_one("#services-problems", Static)
        assert problems.display
        line = problems.content
        assert isinstance(line, Text) and line.plain == "✗ could not be asked: host lab: connection refused"
        assert line.spans[0].style == "bold red"  # as the hosts screen says a host is unreachable
        assert rows(screen, "name") == [["db"], ["web"]]  # the others are still listed
        await pilot.press("r")
        await until(lambda: len(backend.service_rounds) == 2, pilot, what="a second round")
        await pilot.pause()
        assert [m for _, m in app.notes if "could not be asked" in m] == [
            "could not be asked: host lab: connection refused"]
        backend.service_problems = []
        await pilot.press("r")
        await until(lambda: not problems.display, pilot, what="the problem to go")


async def test_a_capsule_of_an_application_shows_its_namespace_workload_and_services() -> None:
    backend = StubBackend()
    backend.service_views.append(service("other", "shop", "ClusterIP", "1->1/TCP", "local", None, [], 0, 0,
                                         selector={"app": "other"}))
    app = RecordingApp(backend, poll_seconds=60)
    async with app.run_test(size=SIZE) as pilot:
        screen = await loaded(app, pilot)
        await pilot.press("slash", *"web @local", "enter")
        await until(lambda: screen.current_view() is not None and screen.current_view().name == "web", pilot,
                    what="web")
        await pilot.press("enter")
        detail = app.screen
        assert isinstance(detail, CapsuleDetailScreen)
        await until(lambda: detail.detail is not None, pilot, what="the detail")
        summary = str(detail.query_one("#detail-summary", Static).render())
        assert "\nnamespace:      shop\nworkload:       Deployment/web\nhost:" in summary
        services = str(detail.query_one("#detail-services", Static).render())
        assert services == "web  ClusterIP  80->8080/TCP  10.89.0.5  2/2 serving  on local"  # not db, nor other
        assert backend.service_rounds == ["shop"]  # only its namespace is asked
        # A capsule of no namespace: said so, and no host is asked for Services.
        await pilot.press("escape", "escape", "slash", *"broken", "enter", "enter")
        detail = app.screen
        assert isinstance(detail, CapsuleDetailScreen) and detail.capsule_name == "broken"
        await until(lambda: detail.detail is not None, pilot, what="the detail")
        assert "namespace:" not in str(detail.query_one("#detail-summary", Static).render())
        assert str(detail.query_one("#detail-services", Static).render()).startswith("none: the capsule belongs "
                                                                                      "to no namespace")
        assert backend.service_rounds == ["shop"]


async def test_a_capsule_no_service_selects_says_so_and_a_host_error_shows_there_too() -> None:
    backend = StubBackend()
    broken = next(v for v in backend.views if v.name == "broken")
    broken.namespace, broken.workload = "shop", "Deployment/broken"
    backend.service_problems = ["host lab: connection refused"]
    app = RecordingApp(backend, poll_seconds=60)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app, pilot)
        # broken carries app=web, which Service web selects: without web, no Service of shop selects it.
        backend.service_views = [v for v in backend.service_views if v.name != "web"]
        await pilot.press("slash", *"broken", "enter", "enter")
        detail = app.screen
        assert isinstance(detail, CapsuleDetailScreen)
        await until(lambda: detail.detail is not None, pilot, what="the detail")
        services = str(detail.query_one("#detail-services", Static).render())
        assert services == ("none in namespace shop selects this capsule\n"
                            "could not be asked: host lab: connection refused")
