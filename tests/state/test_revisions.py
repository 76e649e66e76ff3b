"""The revisions table (runtime.state.revisions) over a real SQLite store; no engine."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

from runtime.state import revisions
from runtime.state.records import Revision
from runtime.state.store import Store


def spec(image: str) -> dict:
    return {"metadata": {"name": "web"}, "spec": {"initContainers": [{"name": "i", "image": "init:1"}],
                                                  "containers": [{"name": "a", "image": image},
                                                                 {"name": "b", "image": image}]}}


def test_record_finish_and_list(tmp_path: Path) -> None:
    with Store.open(tmp_path / "state.db") as store:
        assert store.revisions("web") == [] and store.latest_revision("web") == 0
        revisions.ensure_recorded(store, name="web", host="local", uuid="u1", revision=1, spec=spec("web:1"), created_at=1.0)
        revisions.ensure_recorded(store, name="web", host="local", uuid="u1", revision=1, spec=spec("other"), created_at=9.0)
        revisions.record_revision(store, Revision("web", 2, "local", "u2", spec("web:2"), 2.0, revisions.UPDATING, source="update"))
        store.finish_revision("web", 1, revisions.REPLACED, "replaced by revision 2")
        store.finish_revision("web", 2, revisions.SERVING)
        rows = store.revisions("web")
    assert [(r.revision, r.outcome, r.uuid) for r in rows] == [(1, revisions.REPLACED, "u1"), (2, revisions.SERVING, "u2")]
    assert rows[0].images == ["init:1", "web:1"] and rows[0].created_at == 1.0  # the first record stays
    assert rows[0].reason == "replaced by revision 2" and rows[1].finished_at is not None
    assert "secret" not in str(rows[0].to_dict()).lower()


def test_a_deleted_capsule_s_revision_no_longer_serves(tmp_path: Path) -> None:
    with Store.open(tmp_path / "state.db") as store:
        revisions.record_revision(store, Revision("web", 1, "local", "u1", spec("a"), 1.0, revisions.REPLACED))
        revisions.record_revision(store, Revision("web", 2, "local", "u2", spec("b"), 2.0, revisions.SERVING))
        revisions.record_revision(store, Revision("web", 3, "other", "u3", spec("c"), 3.0, revisions.SERVING))
        revisions.mark_deleted(store, "web", "u2")  # the web on host local; the one on host other stays
        rows = {r.revision: r for r in store.revisions("web")}
    assert [rows[n].outcome for n in (1, 2, 3)] == [revisions.REPLACED, revisions.DELETED, revisions.SERVING]
    assert rows[2].reason == "the capsule was deleted" and rows[2].finished_at is not None


def test_a_new_capsule_of_the_same_name_starts_a_new_history(tmp_path: Path) -> None:
    with Store.open(tmp_path / "state.db") as store:
        revisions.ensure_recorded(store, name="web", host="local", uuid="old", revision=1, spec=spec("a"), created_at=1.0)
        revisions.record_revision(store, Revision("web", 2, "local", "old2", spec("b"), 2.0, revisions.SERVING))
        # Deleted, then created again: revision 1 with another uuid.
        revisions.ensure_recorded(store, name="web", host="local", uuid="new", revision=1, spec=spec("c"), created_at=3.0)
        rows = store.revisions("web")
        assert [(r.revision, r.uuid) for r in rows] == [(1, "new")]
        assert store.latest_revision("web") == 1


def test_the_table_is_made_in_an_existing_database(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    Store.open(path).close()
    # Made into a database of schema 1, from before the revisions table was the store's.
    with contextlib.closing(sqlite3.connect(path)) as raw:
        raw.execute("DROP TABLE revisions")
        raw.execute("PRAGMA user_version = 1")
        raw.commit()
    with Store.open(path) as store:
        revisions.record_revision(store, Revision("db", 1, "h", "u", spec("x"), 1.0, revisions.SERVING))
    with Store.open(path) as store:
        assert store.revision("db", 1) is not None and store.revision("db", 2) is None
