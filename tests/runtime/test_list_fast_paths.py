"""The cheaper paths `capsule list` and the terminal UI take must give the same answers.

- the store reads every row's containers in one query: the same containers, in the
  same order, as one query per row;
- reconcile hands back the host's rows as the store now has them, so that a list
  does not read the store twice;
- `CapsuleService.list` asks a host it is not connected to with a short-lived client
  that skips the version round trip, and falls back to agreeing on a version when
  the host refuses the one it spoke;
- reconciling in the store thread (the terminal UI) changes the store as on the loop;
- `capsule list` registers only its own command's options, with the same help.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import asdict

import httpx
import pytest

from capsule_tui import cli
from runtime.context import LOOK_API_VERSION
from runtime.engine.client import MIN_API_VERSION, EngineClient
from runtime.hosts import connect as connect_module
from runtime.hosts.settings import HostSettings
from runtime.labels import LABEL_MANAGED_BY, LABEL_NAME, LABEL_ROLE, LABEL_SPEC, LABEL_UUID
from runtime.observe.observed import ObservedCapsule, ObservedContainer, group_by_capsule
from runtime.observe.status import RUNNING, UNKNOWN
from runtime.service import CapsuleService
from runtime.state.reconcile import reconcile_host
from runtime.state.records import record_from_spec
from runtime.state.store import Store
from runtime.views import CapsuleView
from support.fake_engine import FakeEngine, capsule_sandbox


def spec(name: str) -> dict:
    return {"apiVersion": "beta", "kind": "capsule", "metadata": {"name": name, "labels": {"app": name}},
            "spec": {"containers": [{"name": "web", "image": "busybox:1.36"},
                                    {"name": "side", "image": "busybox:1.36"}]}}


def observed(name: str, uuid: str, host: str = "local", *, web_state: str = "running") -> ObservedCapsule:
    labels = {LABEL_MANAGED_BY: "capsule", LABEL_NAME: name, LABEL_UUID: uuid, LABEL_SPEC: json.dumps(spec(name))}
    containers = [
        ObservedContainer(f"{uuid}-side", f"{name}.side", "member", "side", "busybox:1.36", "running",
                          exit_code=0, labels={**labels, LABEL_ROLE: "member"}),
        ObservedContainer(f"{uuid}-sb", name, "sandbox", "", "registry.k8s.io/pause:3.10", "running",
                          exit_code=0, started_at="2024-05-01T10:00:00Z", labels={**labels, LABEL_ROLE: "sandbox"}),
        ObservedContainer(f"{uuid}-web", f"{name}.web", "member", "web", "busybox:1.36", web_state,
                          exit_code=0, labels={**labels, LABEL_ROLE: "member"}),
    ]
    [capsule] = group_by_capsule(host, containers)
    capsule.ip = "172.17.0.9"
    return capsule


@pytest.fixture
def store(tmp_path):
    with Store.open(tmp_path / "state.db") as opened:
        yield opened


def test_rows_come_with_the_same_containers_as_one_query_per_row(store) -> None:
    reconcile_host(store, "h1", [observed("b", "u-b", "h1"), observed("a", "u-a", "h1")], True)
    reconcile_host(store, "h2", [observed("a", "u-a2", "h2")], True)
    for host in ("h1", "h2", None):
        rows = store.capsules(host)
        assert rows, host
        for row in rows:
            assert row.containers == store.containers(row.uuid)
            assert [c.role for c in row.containers] == ["sandbox", "member", "member"]
    assert [(r.name, r.host) for r in store.capsules()] == [("a", "h1"), ("a", "h2"), ("b", "h1")]


def test_reconcile_hands_back_the_hosts_rows_as_stored(store) -> None:
    first = reconcile_host(store, "h1", [observed("b", "u-b", "h1"), observed("a", "u-a", "h1")], True)
    assert [asdict(r) for r in first.records] == [asdict(r) for r in store.capsules("h1")]
    # A change, a capsule gone, a new one, and a failed create that stays.
    failed = record_from_spec(spec("z"), uuid="u-z", host="h1", status="Failed")
    failed.create_failed = True
    store.save(failed)
    changed = reconcile_host(store, "h1", [observed("a", "u-a", "h1", web_state="exited"), observed("c", "u-c", "h1")],
                              True)
    assert changed.removed == ["b"] and changed.added == ["c"]
    assert [asdict(r) for r in changed.records] == [asdict(r) for r in store.capsules("h1")]
    assert [r.name for r in changed.records] == ["a", "c", "z"]
    down = reconcile_host(store, "h1", [], False, host_error="connection refused")
    assert {r.status for r in down.records if not r.create_failed} == {UNKNOWN}
    assert [asdict(r) for r in down.records] == [asdict(r) for r in store.capsules("h1")]


def test_an_unchanged_host_rewrites_nothing(store) -> None:
    reconcile_host(store, "h1", [observed("a", "u-a", "h1")], True)
    writes: list[str] = []
    store.trace(lambda sql: writes.append(sql) if sql.split()[0] in ("INSERT", "UPDATE",
                                                                                       "DELETE") else None)
    again = reconcile_host(store, "h1", [observed("a", "u-a", "h1")], True)
    store.trace(None)
    assert writes == [] and again.events == []
    assert again.records[0].status == RUNNING


def test_a_view_as_a_dict_is_every_field_with_iso_times() -> None:
    view = CapsuleView("a", "h1", "Running", "", "2/2", 1, "172.17.0.9", 12.5, "u-a", labels={"app": "a"},
                       ports=["8080->80/TCP (web)"], images=["busybox:1.36"], created_at=0.0, started_at=60.0)
    expected = asdict(view)
    del expected["created_at"], expected["started_at"]
    expected.update(created="1970-01-01T00:00:00+00:00", started="1970-01-01T00:01:00+00:00")
    assert view.to_dict() == expected
    assert list(view.to_dict()) == list(expected)
    assert view.to_dict()["labels"] is not view.labels  # a copy, as asdict made


def test_the_look_version_is_the_oldest_one_capsule_speaks() -> None:
    # runtime.service keeps its own copy so as not to import the engine client (httpx) at start.
    assert LOOK_API_VERSION == MIN_API_VERSION


class PickyEngine(FakeEngine):
    """A newer engine that refuses the old API version `list` looks with (as Docker does)."""

    def _route(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/v1.41/"):
            body = {"message": "client version 1.41 is too old. Minimum supported API version is 1.44, "
                               "please upgrade your client to a newer version"}
            return httpx.Response(400, json=body, request=request)
        return super()._route(request)


def connect_through(engine):  # type: ignore[no-untyped-def]
    """A `connect_engine` stand-in whose clients reach `engine` (an in-process fake)."""

    async def connect(settings: HostSettings, *, api_version=None, read_timeout=None,  # type: ignore[no-untyped-def]
                      ssh_keep=None) -> EngineClient:
        return await EngineClient.connect(settings.url, name=settings.name, transport=engine,
                                          api_version=api_version)

    return connect


@pytest.mark.parametrize("engine_class", [FakeEngine, PickyEngine])
def test_list_looks_with_a_short_lived_client_and_agrees_on_a_version_when_refused(
        tmp_path, monkeypatch, engine_class) -> None:  # type: ignore[no-untyped-def]
    engine = engine_class(version="26.1.0", api_version="1.45", containers=[capsule_sandbox("web", spec("web"))])
    host = HostSettings("h1", "tcp://127.0.0.1:23750")

    # `list` takes the short way only with the standard connect (not with a test's factory).
    monkeypatch.setattr(connect_module, "connect_engine", connect_through(engine))

    async def scenario() -> None:
        async with CapsuleService([host], store=Store.open(tmp_path / "state.db")) as service:
            views = await service.list()
            assert [(v.name, v.host) for v in views] == [("web", "h1")]
            assert [r.name for r in service.ctx.store.capsules()] == ["web"]  # reconciled
            if engine_class is FakeEngine:
                assert "GET /version" not in engine.requests  # one round trip less
                assert engine.requests[0].startswith("GET /v1.41/containers/json")
                assert not service.ctx.pool.is_connected("h1")  # nothing kept: the short-lived client is closed
            else:
                assert "GET /version" in engine.requests  # refused: agreed on a version, then asked
                assert engine.requests[-1].startswith("GET /v1.45/")

    asyncio.run(scenario())


def test_a_host_that_cannot_be_reached_is_unknown_with_the_short_lived_client(tmp_path, monkeypatch) -> None:
    engine = FakeEngine(behaviour="refuse")
    host = HostSettings("h1", "tcp://127.0.0.1:23750")

    monkeypatch.setattr(connect_module, "connect_engine", connect_through(engine))

    async def scenario() -> None:
        store = Store.open(tmp_path / "state.db")
        reconcile_host(store, "h1", [observed("a", "u-a", "h1")], True)
        async with CapsuleService([host], store=store) as service:
            [view] = await service.list()
            assert view.status == UNKNOWN and "connection refused" in view.reason.lower()

    asyncio.run(scenario())


def test_reconciling_in_the_store_thread_changes_the_store_as_on_the_loop(tmp_path) -> None:
    engines = {"h1": FakeEngine(containers=[capsule_sandbox("a", spec("a")), capsule_sandbox("b", spec("b"))])}
    hosts = [HostSettings("h1", "tcp://127.0.0.1:23750")]

    async def connect(settings: HostSettings) -> EngineClient:
        return await EngineClient.connect(settings.url, name=settings.name, transport=engines[settings.name])

    async def refresh(path, off_loop: bool):  # type: ignore[no-untyped-def]
        published = []
        async with CapsuleService(hosts, store=Store.open(path), engine_factory=connect) as service:
            if off_loop:
                service.reconcile_off_loop()
            service.ctx.notifier.publish = published.extend  # type: ignore[method-assign]
            views = await service.refresh()
            records = [(r.name, r.status, r.ready, r.total) for v in views for r in v.records]
            stored = [(r.name, r.status, r.ready, r.total) for r in service.ctx.store.capsules()]
            assert records == stored
            return records, [(e.kind, e.capsule) for e in published]

    on_loop = asyncio.run(refresh(tmp_path / "loop.db", False))
    in_thread = asyncio.run(refresh(tmp_path / "thread.db", True))
    assert on_loop == in_thread
    assert [kind for kind, _ in in_thread[1]] == ["created", "created"]


def test_list_parses_with_its_own_part_of_the_parser_and_the_same_help(capsys) -> None:
    only = cli._parser_for(["list", "-o", "json"])
    commands = next(a for a in only._actions if a.__class__.__name__ == "_SubParsersAction")
    assert set(commands.choices) == {"list", "ls"}
    assert vars(only.parse_args(["list", "-o", "json"]))["output"] == "json"
    whole = cli.build_parser()
    whole_commands = next(a for a in whole._actions if a.__class__.__name__ == "_SubParsersAction")
    assert whole_commands.choices["list"].format_help() == commands.choices["list"].format_help()
    # An alias, a word of a shared module, or no command: the whole parser.
    for words in (["ls"], ["rollback", "x"], ["--help"], ["nosuchcommand"]):
        parser = cli._parser_for(words)
        found = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
        assert set(found.choices) == set(whole_commands.choices), words
    # A usage error reads as it did with the whole parser.
    for words in (["list", "--nosuchflag"], ["list", "-o", "xml"]):
        assert cli.main(words) == 2
        fast = capsys.readouterr().err
        with pytest.raises(SystemExit):
            whole.parse_args(words)
        assert fast == capsys.readouterr().err and "error:" in fast
