"""The revisions table (runtime.state.revisions) over a real SQLite store; no engine."""

from __future__ import annotations

from pathlib import Path

from runtime.state import revisions as R
from runtime.state.store import Store


def spec(image: str) -> dict:
    return {"metadata": {"name": "web"}, "spec": {"initContainers": [{"name": "i", "image": "init:1"}],
                                                  "containers": [{"name": "a", "image": image},
                                                                 {"name": "b", "image": image}]}}


def test_record_finish_and_list(tmp_path: Path) -> None:
    with Store.open(tmp_path / "state.db") as store:
        assert R.revisions(store, "web") == [] and R.latest_number(store, "web") == 0
        R.ensure_recorded(store, name="web", host="local", uuid="u1", revision=1, spec=spec("web:1"), created_at=1.0)
        R.ensure_recorded(store, name="web", host="local", uuid="u1", revision=1, spec=spec("other"), created_at=9.0)
        R.record_revision(store, R.Revision("web", 2, "local", "u2", spec("web:2"), 2.0, R.UPDATING, source="update"))
        R.finish_revision(store, "web", 1, R.REPLACED, "replaced by revision 2")
        R.finish_revision(store, "web", 2, R.SERVING)
        rows = R.revisions(store, "web")
    assert [(r.revision, r.outcome, r.uuid) for r in rows] == [(1, R.REPLACED, "u1"), (2, R.SERVING, "u2")]
    assert rows[0].images == ["init:1", "web:1"] and rows[0].created_at == 1.0  # the first record stays
    assert rows[0].reason == "replaced by revision 2" and rows[1].finished_at is not None
    assert "secret" not in str(rows[0].to_dict()).lower()


def test_a_new_capsule_of_the_same_name_starts_a_new_history(tmp_path: Path) -> None:
    with Store.open(tmp_path / "state.db") as store:
        R.ensure_recorded(store, name="web", host="local", uuid="old", revision=1, spec=spec("a"), created_at=1.0)
        R.record_revision(store, R.Revision("web", 2, "local", "old2", spec("b"), 2.0, R.SERVING))
        # Deleted, then created again: revision 1 with another uuid.
        R.ensure_recorded(store, name="web", host="local", uuid="new", revision=1, spec=spec("c"), created_at=3.0)
        rows = R.revisions(store, "web")
        assert [(r.revision, r.uuid) for r in rows] == [(1, "new")]
        assert R.latest_number(store, "web") == 1


def test_the_table_is_made_in_an_existing_database(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    Store.open(path).close()  # a database from before revisions existed
    with Store.open(path) as store:
        R.record_revision(store, R.Revision("db", 1, "h", "u", spec("x"), 1.0, R.SERVING))
    with Store.open(path) as store:
        assert R.get_revision(store, "db", 1) is not None and R.get_revision(store, "db", 2) is None
