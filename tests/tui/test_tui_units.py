"""The terminal UI's pure parts: filter language, sort order, cell text, host line,
secret masking, path completion and the create screen's report. No terminal needed."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from capsule_tui.backend import LOADING, REACHABLE, UNREACHABLE, HostState
from capsule_tui.formatters.capsule_rows import SortOrder, arrange, format_age, parse_filter, row_cells
from capsule_tui.formatters.host_line import host_line
from capsule_tui.formatters.translation_report import report_text, validate
from capsule_tui.screens.spec_yaml import masked_spec
from capsule_tui.view_memory import ListMemory, load, save
from capsule_tui.widgets.path_suggester import PathSuggester
from support.tui_fakes import sample_views, view


def shown(text: str, order: SortOrder = SortOrder()) -> list[str]:
    return [v.name for v in arrange(sample_views(), parse_filter(text), order)]


@pytest.mark.parametrize("text, expected", [
    ("", ["batch", "broken", "redis", "starting", "web", "web-sidecar"]),
    ("WEB", ["web", "web-sidecar"]),  # names match case-insensitively
    ("app=web", ["broken", "web"]),  # label values match exactly
    ("app=*", ["broken", "redis", "web", "web-sidecar"]),
    ("tier=", []),
    ("@lab", ["redis", "starting"]),
    ("@lab @local", ["batch", "broken", "redis", "starting", "web", "web-sidecar"]),  # either host
    ("web @lab", []),
    ("web app=web tier=frontend @local", ["web"]),
    ("@ =x", ["batch", "broken", "redis", "starting", "web", "web-sidecar"]),  # empty terms are ignored
])
def test_filter_terms(text: str, expected: list[str]) -> None:
    assert shown(text) == expected


def test_the_empty_filter_is_falsy_and_keeps_its_text() -> None:
    assert not parse_filter("  ") and parse_filter("x").text == "x"


def test_sort_orders() -> None:
    assert shown("", SortOrder("ip")) == ["redis", "web", "web-sidecar", "broken", "batch", "starting"]  # no IP last
    assert shown("", SortOrder("age"))[:2] == ["starting", "batch"]
    assert shown("", SortOrder("ready"))[:2] == ["batch", "starting"]  # 0/1 and 0/3 before 1/2
    assert shown("", SortOrder("restarts", reverse=True))[0] == "broken"
    assert SortOrder("name").clicked("name") == SortOrder("name", True)
    assert SortOrder("name", True).clicked("host") == SortOrder("host", False)
    assert SortOrder("labels").next_column() == SortOrder("name")  # wraps around, skips the mark column


@pytest.mark.parametrize("seconds, text", [(0, "0s"), (119, "119s"), (120, "2m"), (7199, "119m"), (7200, "2h"),
                                           (48 * 3600 - 1, "47h"), (48 * 3600, "2d"), (-5, "0s")])
def test_ages_read_like_kubectl(seconds: float, text: str) -> None:
    assert format_age(seconds) == text


def test_row_cells_mark_and_missing_ip() -> None:
    cells = row_cells(view("x", ip=None, labels={"b": "2", "a": "1"}), marked=True)
    assert (cells["mark"], cells["ip"], cells["labels"]) == ("●", "-", "a=1,b=2")


def test_host_line_says_each_state_and_why() -> None:
    line = host_line([HostState("a", REACHABLE), HostState("b", UNREACHABLE, "connection refused"),
                      HostState("c", LOADING)]).plain
    assert line == "hosts: ● a reachable   ✗ b unreachable: connection refused   ◌ c loading…"
    assert host_line([]).plain == "hosts: none configured"


def test_masked_spec_hides_values_beside_secret_references() -> None:
    spec = {"spec": {"containers": [{"env": [
        {"name": "A", "value": "plain"},
        {"name": "B", "value": "leaked", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}},
    ]}], "volumes": [{"name": "v", "secret": {"secretName": "s", "data": {"k": "leaked"}}}]}}
    masked = masked_spec(spec)
    assert "leaked" not in repr(masked) and "plain" in repr(masked)
    assert masked["spec"]["volumes"][0]["secret"]["secretName"] == "s"
    assert "leaked" in repr(spec)  # the input is not changed


async def test_path_completion(tmp_path: Path) -> None:
    (tmp_path / "pods").mkdir()
    (tmp_path / "pod.yaml").write_text("")
    (tmp_path / "notes.txt").write_text("")
    suggester = PathSuggester()
    assert await suggester.get_suggestion(str(tmp_path / "pod")) == str(tmp_path / "pod.yaml")
    assert await suggester.get_suggestion(str(tmp_path / "pods")) is None  # already complete
    assert await suggester.get_suggestion(str(tmp_path / "pods")[:-1] + "ds") is None
    assert await suggester.get_suggestion(str(tmp_path / "no")) is None  # .txt is not offered
    assert await suggester.get_suggestion(str(tmp_path / "missing" / "x")) is None
    (tmp_path / "pod.yaml").unlink()
    assert await suggester.get_suggestion(str(tmp_path / "po")) == str(tmp_path / "pods") + "/"


def test_validation_report_names_lines_and_counts() -> None:
    empty = validate("  \n", "<editor>")
    assert empty.translation is None and "Type or paste" in report_text(empty).plain
    broken = validate("kind: capsule\nmetadata: [\n", "x.yaml")
    assert broken.translation is None and "x.yaml:3:1: error: is not valid YAML" in report_text(broken).plain
    good = validate("apiVersion: beta\nkind: capsule\nmetadata:\n  name: a\nspec:\n  containers:\n"
                    "    - name: m\n      image: busybox:1.36\n      colour: red\n", "g.yaml")
    text = report_text(good).plain
    assert good.ok and "✓ valid: 1 capsule (a)" in text
    assert "g.yaml:9:7: warning: spec.containers[0].colour" in text and "1 ignored" in text
    assert good.yaml.startswith("apiVersion: beta\nkind: capsule\nmetadata:\n  name: a\n")


def test_validation_report_counts_the_services_and_previews_them() -> None:
    text = ("apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: shop, labels: {app: a}}\n"
            "spec: {containers: [{name: m, image: busybox:1.36}]}\n---\n"
            "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: shop}\n"
            "spec: {selector: {app: a}, ports: [{port: 80}]}\n---\n"
            "apiVersion: v1\nkind: Service\nmetadata: {name: db, namespace: shop}\n"
            "spec: {clusterIP: None, selector: {app: a}}\n")
    result = validate(text, "app.yaml")
    assert result.ok and "✓ valid: 1 capsule (a), 2 services (shop/web, shop/db)" in report_text(result).plain
    assert [d["kind"] for d in yaml.safe_load_all(result.yaml)] == ["capsule", "service", "service"]


def test_view_memory_round_trip_and_bad_files(tmp_path: Path) -> None:
    path = tmp_path / "deeper" / "tui.json"
    assert load(path) == ListMemory()  # none yet
    assert save(ListMemory("app=web @h1", "age", True), path)
    assert load(path) == ListMemory("app=web @h1", "age", True)
    for junk in ("not json", "[1, 2]", '{"filter": 3, "sort": "shoe size", "reverse": "yes"}'):
        path.write_text(junk)
        assert load(path) == ListMemory()
    blocked = tmp_path / "file"
    blocked.write_text("")
    assert save(ListMemory(), blocked / "tui.json") is False  # a file where the folder should be


def test_details_list_init_containers_in_the_order_they_run_and_say_what_a_volume_is():
    """Issue 13, item 11: init containers were alphabetical; a named volume read 'html: driver';
    a long event kind ran into its message."""
    from capsule_tui.formatters.detail_text import events_text, volumes_text
    from runtime.state.records import ContainerRecord, EventRecord, record_from_spec
    from runtime.views import detail_of

    spec = {"metadata": {"name": "web"}, "spec": {
        "initContainers": [{"name": "zz-migrate", "image": "b"}, {"name": "aa-wait", "image": "b"}],
        "containers": [{"name": "web", "image": "b"}, {"name": "api", "image": "b"}],
        "volumes": [{"name": "html", "driver": "local", "driverOptions": {}, "size": None},
                    {"name": "cache", "emptyDir": {"medium": "Memory"}}]}}
    record = record_from_spec(spec, uuid="u1", host="local", status="Running")
    record.containers = [ContainerRecord(f"id-{n}", "u1", f"web.{n}", role, n, "b", "exited")
                         for role, n in (("init", "aa-wait"), ("member", "web"), ("init", "zz-migrate"),
                                         ("member", "api"), ("sandbox", ""))]
    detail = detail_of(record, [])
    assert [(m.role, m.name) for m in detail.members] == [
        ("sandbox", "(sandbox)"), ("init", "zz-migrate"), ("init", "aa-wait"), ("member", "web"), ("member", "api")]
    assert str(volumes_text(detail)).splitlines() == ["html: volume (driver local)", "cache: emptyDir (memory)"]
    long_kind = EventRecord(1, 1_700_000_000.0, "web", "u1", "local", "restart_policy_gave_up", "stopped trying")
    detail.events = [long_kind]
    assert "restart_policy_gave_up  stopped trying" in str(events_text(detail))


def test_list_shows_the_display_status_coloured_and_the_details_add_the_phase_and_reason():
    """Issue 13, item 5: a crash loop read Starting or Running by turns; the why was only in details."""
    from capsule_tui.formatters.detail_text import summary
    from runtime.state.records import ContainerRecord, record_from_spec
    from runtime.views import detail_of

    spec = {"metadata": {"name": "web"}, "spec": {"restartPolicy": "Always",
                                                    "containers": [{"name": "web", "image": "b"}]}}
    record = record_from_spec(spec, uuid="u1", host="local", status="Starting",
                              reason="member web is restarting (3 restarts)")
    record.containers = [ContainerRecord("id-s", "u1", "web", "sandbox", "", "pause", "running"),
                         ContainerRecord("id-w", "u1", "web.web", "member", "web", "b", "restarting", 3, 1)]
    detail = detail_of(record, [])
    assert (detail.view.status, detail.view.display) == ("Starting", "CrashLoopBackOff")
    status = row_cells(detail.view)["status"]
    assert (str(status), status.style) == ("CrashLoopBackOff", "bold red")
    assert "web  CrashLoopBackOff (Starting)  member web is restarting (3 restarts)" in str(summary(detail))
    assert str(row_cells(view("x", status="Finished"))["status"]) == "Finished"  # no display: the phase
