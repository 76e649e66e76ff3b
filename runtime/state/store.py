"""The state store: what this machine remembers of capsules, their containers and events.

SQLite (the standard library's sqlite3) at `$CAPSULE_HOME/state.db`, else the user's
state directory (see `runtime.paths`). WAL mode and a busy timeout let several
`capsule` processes (a create, a list, the terminal UI) use it at once; every
write that reads first (claiming a name, reconciling a host) runs in a
`BEGIN IMMEDIATE` transaction so that two processes cannot both decide.

The store is a cache: the hosts' container labels are the truth;
`runtime.state.reconcile` brings the rows of one host in line with what that host
reports. The store owns its schema: every table (capsules, containers, events, the
event_changes already recorded as events, revisions, config_objects) is created and
migrated here, and no other module writes SQL. It must not talk to engines.

Faults (runtime/state/store_faults.py words them): no sqlite3 error leaves the
store; every operation turns one into a StoreError that names the file and says
what to do (`disk_full` and friends for a caller that words its own message). A
damaged file (not a database, malformed pages), found on opening or by any
operation, is moved aside as `state.db.broken-<time>`, a fresh database takes its
place with one warning, and the operation runs once more on it. The folder is 0700
and the files 0600 (`runtime.paths.private_dir`, `private_file`).
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import json
import logging
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar, cast

from runtime.errors import NameTaken, StoreError
from runtime.paths import private_dir, private_file, private_opener, state_db_path
from runtime.state.records import CapsuleRecord, ContainerRecord, EventRecord, Revision
from runtime.state.store_faults import damaged_again, is_damaged, move_aside, moved_away, replaced_warning, store_error

# 2: the revisions table joined the schema (before, revisions.py created it on use;
# CREATE TABLE IF NOT EXISTS keeps such a database as it is).
# 3: event_changes, the changes already recorded as events (one event per change).
# 4: containers.last_termination (added to an older table by _ADDED_COLUMNS).
SCHEMA_VERSION = 4
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
    exit_code INTEGER,
    last_termination TEXT NOT NULL DEFAULT ''
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
CREATE TABLE IF NOT EXISTS event_changes (
    change TEXT PRIMARY KEY,
    capsule_uuid TEXT NOT NULL DEFAULT '',
    event_id INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS event_changes_capsule ON event_changes(capsule_uuid);
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
CREATE TABLE IF NOT EXISTS config_objects (
    kind TEXT NOT NULL,
    namespace TEXT NOT NULL,
    name TEXT NOT NULL,
    keys TEXT NOT NULL DEFAULT '[]',
    data BLOB NOT NULL,
    created_at REAL NOT NULL,
    PRIMARY KEY (kind, namespace, name)
);
"""

_JSON_FIELDS = ("labels", "ports", "volumes", "spec", "messages")
_CAPSULE_COLUMNS = (
    "uuid", "name", "host", "status", "status_reason", "ip", "cpu", "memory", "labels", "restart_policy",
    "ports", "volumes", "spec", "revision", "created_at", "started_at", "messages", "create_failed",
    "lease_until", "owner", "ready", "total", "restarts",
)


_Operation = TypeVar("_Operation", bound=Callable[..., Any])
log = logging.getLogger("capsule")


def _operation(method: _Operation) -> _Operation:
    """One of the store's operations: an sqlite3 error leaves it as a StoreError, never as it is.

    Only the outermost operation translates (one that calls another lets the error reach
    it untouched), so that when the file turns out damaged the whole operation runs once
    more, on the fresh database that replaced it. One try around the whole call: no cost
    per row.
    """

    @functools.wraps(method)
    def operation(self: Store, *args: Any, **kwargs: Any) -> Any:
        if self._depth:
            return method(self, *args, **kwargs)
        if self._lost:  # a fresh database could not be opened last time (a full disk): try again
            self._reopen(None)
        for attempt in (1, 2):
            self._depth = 1
            try:
                return method(self, *args, **kwargs)
            except sqlite3.Error as exc:
                if attempt == 2 or not (is_damaged(exc) or moved_away(exc)):
                    raise self._failure(exc, after_fresh=attempt == 2) from exc
                problem = exc
            finally:
                self._depth = 0
            self._reopen(problem)
        raise AssertionError("unreachable")

    return cast(_Operation, operation)


class Store:
    """One connection to the state database. Open it with `Store.open()`."""

    def __init__(self, connection: sqlite3.Connection, path: Path, identity: tuple[int, int] | None = None) -> None:
        self._db = connection
        self.path = path
        self._identity = identity  # the file this connection opened: (device, inode)
        self._in_transaction = False
        self._depth = 0  # > 0 while an operation runs (see _operation)
        self._lost = False  # the connection was closed and no new one could be opened

    @classmethod
    def open(cls, path: Path | str | None = None) -> Store:
        target = Path(path) if path is not None else state_db_path()
        broken: Path | None = None
        try:
            private_dir(target.parent)
            # Switching a new database to WAL and creating its tables can answer
            # "database is locked" at once, without waiting for the busy timeout,
            # when another process does the same at that moment (two `capsule create`
            # on a fresh machine). A lock file serializes just this opening step.
            with _opening_lock(target):
                connection = _connection(target)
                try:
                    _set_up(connection, target)
                except sqlite3.DatabaseError as exc:
                    if not is_damaged(exc):
                        connection.close()
                        raise
                    broken = _put_aside(target, exc, connection)
                    connection = _set_up_fresh(target)
                identity = _identity(target)
        except (sqlite3.Error, OSError) as exc:
            raise _translate(exc, target, after_fresh=broken is not None) from exc
        return cls(connection, target, identity)

    @_operation
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
        self._statement("BEGIN IMMEDIATE")
        self._in_transaction = True
        try:
            yield
            self._statement("COMMIT")
        except BaseException:
            self._abandon()
            raise
        finally:
            self._in_transaction = False

    @_operation
    def _statement(self, sql: str) -> None:
        self._db.execute(sql)

    def _abandon(self) -> None:
        # SQLite has already rolled back a transaction that failed for a full disk (and
        # others); a ROLLBACK then fails, and must not hide why the transaction failed.
        with contextlib.suppress(sqlite3.Error):  # (a closed connection raises on in_transaction)
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")

    def _failure(self, exc: sqlite3.Error, *, after_fresh: bool = False) -> StoreError:
        return _translate(exc, self.path, after_fresh=after_fresh)

    def _reopen(self, problem: sqlite3.Error | None) -> None:
        """A new connection to the path: after moving the damaged file aside, or when another
        process already did (the path no longer names the file this connection opened).

        Inside a caller's transaction a new one is begun on the fresh file, so the caller's
        block goes on there; what it wrote before is gone with the damaged file.
        """
        broken = None
        try:
            with _opening_lock(self.path):
                if problem is not None and is_damaged(problem) and _identity(self.path) == self._identity:
                    broken = _put_aside(self.path, problem, self._db)
                else:  # moved already: SQLite leaves the moved file's -wal alone on closing
                    with contextlib.suppress(sqlite3.Error):
                        self._db.close()
                self._lost = True
                self._db = _set_up_fresh(self.path)
                self._identity = _identity(self.path)
                self._lost = False
            if self._in_transaction:
                self._db.execute("BEGIN IMMEDIATE")
        except (sqlite3.Error, OSError) as exc:
            raise _translate(exc, self.path, after_fresh=broken is not None) from exc

    def trace(self, callback: Callable[[str], None] | None) -> None:
        """Call `callback` with every SQL statement this connection runs (None: stop); for tests."""
        self._db.set_trace_callback(callback)

    # -- capsules -------------------------------------------------------------

    @_operation
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

    @_operation
    def find(self, name: str) -> list[CapsuleRecord]:
        rows = self._db.execute("SELECT * FROM capsules WHERE name = ? ORDER BY host", (name,)).fetchall()
        return [self._load(row) for row in rows]

    @_operation
    def get(self, uuid: str) -> CapsuleRecord | None:
        row = self._db.execute("SELECT * FROM capsules WHERE uuid = ?", (uuid,)).fetchone()
        return self._load(row) if row else None

    @_operation
    def save(self, record: CapsuleRecord, *, with_containers: bool = False) -> None:
        """Insert or replace a capsule row (and, if asked, its container rows)."""
        with self.transaction():
            self._write(record, with_containers=with_containers)

    @_operation
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

    @_operation
    def delete(self, uuid: str) -> None:
        with self.transaction():
            self._db.execute("DELETE FROM capsules WHERE uuid = ?", (uuid,))
            self._db.execute("DELETE FROM event_changes WHERE capsule_uuid = ?", (uuid,))

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
                "exit_code, last_termination) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (c.id, record.uuid, c.name, c.role, c.member, c.image, c.state, c.restarts, c.exit_code,
                     c.last_termination)
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

    @_operation
    def containers(self, capsule_uuid: str) -> list[ContainerRecord]:
        rows = self._db.execute(
            "SELECT * FROM containers WHERE capsule_uuid = ? ORDER BY role DESC, member", (capsule_uuid,)
        ).fetchall()
        return [ContainerRecord(**dict(row)) for row in rows]

    @_operation
    def restart_counts(self) -> dict[str, int]:
        """Container id -> restarts, as last observed (for list's cheaper observation)."""
        return dict(self._db.execute("SELECT id, restarts FROM containers").fetchall())

    @_operation
    def container(self, container_id: str) -> ContainerRecord | None:
        row = self._db.execute("SELECT * FROM containers WHERE id = ?", (container_id,)).fetchone()
        return ContainerRecord(**dict(row)) if row else None

    @_operation
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

    @_operation
    def add_event(self, kind: str, capsule: str, message: str = "", *, uuid: str = "", host: str = "",
                  at: float | None = None, change: str = "") -> EventRecord | None:
        """Append an event; None when `change` was already recorded as one.

        `change` names the fact itself (runtime.state.changes: a container id and the
        engine's finish time of the run that exited, say), so that every process which
        notices it (reconcile, the engine-event follower, the watcher) records it once.
        """
        moment = at or time.time()
        with self.transaction():
            db = self._db
            if change and db.execute("SELECT 1 FROM event_changes WHERE change = ?", (change,)).fetchone():
                return None
            cursor = db.execute(
                "INSERT INTO events (time, capsule, uuid, host, kind, message) VALUES (?, ?, ?, ?, ?, ?)",
                (moment, capsule, uuid, host, kind, message),
            )
            event_id = int(cursor.lastrowid or 0)
            if change:
                db.execute("INSERT INTO event_changes (change, capsule_uuid, event_id) VALUES (?, ?, ?)",
                           (change, uuid, event_id))
        return EventRecord(event_id, moment, capsule, uuid, host, kind, message)

    @_operation
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

    @_operation
    def last_event_id(self) -> int:
        row = self._db.execute("SELECT MAX(id) FROM events").fetchone()
        return int(row[0] or 0)

    # -- revisions ------------------------------------------------------------

    @_operation
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

    @_operation
    def finish_revision(self, name: str, number: int, outcome: str, reason: str = "") -> None:
        with self.transaction():
            self._db.execute(
                "UPDATE revisions SET outcome = ?, reason = ?, finished_at = ? WHERE name = ? AND revision = ?",
                (outcome, reason, time.time(), name, number))

    @_operation
    def revisions(self, name: str) -> list[Revision]:
        rows = self._db.execute("SELECT * FROM revisions WHERE name = ? ORDER BY revision", (name,)).fetchall()
        return [_revision(row) for row in rows]

    @_operation
    def revision(self, name: str, number: int) -> Revision | None:
        row = self._db.execute("SELECT * FROM revisions WHERE name = ? AND revision = ?",
                               (name, number)).fetchone()
        return _revision(row) if row else None

    @_operation
    def latest_revision(self, name: str) -> int:
        """The highest revision number recorded for the name, 0 when none is."""
        row = self._db.execute("SELECT MAX(revision) FROM revisions WHERE name = ?", (name,)).fetchone()
        return int(row[0] or 0)

    @_operation
    def forget_revisions(self, name: str) -> None:
        with self.transaction():
            self._db.execute("DELETE FROM revisions WHERE name = ?", (name,))

    # -- ConfigMaps and Secrets (runtime/state/config_objects.py seals a Secret's data) ---

    @_operation
    def save_config_object(self, kind: str, namespace: str, name: str, keys: list[str], data: bytes,
                           created_at: float) -> None:
        """Insert or replace one object: a later create of the same one replaces it, as apply would."""
        with self.transaction():
            self._db.execute(
                "INSERT OR REPLACE INTO config_objects (kind, namespace, name, keys, data, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?)", (kind, namespace, name, json.dumps(keys), data, created_at))

    @_operation
    def config_objects(self, kind: str, namespace: str | None = None) -> list[tuple[str, str, list[str], float]]:
        """(namespace, name, keys, created_at) of each object of the kind; never the data."""
        sql = "SELECT namespace, name, keys, created_at FROM config_objects WHERE kind = ?"
        params: tuple[str, ...] = (kind,)
        if namespace is not None:
            sql, params = sql + " AND namespace = ?", (kind, namespace)
        rows = self._db.execute(sql + " ORDER BY namespace, name", params).fetchall()
        return [(row[0], row[1], json.loads(row[2]), row[3]) for row in rows]

    @_operation
    def config_object_data(self, kind: str, namespace: str, name: str) -> bytes | None:
        row = self._db.execute("SELECT data FROM config_objects WHERE kind = ? AND namespace = ? AND name = ?",
                               (kind, namespace, name)).fetchone()
        return bytes(row[0]) if row else None

    @_operation
    def delete_config_object(self, kind: str, namespace: str, name: str) -> bool:
        with self.transaction():
            gone = self._db.execute("DELETE FROM config_objects WHERE kind = ? AND namespace = ? AND name = ?",
                                    (kind, namespace, name))
        return gone.rowcount > 0

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
    with open(lock_path, "a", opener=private_opener) as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


def _connection(target: Path) -> sqlite3.Connection:
    # The file is made 0600 before SQLite opens it: SQLite gives the -wal and -shm it
    # creates the database file's mode. Ones left by an older capsule are tightened.
    private_file(target)
    for suffix in ("-wal", "-shm"):
        private_file(Path(f"{target}{suffix}"), create=False)
    return sqlite3.connect(target, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)


def _set_up(connection: sqlite3.Connection, target: Path) -> None:
    """The connection's settings, and the schema migrated: the first statements that read the file."""
    connection.row_factory = sqlite3.Row
    connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("PRAGMA synchronous = NORMAL")
    connection.execute("PRAGMA foreign_keys = ON")
    _migrate(connection, target)


def _set_up_fresh(target: Path) -> sqlite3.Connection:
    connection = _connection(target)
    try:
        _set_up(connection, target)
    except BaseException:
        connection.close()
        raise
    return connection


def _put_aside(target: Path, damage: sqlite3.Error, connection: sqlite3.Connection) -> Path:
    """Move the damaged database aside, then close the connection that found the damage.

    In that order: closing the last connection to a file checkpoints its -wal into it
    and deletes the -wal, unless SQLite sees that the file was moved. The copy keeps
    every byte, its -wal and -shm included.
    """
    try:
        broken = move_aside(target)
    finally:
        with contextlib.suppress(sqlite3.Error):
            connection.close()
    log.warning(replaced_warning(target, broken, damage))
    return broken


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return None
    return info.st_dev, info.st_ino


def _translate(exc: sqlite3.Error | OSError, path: Path, *, after_fresh: bool) -> StoreError:
    if after_fresh and is_damaged(exc):
        return damaged_again(exc, path)
    return store_error(exc, path, busy_seconds=BUSY_TIMEOUT_MS / 1000)


# Columns later schema versions added to existing tables: (table, column, declaration).
_ADDED_COLUMNS = (("containers", "last_termination", "TEXT NOT NULL DEFAULT ''"),)


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
            for table, column, declaration in _ADDED_COLUMNS:
                known = {row[1] for row in connection.execute(f"PRAGMA table_info({table})")}
                if column not in known:  # a table an older capsule made (CREATE IF NOT EXISTS kept it)
                    connection.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")
            connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        except BaseException:
            if connection.in_transaction:  # SQLite rolls back by itself on a full disk
                with contextlib.suppress(sqlite3.Error):
                    connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")
