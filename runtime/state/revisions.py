"""A capsule's revisions: which spec ran when, with which images, and how it ended.

`capsule history`, `capsule rollback` and `capsule update` read and write a small
`revisions` table in the state database (created here when absent, so the store's
schema version is untouched). One row per (name, revision): the normalized spec
(secret values are never in it: it holds references only), its images, when it
was made, its outcome and why, and what made it (create, update, rollback, apply).

Outcomes: `updating` (a switch-over is under way), `serving` (the capsule runs
this revision), `replaced` (a later revision took over), `failed` (the update to
it did not become ready and the previous revision was restored).

The running capsule's containers carry their revision and spec on the labels
`capsule.revision` and `capsule.spec`; this table keeps the ones that no host
shows any more. A revision made by `capsule create` is written here the first
time the capsule is updated (its spec is then still on the host's labels).

This module only reads and writes the store; it must not talk to engines.
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from runtime.state.records import spec_body

if TYPE_CHECKING:
    from runtime.state.store import Store

UPDATING = "updating"
SERVING = "serving"
REPLACED = "replaced"
FAILED = "failed"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS revisions (
    name TEXT NOT NULL,
    revision INTEGER NOT NULL,
    host TEXT NOT NULL,
    uuid TEXT NOT NULL,
    spec TEXT NOT NULL,
    images TEXT NOT NULL DEFAULT '[]',
    created_at REAL NOT NULL,
    finished_at REAL,
    outcome TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (name, revision)
)
"""


@dataclass
class Revision:
    name: str
    revision: int
    host: str
    uuid: str
    spec: dict[str, Any]
    created_at: float
    outcome: str
    reason: str = ""
    source: str = ""
    finished_at: float | None = None
    images: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "revision": self.revision, "host": self.host, "uuid": self.uuid,
                "created_at": self.created_at, "finished_at": self.finished_at, "outcome": self.outcome,
                "reason": self.reason, "source": self.source, "images": self.images}


def spec_images(spec: dict[str, Any]) -> list[str]:
    """Every image the spec runs, init containers first, in spec order."""
    body = spec_body(spec)
    found: list[str] = []
    for key in ("initContainers", "containers"):
        for container in body.get(key) or []:
            if isinstance(container, dict) and container.get("image") and container["image"] not in found:
                found.append(str(container["image"]))
    return found


def _db(store: "Store") -> sqlite3.Connection:
    # The store has no public handle for other tables; the revisions table lives in
    # the same file so that one CAPSULE_HOME holds all of a machine's state.
    connection: sqlite3.Connection = store._db  # noqa: SLF001
    connection.execute(_SCHEMA)
    return connection


def record_revision(store: "Store", revision: Revision) -> None:
    """Insert or replace one revision's row."""
    db = _db(store)
    with store.transaction():
        db.execute(
            "INSERT OR REPLACE INTO revisions (name, revision, host, uuid, spec, images, created_at, finished_at, "
            "outcome, reason, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (revision.name, revision.revision, revision.host, revision.uuid,
             json.dumps(revision.spec, sort_keys=True), json.dumps(revision.images or spec_images(revision.spec)),
             revision.created_at, revision.finished_at, revision.outcome, revision.reason, revision.source),
        )


def finish_revision(store: "Store", name: str, number: int, outcome: str, reason: str = "") -> None:
    db = _db(store)
    with store.transaction():
        db.execute("UPDATE revisions SET outcome = ?, reason = ?, finished_at = ? WHERE name = ? AND revision = ?",
                   (outcome, reason, time.time(), name, number))


def ensure_recorded(store: "Store", *, name: str, host: str, uuid: str, revision: int, spec: dict[str, Any],
                    created_at: float, source: str = "create") -> None:
    """Write the running revision's row if the table lacks it (a capsule made by `create`).

    A row of that number with another uuid belongs to an earlier capsule of the same
    name (deleted, then created again): that capsule's history is dropped, so the
    numbers of the one running now start over, as its labels do.
    """
    if not spec:
        return
    known = get_revision(store, name, revision)
    if known is not None and known.uuid != uuid and known.outcome != UPDATING:
        forget(store, name)
        known = None
    if known is None:
        record_revision(store, Revision(name, revision, host, uuid, spec, created_at, SERVING, source=source))


def revisions(store: "Store", name: str) -> list[Revision]:
    rows = _db(store).execute("SELECT * FROM revisions WHERE name = ? ORDER BY revision", (name,)).fetchall()
    return [_load(row) for row in rows]


def get_revision(store: "Store", name: str, number: int) -> Revision | None:
    row = _db(store).execute("SELECT * FROM revisions WHERE name = ? AND revision = ?", (name, number)).fetchone()
    return _load(row) if row else None


def latest_number(store: "Store", name: str) -> int:
    row = _db(store).execute("SELECT MAX(revision) FROM revisions WHERE name = ?", (name,)).fetchone()
    return int(row[0] or 0)


def forget(store: "Store", name: str) -> None:
    """Drop a capsule's history (a new capsule of the name replaces it; delete alone keeps it)."""
    db = _db(store)
    with store.transaction():
        db.execute("DELETE FROM revisions WHERE name = ?", (name,))


def _load(row: sqlite3.Row | tuple) -> Revision:
    (name, number, host, uuid, spec, images, created_at, finished_at, outcome, reason, source) = tuple(row)
    return Revision(name=name, revision=int(number), host=host, uuid=uuid, spec=json.loads(spec or "{}"),
                    created_at=created_at, outcome=outcome, reason=reason, source=source,
                    finished_at=finished_at, images=json.loads(images or "[]"))
