"""Pure parts behind the runtime commands: selectors, views, table and age formatting."""

from __future__ import annotations

import io
import time

import pytest

from capsule_tui.commands.output import age, table
from runtime.errors import SelectorError
from runtime.selectors import parse_selector
from runtime.state.records import ContainerRecord, record_from_spec
from runtime.views import detail_of, format_port, view_of


@pytest.mark.parametrize(
    ("text", "labels", "expected"),
    [
        ("app=web", {"app": "web"}, True),
        ("app==web", {"app": "web"}, True),
        ("app=web", {"app": "db"}, False),
        ("app!=web", {"app": "db"}, True),
        ("app!=web", {}, True),
        ("app", {"app": "x"}, True),
        ("!app", {"app": "x"}, False),
        ("app=web,tier=front", {"app": "web", "tier": "back"}, False),
        ("example.com/team=a", {"example.com/team": "a"}, True),
    ],
)
def test_selector_matching(text, labels, expected):
    assert parse_selector(text).matches(labels) is expected


def test_several_selector_options_all_apply():
    selector = parse_selector(["app=web", "tier=front"])
    assert selector.matches({"app": "web", "tier": "front"})
    assert not selector.matches({"app": "web"})
    assert not parse_selector(None)


@pytest.mark.parametrize("bad", ["bad key=x", "=x", "a=b=c", "a!=b,c d"])
def test_unreadable_selector_says_the_accepted_forms(bad):
    with pytest.raises(SelectorError, match="key=value"):
        parse_selector(bad)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(5, "5s"), (119, "119s"), (125, "2m5s"), (700, "11m"), (3 * 3600 + 120, "3h2m"), (20 * 3600, "20h"),
     (3 * 86400 + 3600, "3d1h"), (30 * 86400, "30d")],
)
def test_age_like_kubectl(seconds, text):
    assert age(seconds) == text


def test_table_pads_columns_and_marks_empty_cells():
    out = io.StringIO()
    table(("NAME", "IP"), [("web", None), ("a-longer-name", "10.0.0.1")], out)
    assert out.getvalue().splitlines() == [
        "NAME            IP",
        "web             <none>",
        "a-longer-name   10.0.0.1",
    ]


def doc() -> dict:
    return {
        "metadata": {"name": "web", "labels": {"app": "web"}},
        "spec": {
            "restartPolicy": "Never",
            "containers": [
                {"name": "app", "image": "busybox:1.36", "ports": [{"containerPort": 80, "hostPort": 8080}],
                 "env": [{"name": "MODE", "value": "prod"},
                         {"name": "PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}},
                         {"name": "IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
                         {"name": "MEM", "valueFrom": {"resourceFieldRef": {"resource": "limits.memory",
                                                                            "divisor": "1Mi"}}}]},
                {"name": "side", "image": "busybox:latest"},
            ],
            "volumes": [{"name": "conf", "configMap": {"name": "c", "files": {"a.conf": "x" * 1000}}}],
        },
    }


def test_views_show_facts_and_secret_references_only():
    record = record_from_spec(doc(), uuid="u1", host="local", status="Running")
    record.created_at = time.time() - 30
    record.containers = [ContainerRecord("id-app-123456789", "u1", "web.app", "member", "app", "busybox:1.36",
                                         "running")]
    view = view_of(record)
    assert view.ready == "0/2" and 29 <= view.age_seconds <= 40
    assert view.ports == ["8080->80/TCP (app)"] and view.images == ["busybox:1.36", "busybox:latest"]
    detail = detail_of(record, [])
    assert detail.env["app"] == ["MODE=prod", "PASSWORD=<secret db/password>", "IP=<status.podIP>",
                                 "MEM=<limits.memory / 1Mi>"]
    assert [(m.name, m.state) for m in detail.members] == [("app", "running"), ("side", "absent")]
    # ConfigMap contents are not secret, but a record keeps file names only.
    assert detail.volumes == [{"name": "conf", "configMap": {"name": "c", "files": ["a.conf"]}}]
    assert detail.to_dict()["created"].endswith("+00:00")


def test_format_port_without_host_port():
    assert format_port({"containerPort": 53, "protocol": "UDP"}) == "53/UDP"

