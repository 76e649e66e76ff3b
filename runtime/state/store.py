"""The state store: what this machine remembers of capsules, their containers and events.

SQLite (the standard library's sqlite3) at `$CAPSULE_HOME/state.db`, else the user's
state directory (see `runtime.paths`). WAL mode and a busy timeout let several
`capsule` processes (a create, a list, the terminal UI) use it at once; every
write that reads first (claiming a name, reconciling a host) runs in a
`BEGIN IMMEDIATE` transaction so that two processes cannot both decide.

The store is a cache: the hosts' container labels are the truth;
`runtime.state.reconcile` brings the rows of one host in line with what that host
reports. The store owns its schema: every table (capsules, containers, events,
revisions) is created and migrated here, and no other module writes SQL. It must
not talk to engines.
"""

from __future__ import annotations

import fcntl
import json
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from runtime.errors import NameTaken, StoreError
from runtime.paths import state_db_path
from runtime.state.records import CapsuleRecord, ContainerRecord, EventRecord, Revision

# 2: the revisions table joined the schema (before, revisions.py created it on use;
# CREATE TABLE IF NOT EXISTS keeps such a database as it is).
SCHEMA_VERSION = 2
BUSY_TIMEOUT_MS = 10_000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS capsules (
    uuid TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    host TEXT NOT NULL,
    status TEXT NOT NULL,
    status_reason TEXT NOT NULL DEFAULT '',
    ip TEXT,
    cpu REAL NOT NULL DEFAULT 0,
    memory INTEGER NOT NULL DEFAULT 0,
    labels TEXT NOT NULL DEFAULT '{}',
    restart_policy TEXT NOT NULL DEFAULT 'Always',
    ports TEXT NOT NULL DEFAULT '[]',
    volumes TEXT NOT NULL DEFAULT '[]',
    spec TEXT NOT NULL DEFAULT '{}',
    revision INTEGER NOT NULL DEFAULT 1,
    created_at REAL NOT NULL,
    started_at REAL,
    messages TEXT NOT NULL DEFAULT '[]',
    create_failed INTEGER NOT NULL DEFAULT 0,
    lease_until REAL,
    owner TEXT NOT NULL DEFAULT '',
    ready INTEGER NOT NULL DEFAULT 0,
    total INTEGER NOT NULL DEFAULT 0,
    restarts INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS capsules_name ON capsules(name);
CREATE INDEX IF NOT EXISTS capsules_host ON capsules(host);
CREATE TABLE IF NOT EXISTS containers (
    id TEXT PRIMARY KEY,
    capsule_uuid TEXT NOT NULL REFERENCES capsules(uuid) ON DELETE CASCADE,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    member TEXT NOT NULL DEFAULT '',
    image TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL,
    restarts INTEGER NOT NULL DEFAULT 0,
    exit_code INTEGER
);
CREATE INDEX IF NOT EXISTS containers_capsule ON containers(capsule_uuid);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    time REAL NOT NULL,
    capsule TEXT NOT NULL,
    uuid TEXT NOT NULL DEFAULT '',
    host TEXT NOT NULL DEFAULT '',
    kind TEXT NOT NULL,
    message TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS events_capsule ON events(capsule, id);
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
);
"""

_JSON_FIELDS = ("labels", "ports", "volumes", "spec", "messages")
_CAPSULE_COLUMNS = (
    "uuid", "name", "host", "status", "status_reason", "ip", "cpu", "memory", "labels", "restart_policy",
    "ports", "volumes", "spec", "revision", "created_at", "started_at", "messages", "create_failed",
    "lease_until", "owner", "ready", "total", "restarts",
)


class Store:
    """One connection to the state database. Open it with `Store.open()`."""

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self._db = connection
        self.path = path
        self._in_transaction = False

    @classmethod
    def open(cls, path: Path | str | None = None) -> Store:
        target = Path(path) if path is not None else state_db_path()
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            # Switching a new database to WAL and creating its tables can answer
            # "database is locked" at once, without waiting for the busy timeout,
            # when another process does the same at that moment (two `capsule create`
            # on a fresh machine). A lock file serializes just this opening step.
            with _opening_lock(target):
                connection = sqlite3.connect(target, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
                connection.row_factory = sqlite3.Row
                connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
                connection.execute("PRAGMA journal_mode = WAL")
                connection.execute("PRAGMA synchronous = NORMAL")
                connection.execute("PRAGMA foreign_keys = ON")
                _migrate(connection, target)
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(
                f"cannot open the state database {target}: {exc}; check the folder's permissions "
                f"or set CAPSULE_HOME to a writable folder"
            ) from exc
        return cls(connection, target)

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """A write transaction that takes the lock at once (no read-then-upgrade races).

        Every write method of the store joins the transaction its caller opened, so
        `with store.transaction():` around reads and writes makes them one decision.
        """
        if self._in_transaction:
            yield  # part of the caller's transaction
            return
        self._db.execute("BEGIN IMMEDIATE")
        self._in_transaction = True
        try:
            yield
        except BaseException:
            self._in_transaction = False
            self._db.execute("ROLLBACK")
            raise
        self._in_transaction = False
        self._db.execute("COMMIT")

    def trace(self, callback: Callable[[str], None] | None) -> None:
        """Call `callback` with every SQL statement this connection runs (None: stop); for tests."""
        self._db.set_trace_callback(callback)

    # -- capsules -------------------------------------------------------------

    def capsules(self, host: str | None = None) -> list[CapsuleRecord]:
        sql, args = "SELECT * FROM capsules", ()
        if host is not None:
            sql, args = sql + " WHERE host = ?", (host,)
        rows = self._db.execute(sql + " ORDER BY name, host", args).fetchall()
        records = [self._load(row, containers=False) for row in rows]
        # One query for every row's containers, not one per row: `capsule list` reads
        # hundreds of rows per host on every run.
        sql = "SELECT * FROM containers"
        if host is not None:
            sql += " WHERE capsule_uuid IN (SELECT uuid FROM capsules WHERE host = ?)"
        grouped: dict[str, list[ContainerRecord]] = {}
        for row in self._db.execute(sql + " ORDER BY role DESC, member", args).fetchall():
            grouped.setdefault(row["capsule_uuid"], []).append(ContainerRecord(**dict(row)))
        for record in records:
            record.containers = grouped.get(record.uuid, [])
        return records

    def find(self, name: str) -> list[CapsuleRecord]:
        rows = self._db.execute("SELECT * FROM capsules WHERE name = ? ORDER BY host", (name,)).fetchall()
        return [self._load(row) for row in rows]

    def get(self, uuid: str) -> CapsuleRecord | None:
        row = self._db.execute("SELECT * FROM capsules WHERE uuid = ?", (uuid,)).fetchone()
        return self._load(row) if row else None

    def save(self, record: CapsuleRecord, *, with_containers: bool = False) -> None:
        """Insert or replace a capsule row (and, if asked, its container rows)."""
        with self.transaction():
            self._write(record, with_containers=with_containers)

    def claim(self, record: CapsuleRecord) -> None:
        """Record a capsule about to be created, unless its name is already taken.

        A row left by a failed create of the same name gives way; any other row
        (on any host) raises NameTaken.
        """
        with self.transaction():
            for row in self._db.execute("SELECT * FROM capsules WHERE name = ?", (record.name,)).fetchall():
                existing = self._load(row, containers=False)
                if not existing.create_failed:
                    raise NameTaken(existing)
                self._db.execute("DELETE FROM capsules WHERE uuid = ?", (existing.uuid,))
            self._write(record, with_containers=False)

    def delete(self, uuid: str) -> None:
        with self.transaction():
            self._db.execute("DELETE FROM capsules WHERE uuid = ?", (uuid,))

    def _write(self, record: CapsuleRecord, *, with_containers: bool) -> None:
        db = self._db
        values: dict[str, Any] = {col: getattr(record, col) for col in _CAPSULE_COLUMNS}
        for key in _JSON_FIELDS:
            values[key] = json.dumps(values[key], sort_keys=True)
        values["create_failed"] = int(record.create_failed)
        placeholders = ", ".join(f":{col}" for col in _CAPSULE_COLUMNS)
        updates = ", ".join(f"{col} = excluded.{col}" for col in _CAPSULE_COLUMNS if col != "uuid")
        db.execute(
            f"INSERT INTO capsules ({', '.join(_CAPSULE_COLUMNS)}) VALUES ({placeholders}) "
            f"ON CONFLICT(uuid) DO UPDATE SET {updates}",
            values,
        )
        if with_containers:
            db.execute("DELETE FROM containers WHERE capsule_uuid = ?", (record.uuid,))
            db.executemany(
                "INSERT OR REPLACE INTO containers (id, capsule_uuid, name, role, member, image, state, restarts, "
                "exit_code) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (c.id, record.uuid, c.name, c.role, c.member, c.image, c.state, c.restarts, c.exit_code)
                    for c in record.containers
                ],
            )

    def _load(self, row: sqlite3.Row, *, containers: bool = True) -> CapsuleRecord:
        data = dict(row)
        for key in _JSON_FIELDS:
            data[key] = json.loads(data[key] or ("{}" if key in ("labels", "spec") else "[]"))
        data["create_failed"] = bool(data["create_failed"])
        record = CapsuleRecord(**data)
        if containers:
            record.containers = self.containers(record.uuid)
        return record

    # -- containers -----------------------------------------------------------

    def containers(self, capsule_uuid: str) -> list[ContainerRecord]:
        rows = self._db.execute(
            "SELECT * FROM containers WHERE capsule_uuid = ? ORDER BY role DESC, member", (capsule_uuid,)
        ).fetchall()
        return [ContainerRecord(**dict(row)) for row in rows]

    def restart_counts(self) -> dict[str, int]:
        """Container id -> restarts, as last observed (for list's cheaper observation)."""
        return dict(self._db.execute("SELECT id, restarts FROM containers").fetchall())

    def container(self, container_id: str) -> ContainerRecord | None:
        row = self._db.execute("SELECT * FROM containers WHERE id = ?", (container_id,)).fetchone()
        return ContainerRecord(**dict(row)) if row else None

    def note_container(self, container_id: str, *, state: str, restarts: int | None = None,
                       exit_code: int | None = None) -> ContainerRecord | None:
        """Update one container's state; returns its row as it was before, None if unknown.

        Both the engine-event follower and reconcile report member exits and
        restarts; comparing with the previous row is how each one notices that the
        other already recorded a change.
        """
        with self.transaction():
            db = self._db
            row = db.execute("SELECT * FROM containers WHERE id = ?", (container_id,)).fetchone()
            if row is None:
                return None
            before = ContainerRecord(**dict(row))
            db.execute(
                "UPDATE containers SET state = ?, restarts = ?, exit_code = ? WHERE id = ?",
                (state, before.restarts if restarts is None else restarts,
                 exit_code if exit_code is not None else before.exit_code, container_id),
            )
            return before

    # -- events ---------------------------------------------------------------

    def add_event(self, kind: str, capsule: str, message: str = "", *, uuid: str = "", host: str = "",
                  at: float | None = None) -> EventRecord:
        moment = at or time.time()
        with self.transaction():
            cursor = self._db.execute(
                "INSERT INTO events (time, capsule, uuid, host, kind, message) VALUES (?, ?, ?, ?, ?, ?)",
                (moment, capsule, uuid, host, kind, message),
            )
        return EventRecord(int(cursor.lastrowid or 0), moment, capsule, uuid, host, kind, message)

    def events(self, capsule: str | None = None, *, after_id: int = 0, limit: int | None = None) -> list[EventRecord]:
        """Events in order; with `limit`, the newest `limit` of them (still oldest first)."""
        sql, args = "SELECT * FROM events WHERE id > ?", [after_id]
        if capsule is not None:
            sql += " AND capsule = ?"
            args.append(capsule)
        if limit is not None:
            sql = f"SELECT * FROM ({sql} ORDER BY id DESC LIMIT ?) ORDER BY id"
            args.append(limit)
        else:
            sql += " ORDER BY id"
        return [EventRecord(**dict(row)) for row in self._db.execute(sql, args).fetchall()]

    def last_event_id(self) -> int:
        row = self._db.execute("SELECT MAX(id) FROM events").fetchone()
        return int(row[0] or 0)

    # -- revisions ------------------------------------------------------------

    def save_revision(self, revision: Revision) -> None:
        """Insert or replace one revision's row."""
        with self.transaction():
            self._db.execute(
                "INSERT OR REPLACE INTO revisions (name, revision, host, uuid, spec, images, created_at, "
                "finished_at, outcome, reason, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (revision.name, revision.revision, revision.host, revision.uuid,
                 json.dumps(revision.spec, sort_keys=True), json.dumps(revision.images), revision.created_at,
                 revision.finished_at, revision.outcome, revision.reason, revision.source),
            )

    def finish_revision(self, name: str, number: int, outcome: str, reason: str = "") -> None:
        with self.transaction():
            self._db.execute(
                "UPDATE revisions SET outcome = ?, reason = ?, finished_at = ? WHERE name = ? AND revision = ?",
                (outcome, reason, time.time(), name, number))

    def revisions(self, name: str) -> list[Revision]:
        rows = self._db.execute("SELECT * FROM revisions WHERE name = ? ORDER BY revision", (name,)).fetchall()
        return [_revision(row) for row in rows]

    def revision(self, name: str, number: int) -> Revision | None:
        row = self._db.execute("SELECT * FROM revisions WHERE name = ? AND revision = ?",
                               (name, number)).fetchone()
        return _revision(row) if row else None

    def latest_revision(self, name: str) -> int:
        """The highest revision number recorded for the name, 0 when none is."""
        row = self._db.execute("SELECT MAX(revision) FROM revisions WHERE name = ?", (name,)).fetchone()
        return int(row[0] or 0)

    def forget_revisions(self, name: str) -> None:
        with self.transaction():
            self._db.execute("DELETE FROM revisions WHERE name = ?", (name,))

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _revision(row: sqlite3.Row) -> Revision:
    data = dict(row)
    data["spec"] = json.loads(data["spec"] or "{}")
    data["images"] = json.loads(data["images"] or "[]")
    data["revision"] = int(data["revision"])
    return Revision(**data)


@contextmanager
def _opening_lock(database: Path) -> Iterator[None]:
    lock_path = database.with_name(database.name + ".open-lock")
    with open(lock_path, "a") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


def _migrate(connection: sqlite3.Connection, path: Path) -> None:
    version = connection.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"the state database {path} was written by a newer capsule (schema {version}, this one knows "
            f"{SCHEMA_VERSION}); upgrade capsule or point CAPSULE_HOME elsewhere"
        )
    if version < SCHEMA_VERSION:
        connection.execute("BEGIN IMMEDIATE")
        try:
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    connection.execute(statement)
            connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")
