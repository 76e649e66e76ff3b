"""The state store and reconcile: SQLite under CAPSULE_HOME, the hosts as the truth."""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import sqlite3
import subprocess
import threading

import pytest

from runtime import paths
from runtime.errors import NameTaken, StoreError
from runtime.labels import LABEL_MANAGED_BY, LABEL_NAME, LABEL_ROLE, LABEL_SPEC, LABEL_UUID
from runtime.observe.observed import ObservedCapsule, ObservedContainer, group_by_capsule
from runtime.observe.status import FAILED, RUNNING, STARTING, UNKNOWN
from runtime.state.reconcile import DELETED_OUTSIDE, parse_engine_time, reconcile_host
from runtime.state.records import record_from_spec
from runtime.state.store import SCHEMA_VERSION, Store


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("CAPSULE_HOME", str(tmp_path))
    return tmp_path


@pytest.fixture
def store(home):
    with Store.open() as opened:
        yield opened


def doc(name: str = "web", policy: str = "Always") -> dict:
    return {
        "apiVersion": "beta",
        "kind": "capsule",
        "metadata": {"name": name, "labels": {"app": name, "tier": "front"}},
        "spec": {
            "restartPolicy": policy,
            "containers": [
                {"name": "web", "image": "busybox:1.36", "ports": [{"containerPort": 80, "hostPort": 8080}],
                 "resources": {"requests": {"cpu": 0.25, "memory": 64 * 2**20}}},
                {"name": "sidecar", "image": "busybox:1.36", "resources": {"limits": {"cpu": 0.5}}},
            ],
            "volumes": [{"name": "data", "emptyDir": {}}],
        },
    }


def observed(name: str = "web", uuid: str = "u-1", *, member_state: str = "running", restarts: int = 0,
             code: int | None = None, policy: str = "Always") -> ObservedCapsule:
    spec = doc(name, policy)
    labels = {LABEL_MANAGED_BY: "capsule", LABEL_NAME: name, LABEL_UUID: uuid, LABEL_SPEC: json.dumps(spec)}
    containers = [
        ObservedContainer(f"{uuid}-sb", name, "sandbox", "", "registry.k8s.io/pause:3.10", "running",
                          started_at="2024-05-01T10:00:00.123456789Z", labels={**labels, LABEL_ROLE: "sandbox"}),
        ObservedContainer(f"{uuid}-web", f"{name}.web", "member", "web", "busybox:1.36", member_state,
                          exit_code=code, restart_count=restarts, labels={**labels, LABEL_ROLE: "member"}),
        ObservedContainer(f"{uuid}-side", f"{name}.sidecar", "member", "sidecar", "busybox:1.36", "running",
                          labels={**labels, LABEL_ROLE: "member"}),
    ]
    [capsule] = group_by_capsule("local", containers)
    capsule.ip = "172.17.0.9"
    return capsule


def dead_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def test_opens_under_capsule_home_with_wal_and_schema_version(home):
    with Store.open() as store:
        assert store.path == home / "state.db"
        db = sqlite3.connect(store.path)
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert {"capsules", "containers", "events"} <= tables


def test_default_location_is_the_xdg_state_dir(monkeypatch, tmp_path):
    monkeypatch.delenv("CAPSULE_HOME", raising=False)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    assert paths.state_db_path() == tmp_path / "state" / "capsule" / "state.db"
    monkeypatch.delenv("XDG_STATE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert paths.state_db_path() == tmp_path / ".local" / "state" / "capsule" / "state.db"


def test_newer_schema_is_refused_with_advice(home):
    db = sqlite3.connect(home / "state.db")
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(StoreError, match="newer capsule"):
        Store.open()


def test_unwritable_location_names_the_file(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(StoreError, match="CAPSULE_HOME"):
        Store.open(blocker / "sub" / "state.db")


def test_record_round_trip_with_facts_from_the_spec(store):
    record = record_from_spec(doc(), uuid="u-1", host="local", status=STARTING)
    record.add_message("creating")
    store.save(record)
    [loaded] = store.find("web")
    assert loaded.uuid == "u-1" and loaded.status == STARTING
    assert loaded.cpu == 0.75  # 0.25 requested + 0.5 limit (a limit counts where no request is given)
    assert loaded.memory == 64 * 2**20
    assert loaded.labels == {"app": "web", "tier": "front"}
    assert loaded.ports == [{"member": "web", "containerPort": 80, "hostPort": 8080}]
    assert loaded.volumes == [{"name": "data", "emptyDir": {}}]
    assert loaded.messages[0]["text"] == "creating"
    assert loaded.spec == doc()


def test_claim_refuses_a_taken_name_on_any_host(store):
    store.claim(record_from_spec(doc(), uuid="u-1", host="h1", status=STARTING))
    with pytest.raises(NameTaken, match="capsule web already exists on host h1"):
        store.claim(record_from_spec(doc(), uuid="u-2", host="local", status=STARTING))


def test_claim_replaces_a_failed_create(store):
    failed = record_from_spec(doc(), uuid="u-1", host="local", status=FAILED, reason="image x not found")
    failed.create_failed = True
    store.save(failed)
    store.claim(record_from_spec(doc(), uuid="u-2", host="local", status=STARTING))
    assert [r.uuid for r in store.find("web")] == ["u-2"]


def test_concurrent_claims_from_two_connections_exactly_one_wins(home):
    results: list[str] = []
    barrier = threading.Barrier(8)

    def claim(i: int) -> None:
        with Store.open() as own:
            barrier.wait()
            try:
                own.claim(record_from_spec(doc(), uuid=f"u-{i}", host="local", status=STARTING))
                results.append("won")
            except NameTaken:
                results.append("lost")

    threads = [threading.Thread(target=claim, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["lost"] * 7 + ["won"]
    with Store.open() as check:
        assert len(check.find("web")) == 1


def _open_fresh_store(path: str, ready, outcomes) -> None:
    ready.wait()
    try:
        Store.open(path).close()
        outcomes.put("opened")
    except StoreError as exc:
        outcomes.put(str(exc))


def test_processes_opening_a_new_database_at_once_all_succeed(tmp_path):
    # Two `capsule create` on a fresh machine once failed with "database is locked":
    # switching a new file to WAL does not wait for the busy timeout.
    context = multiprocessing.get_context("fork")
    for round_number in range(15):
        path = str(tmp_path / f"round-{round_number}" / "state.db")
        ready, outcomes = context.Event(), context.Queue()
        workers = [context.Process(target=_open_fresh_store, args=(path, ready, outcomes)) for _ in range(6)]
        for worker in workers:
            worker.start()
        ready.set()
        for worker in workers:
            worker.join(timeout=30)
        assert [outcomes.get(timeout=5) for _ in workers] == ["opened"] * 6, f"round {round_number}"
        Store.open(path).close()
        with contextlib.closing(sqlite3.connect(path)) as raw:  # a second client: the file itself says
            assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_containers_cascade_with_their_capsule(store):
    reconcile_host(store, "local", [observed()], True)
    assert len(store.containers("u-1")) == 3
    store.delete("u-1")
    assert store.containers("u-1") == []


def test_reconcile_adds_capsules_created_elsewhere(store):
    result = reconcile_host(store, "local", [observed()], True)
    assert result.added == ["web"]
    [record] = store.find("web")
    assert record.status == RUNNING and record.ready == 2 and record.total == 2
    assert record.ip == "172.17.0.9"
    assert record.created_at == pytest.approx(parse_engine_time("2024-05-01T10:00:00.123456Z"))
    # Found already running: one "created" event, no status change of its own.
    assert [e.kind for e in store.events("web")] == ["created"]
    assert "found on host local" in store.events("web")[0].message


def test_reconcile_drops_capsules_gone_from_a_reachable_host(store):
    reconcile_host(store, "local", [observed()], True)
    result = reconcile_host(store, "local", [], True)
    assert result.removed == ["web"]
    assert store.find("web") == []
    last = store.events("web")[-1]
    assert (last.kind, last.message) == ("deleted", DELETED_OUTSIDE)


def test_reconcile_keeps_other_hosts_rows(store):
    reconcile_host(store, "h1", [observed()], True)
    reconcile_host(store, "local", [], True)
    assert [r.host for r in store.find("web")] == ["h1"]


def test_reconcile_of_named_capsules_leaves_the_hosts_other_rows_alone(store):
    # `capsule delete web` asks the host about `web` only: `db`, absent from that
    # answer, is not taken for deleted; `web`, absent from it, is.
    reconcile_host(store, "local", [observed("web", "u-1"), observed("db", "u-2")], True)
    result = reconcile_host(store, "local", [], True, names=["web"])
    assert result.removed == ["web"]
    assert [r.name for r in store.capsules("local")] == ["db"]
    found = reconcile_host(store, "local", [observed("web", "u-3")], True, names=["web"])
    assert found.added == ["web"] and found.removed == []
    assert sorted(r.name for r in store.capsules("local")) == ["db", "web"]


def test_unreachable_host_keeps_rows_as_unknown(store):
    reconcile_host(store, "local", [observed()], True)
    reconcile_host(store, "local", [], False, host_error="connection refused")
    [record] = store.find("web")
    assert record.status == UNKNOWN
    assert record.status_reason == "host local unreachable: connection refused"
    # Asking again while it stays down records no second change.
    before = store.last_event_id()
    reconcile_host(store, "local", [], False, host_error="connection refused")
    assert store.last_event_id() == before


def test_reconcile_keeps_failed_creates_and_creates_under_way_and_fails_interrupted_ones(store):
    """A row whose creator is gone (lease run out, or its process dead) is never Starting forever:
    it becomes a failed create, with a failed event, until `capsule delete` removes it."""
    failed = record_from_spec(doc("bad"), uuid="u-bad", host="local", status=FAILED, reason="image gone")
    failed.create_failed = True
    store.save(failed)
    pending = record_from_spec(doc("new"), uuid="u-new", host="local", status=STARTING)
    pending.take_lease(60)
    store.save(pending)
    expired = record_from_spec(doc("old"), uuid="u-old", host="local", status=STARTING)
    expired.take_lease(-1)
    store.save(expired)
    orphan = record_from_spec(doc("orphan"), uuid="u-orphan", host="local", status=STARTING)
    orphan.take_lease(60)
    orphan.owner = orphan.owner.rsplit(":", 1)[0] + f":{dead_pid()}"  # its creator died mid-create
    store.save(orphan)
    reconcile_host(store, "local", [], True)
    assert {r.name for r in store.capsules()} == {"bad", "new", "old", "orphan"}
    for name in ("old", "orphan"):
        [record] = store.find(name)
        assert record.status == FAILED and record.create_failed and record.lease_until is None
        assert "interrupted" in record.status_reason and f"capsule delete {name}" in record.status_reason
        assert [e.kind for e in store.events(name)] == ["failed"]
    assert store.find("new")[0].status == STARTING  # its creator lives: left alone
    reconcile_host(store, "local", [], True)  # and said once, not at every look
    assert [e.kind for e in store.events("orphan")] == ["failed"]


def test_what_a_failed_create_left_on_the_host_stays_failed(store):
    """A failed build whose clean-up could not finish leaves containers; they are not a capsule
    coming up (they used to show as Starting when the host came back)."""
    failed = record_from_spec(doc("web"), uuid="u-1", host="local", status=FAILED, reason="host cut off")
    failed.create_failed = True
    store.save(failed)
    reconcile_host(store, "local", [observed("web", "u-1")], True)
    [record] = store.find("web")
    assert record.status == FAILED and record.status_reason == "host cut off" and record.containers


def test_reconcile_turns_changes_into_member_and_status_events(store):
    reconcile_host(store, "local", [observed()], True)
    start = store.last_event_id()
    reconcile_host(store, "local", [observed(member_state="restarting", restarts=2)], True)
    kinds = [(e.kind, e.message) for e in store.events("web", after_id=start)]
    assert ("member_restarted", "member web restarted (2 restarts)") in kinds
    assert ("status_changed", "Running -> Starting: member web is restarting (2 restarts)") in kinds
    start = store.last_event_id()
    reconcile_host(store, "local", [observed(member_state="exited", restarts=2, code=1, policy="Never")], True)
    kinds = [(e.kind, e.message) for e in store.events("web", after_id=start)]
    assert ("member_exited", "member web exited with code 1") in kinds
    assert ("failed", "Starting -> Failed: member web exited with code 1") in kinds
    [record] = store.find("web")
    assert record.status == FAILED and record.restarts == 2
    assert record.messages[-1]["text"] == "member web exited with code 1"


def test_status_event_kinds(store):
    from runtime.state.reconcile import status_event_kind

    assert status_event_kind(STARTING, RUNNING) == "started"
    assert status_event_kind(RUNNING, FAILED) == "failed"
    assert status_event_kind(RUNNING, STARTING) == "status_changed"
    assert status_event_kind(RUNNING, UNKNOWN) == "status_changed"


def test_update_capsule_takes_one_observation(store):
    from runtime.state.reconcile import update_capsule

    pending = record_from_spec(doc(), uuid="u-1", host="local", status=STARTING)
    pending.take_lease(60)
    store.save(pending)
    record, events = update_capsule(store, "u-1", observed(), release_lease=True)
    assert record.status == RUNNING and record.lease_until is None and len(record.containers) == 3
    assert [e.kind for e in events] == ["started"]
    record, events = update_capsule(store, "u-1", None)
    assert record.status == FAILED and "removed from host local" in record.status_reason
    assert update_capsule(store, "nope", None) == (None, [])


def test_mid_create_half_built_capsule_is_not_shown_failed(store):
    # Left as its creator wrote it: the creator records created, then what the members did.
    pending = record_from_spec(doc(), uuid="u-1", host="local", status=STARTING, reason="being created")
    pending.take_lease(60)
    store.save(pending)
    half = observed()
    half.containers = [c for c in half.containers if c.member != "sidecar"]
    result = reconcile_host(store, "local", [half], True)
    [record] = store.find("web")
    assert (record.status, record.status_reason) == (STARTING, "being created")
    assert record.containers == [] and result.events == [] and store.events() == []


def test_note_container_returns_the_previous_row(store):
    reconcile_host(store, "local", [observed()], True)
    before = store.note_container("u-1-web", state="exited", exit_code=137)
    assert before is not None and before.state == "running"
    assert store.container("u-1-web").state == "exited"
    assert store.note_container("nope", state="exited") is None


def test_events_filter_and_limit(store):
    for i in range(5):
        store.add_event("created", "a" if i % 2 else "b", f"m{i}")
    assert [e.message for e in store.events("a")] == ["m1", "m3"]
    assert [e.message for e in store.events(limit=2)] == ["m3", "m4"]
    first = store.events()[0].id
    assert [e.message for e in store.events(after_id=first + 2)] == ["m3", "m4"]


def test_a_schema_3_database_gets_the_last_termination_column_and_keeps_its_rows(home):
    with Store.open():
        pass
    db = sqlite3.connect(home / "state.db")  # made as capsule 3 had it: no last_termination
    db.executescript("""
        ALTER TABLE containers DROP COLUMN last_termination;
        INSERT INTO capsules (uuid, name, host, status, created_at) VALUES ('u1', 'w', 'local', 'Running', 0);
        INSERT INTO containers (id, capsule_uuid, name, role, member, state) VALUES ('c1', 'u1', 'w.web', 'member',
            'web', 'running');
        PRAGMA user_version = 3;
    """)
    db.close()
    with Store.open() as store:
        [row] = store.containers("u1")
        assert (row.id, row.state, row.last_termination) == ("c1", "running", "")
    db = sqlite3.connect(home / "state.db")
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
