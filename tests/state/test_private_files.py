"""Everything capsule writes in its state folder is private: the folder 0700, the files 0600.

The state database holds specs, inlined ConfigMap files and the event log, so it is
kept as private as the host inventory. Each test runs under a real umask 022 (the
usual one, which made the folder 0755 and the files 0644 before) and reads the modes
back with os.stat. A folder or file found more open is tightened, with one warning
naming it and both modes; a second run says nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sqlite3
import stat

import pytest

from capsule_tui import view_memory
from runtime import paths
from runtime.placement.host_lock import HostLock
from runtime.state.store import Store
from runtime.watch.cursor import WatchCursor, watch_lock


@pytest.fixture
def umask_022():
    before = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(before)


@pytest.fixture
def home(tmp_path, monkeypatch, umask_022):
    """A CAPSULE_HOME that does not exist yet: capsule makes it."""
    folder = tmp_path / "home"
    monkeypatch.setenv("CAPSULE_HOME", str(folder))
    return folder


@pytest.fixture
def warnings(caplog):
    with caplog.at_level(logging.WARNING, logger="capsule"):
        yield caplog


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def warned(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "capsule" and r.levelno == logging.WARNING]


def test_the_umask_would_make_them_readable_by_everyone(tmp_path, umask_022):
    # What the tests below guard against: plain mkdir and open under this umask.
    (tmp_path / "folder").mkdir()
    (tmp_path / "file").write_text("")
    assert (mode(tmp_path / "folder"), mode(tmp_path / "file")) == (0o755, 0o644)


def test_the_database_its_wal_shm_and_opening_lock_are_private(home, warnings):
    with Store.open() as store:
        store.add_event("created", "web")  # the -wal and -shm exist while a connection is open
        assert sorted(p.name for p in home.iterdir()) == [
            "state.db", "state.db-shm", "state.db-wal", "state.db.open-lock"]
        assert mode(home) == 0o700
        assert {p.name: mode(p) for p in home.iterdir()} == {
            "state.db": 0o600, "state.db-shm": 0o600, "state.db-wal": 0o600, "state.db.open-lock": 0o600}
    assert warned(warnings) == []  # made private, not tightened: nothing to say


def test_host_locks_watcher_files_and_the_remembered_view_are_private(home, warnings):
    async def hold_a_host_lock() -> None:
        async with HostLock("web1", timeout=1):
            pass

    asyncio.run(hold_a_host_lock())  # first writer in the folder: it makes the state folder too
    cursor = WatchCursor()
    cursor.start_at("local", 1_000)
    with watch_lock():
        pass
    assert view_memory.save(view_memory.ListMemory(filter="web"), view_memory.default_path())

    made = {str(p.relative_to(home)): mode(p) for p in home.rglob("*")}
    assert made == {"locks": 0o700, "locks/web1.lock": 0o600, "watch-cursor.json": 0o600, "watch.lock": 0o600,
                    "tui.json": 0o600}
    assert mode(home) == 0o700
    assert warned(warnings) == []


def test_a_folder_and_database_left_open_are_tightened_with_one_warning_each(home, warnings):
    home.mkdir()  # as an older capsule left them under umask 022
    with contextlib.closing(sqlite3.connect(home / "state.db")) as old:
        old.execute("CREATE TABLE t (x)")
    assert (mode(home), mode(home / "state.db")) == (0o755, 0o644)

    Store.open().close()

    assert (mode(home), mode(home / "state.db")) == (0o700, 0o600)
    assert warned(warnings) == [
        f"capsule: warning: {home} was open to other users (mode 0755); changed it to 0700: capsule's state "
        f"(specs, ConfigMap files, events) is for your user only",
        f"capsule: warning: {home / 'state.db'} was open to other users (mode 0644); changed it to 0600: "
        f"capsule's state (specs, ConfigMap files, events) is for your user only",
    ]
    warnings.clear()
    Store.open().close()
    assert warned(warnings) == []  # once: the next run finds them private


def test_a_wal_and_shm_left_open_are_tightened_before_sqlite_reuses_them(home, warnings):
    home.mkdir(mode=0o700)
    # A process of an older capsule still has the database open: its -wal and -shm are 0644.
    older = sqlite3.connect(home / "state.db", isolation_level=None)
    try:
        older.execute("PRAGMA journal_mode = WAL")
        older.execute("CREATE TABLE t (x)")
        os.chmod(home / "state.db", 0o644)
        assert (mode(home / "state.db-wal"), mode(home / "state.db-shm")) == (0o644, 0o644)
        with Store.open() as store:
            store.add_event("created", "web")
            assert {name: mode(home / name) for name in ("state.db", "state.db-wal", "state.db-shm")} == {
                "state.db": 0o600, "state.db-wal": 0o600, "state.db-shm": 0o600}
    finally:
        older.close()
    assert sorted(m.split(" was open")[0] for m in warned(warnings)) == sorted(
        f"capsule: warning: {home / name}" for name in ("state.db", "state.db-shm", "state.db-wal"))


def test_other_files_left_open_are_tightened_too(home, warnings):
    (home / "locks").mkdir(parents=True)
    for name in ("locks/web1.lock", "watch.lock", "watch-cursor.json"):
        (home / name).write_text("")
    os.chmod(home, 0o700)

    async def hold() -> None:
        async with HostLock("web1", timeout=1):
            pass

    asyncio.run(hold())
    with watch_lock():
        pass
    WatchCursor().start_at("local", 1)

    assert {str(p.relative_to(home)): mode(p) for p in home.rglob("*")} == {
        "locks": 0o700, "locks/web1.lock": 0o600, "watch.lock": 0o600, "watch-cursor.json": 0o600}
    assert [m.split(" was open")[0] for m in warned(warnings)] == [
        f"capsule: warning: {home / 'locks'}", f"capsule: warning: {home / 'locks' / 'web1.lock'}",
        f"capsule: warning: {home / 'watch.lock'}"]  # the cursor is replaced by a new 0600 file


def test_tightening_keeps_the_owners_bits(tmp_path, warnings):
    read_only = tmp_path / "kept-read-only"
    read_only.write_text("")
    os.chmod(read_only, 0o444)
    paths.private_file(read_only)
    assert mode(read_only) == 0o400  # others lose reading; the owner does not gain writing
    assert "(mode 0444); changed it to 0400" in warned(warnings)[0]


def test_a_shared_folder_is_left_as_it_is_with_a_warning(tmp_path, monkeypatch, umask_022, warnings):
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o1777)  # as /tmp: taking the others' access away is not capsule's call
    monkeypatch.setenv("CAPSULE_HOME", str(shared))
    Store.open().close()
    assert mode(shared) == 0o1777
    assert mode(shared / "state.db") == 0o600
    [message] = warned(warnings)
    assert f"{shared} is open to other users (mode 1777)" in message and "CAPSULE_HOME" in message
