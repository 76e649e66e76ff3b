"""The state database under faults: a full disk, a damaged file, a lock held, a folder not ours.

No sqlite3 error leaves the store: each becomes a StoreError that names the file and
says what to do, with `cause` (and `disk_full`, ...) for callers that word their own
message. A damaged file (random bytes, or an intact header over malformed pages) is
moved aside with its -wal/-shm, kept byte for byte, and a fresh database takes its
place; the capsules come back from the hosts on the next reconcile. A permission
problem or a lock held by another process is never taken for damage.

The full disk is real twice over: SQLite's own SQLITE_FULL (a low `max_page_count`
on the connection) and a small tmpfs filled to the last block (needs mount; skipped
with the reason where it is not allowed).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import gc
import inspect
import json
import logging
import os
import random
import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from runtime.errors import StoreError
from runtime.labels import LABEL_MANAGED_BY, LABEL_NAME, LABEL_ROLE, LABEL_SPEC, LABEL_UUID
from runtime.observe.observed import ObservedCapsule, ObservedContainer, group_by_capsule
from runtime.observe.status import RUNNING, STARTING
from runtime.state import store as store_module
from runtime.state.reconcile import reconcile_host
from runtime.state.records import Revision, record_from_spec
from runtime.state.store import Store
from support.capsule_cli import cli, free_port
from support.requirements import require_root, unavailable

LOST = "Lost: the event log and the revision history before now; capsules are read again from the hosts"


@pytest.fixture
def home(tmp_path, monkeypatch):
    folder = tmp_path / "home"
    monkeypatch.setenv("CAPSULE_HOME", str(folder))
    return folder


@pytest.fixture
def warnings(caplog):
    with caplog.at_level(logging.WARNING, logger="capsule"):
        yield caplog


def warned(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "capsule" and r.levelno == logging.WARNING]


def broken_copies(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".broken-" in p.name)


def noise(size: int) -> bytes:
    """Random bytes, the same on every run (a test that passes once passes always)."""
    return random.Random(size).randbytes(size)


def damage_warnings(caplog) -> list[str]:
    return [m for m in warned(caplog) if "was damaged" in m]  # not the ones about modes


def doc(name: str = "web") -> dict:
    return {"apiVersion": "beta", "kind": "capsule", "metadata": {"name": name},
            "spec": {"containers": [{"name": "web", "image": "busybox:1.36"}]}}


def observed(name: str = "web", uuid: str = "u-1") -> ObservedCapsule:
    """A capsule as a host reports it: its sandbox and one member, with their labels."""
    labels = {LABEL_MANAGED_BY: "capsule", LABEL_NAME: name, LABEL_UUID: uuid, LABEL_SPEC: json.dumps(doc(name))}
    [capsule] = group_by_capsule("local", [
        ObservedContainer(f"{uuid}-sb", name, "sandbox", "", "registry.k8s.io/pause:3.10", "running",
                          started_at="2024-05-01T10:00:00Z", labels={**labels, LABEL_ROLE: "sandbox"}),
        ObservedContainer(f"{uuid}-web", f"{name}.web", "member", "web", "busybox:1.36", "running",
                          labels={**labels, LABEL_ROLE: "member"}),
    ])
    return capsule


def filled_database(path: Path, capsules: int = 200) -> bytes:
    """A real state database with capsules, events and revisions in it, closed; its bytes."""
    with Store.open(path) as store:
        for i in range(capsules):
            store.save(record_from_spec(doc(f"c{i}"), uuid=f"u-{i}", host="local", status=RUNNING),
                       with_containers=True)
            store.add_event("created", f"c{i}", "x" * 200)
        store.save_revision(Revision(name="c0", revision=1, host="local", uuid="u-0", spec=doc("c0"), images=[],
                                     created_at=1.0, finished_at=None, outcome="ok"))
    return path.read_bytes()


# -- every error is a StoreError --------------------------------------------------------------

CALLS = {  # every public operation, with arguments
    "capsules": (), "find": ("web",), "get": ("u-1",), "containers": ("u-1",), "restart_counts": (),
    "container": ("c-1",), "events": (), "last_event_id": (), "revisions": ("web",), "revision": ("web", 1),
    "latest_revision": ("web",), "forget_revisions": ("web",), "delete": ("u-1",), "add_event": ("created", "web"),
    "finish_revision": ("web", 1, "ok"), "note_container": ("c-1",),
    "save": (record_from_spec(doc(), uuid="u-1", host="local", status=STARTING),),
    "claim": (record_from_spec(doc(), uuid="u-1", host="local", status=STARTING),),
    "save_revision": (Revision(name="web", revision=1, host="local", uuid="u-1", spec={}, images=[], created_at=1.0,
                               finished_at=None, outcome="ok"),),
    "save_config_object": ("Secret", "default", "db", ["password"], b"sealed", 1.0),
    "config_objects": ("Secret",), "config_object_data": ("Secret", "default", "db"),
    "delete_config_object": ("Secret", "default", "db"),
    "close": (),
}
KWARGS = {"note_container": {"state": "running"}}


def test_the_list_of_calls_covers_every_public_operation():
    public = {name for name, member in vars(Store).items()
              if inspect.isfunction(member) and not name.startswith("_")} - {"trace", "transaction"}
    assert public == set(CALLS)


class FailingConnection:
    """Every call fails as an sqlite3 connection does when the disk fails under it."""

    in_transaction = False

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        def fail(*args: object, **kwargs: object) -> None:
            raise sqlite3.OperationalError("disk I/O error")

        return fail


@pytest.mark.parametrize("name", sorted(CALLS))
def test_every_operation_turns_an_sqlite_error_into_a_store_error(tmp_path, name):
    store = Store.open(tmp_path / "state.db")
    store._db.close()
    store._db = FailingConnection()
    with pytest.raises(StoreError, match=f"the state database {tmp_path / 'state.db'} cannot be used") as caught:
        getattr(store, name)(*CALLS[name], **KWARGS.get(name, {}))
    assert isinstance(caught.value.__cause__, sqlite3.Error)
    assert caught.value.path == tmp_path / "state.db"


def test_a_transaction_that_cannot_begin_is_a_store_error(tmp_path):
    store = Store.open(tmp_path / "state.db")
    store._db.close()  # "Cannot operate on a closed database"
    with pytest.raises(StoreError), store.transaction():
        pass


# -- a full disk ------------------------------------------------------------------------------


def test_a_full_database_is_a_store_error_that_says_the_disk_is_full(home):
    with Store.open() as store:
        store.add_event("created", "web")
        # SQLite's own SQLITE_FULL, for real: the file may not grow past its pages now.
        pages = store._db.execute("PRAGMA page_count").fetchone()[0]
        store._db.execute(f"PRAGMA max_page_count = {pages}")
        written = 1
        with pytest.raises(StoreError) as caught:
            for _ in range(100):
                store.add_event("created", "web", "x" * 3000)
                written += 1
        error = caught.value
        assert error.disk_full and error.cause == StoreError.DISK_FULL and error.exit_code == 1
        assert str(error) == (
            f"the state database {home / 'state.db'} cannot be used: the disk holding it is full (database or disk "
            f"is full); free some space there and run the command again, or set CAPSULE_HOME to a folder on "
            f"another disk")
        assert len(store.events()) == written  # what was written is still read


def test_a_full_disk_inside_a_callers_transaction_is_the_store_error_not_a_failed_rollback(home):
    # SQLite rolls the transaction back by itself on SQLITE_FULL; the store's own ROLLBACK
    # then failed with "cannot rollback - no transaction is active" and hid the cause.
    with Store.open() as store:
        pages = store._db.execute("PRAGMA page_count").fetchone()[0]
        store._db.execute(f"PRAGMA max_page_count = {pages + 1}")
        with pytest.raises(StoreError) as caught, store.transaction():
            store.save(record_from_spec(doc(), uuid="u-1", host="local", status=STARTING))
            for _ in range(100):
                store.add_event("created", "web", "x" * 3000)
        assert caught.value.disk_full
        assert store.find("web") == []  # the transaction is gone as a whole
        store._db.execute("PRAGMA max_page_count = 1000000")
        store.save(record_from_spec(doc(), uuid="u-1", host="local", status=STARTING))  # and the store goes on
        assert [r.uuid for r in store.find("web")] == ["u-1"]


@pytest.fixture
def small_disk(tmp_path):
    """A 1 MiB tmpfs of our own (root and mount needed; skipped with the reason otherwise)."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    try:
        mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount_point)],
                                 capture_output=True, text=True, timeout=30)
    except FileNotFoundError:
        unavailable("no mount command to make a small file system to fill")
    if mounted.returncode != 0:
        unavailable(f"cannot mount a small tmpfs to fill (needs root and mount): {mounted.stderr.strip()}")
    try:
        yield mount_point
    finally:
        if subprocess.run(["umount", str(mount_point)], timeout=30).returncode != 0:
            gc.collect()  # a connection a failed test left open keeps it busy
            subprocess.run(["umount", "--lazy", str(mount_point)], check=True, timeout=30)


def fill(folder: Path) -> Path:
    filler = folder / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError as exc:
        assert exc.errno == errno.ENOSPC, exc
    finally:
        os.close(fd)
    return filler


def test_a_really_full_disk_is_a_store_error_and_the_store_works_again_once_space_is_freed(small_disk, monkeypatch):
    monkeypatch.setenv("CAPSULE_HOME", str(small_disk / "home"))
    database = small_disk / "home" / "state.db"
    with Store.open() as store:
        reconcile_host(store, "local", [observed()], True)
        filler = fill(small_disk)

        for attempt in (lambda: store.add_event("created", "web", "x" * 8000),
                        lambda: reconcile_host(store, "local", [observed("api", "u-2")], True),
                        lambda: store.claim(record_from_spec(doc("db"), uuid="u-3", host="local", status=STARTING))):
            with pytest.raises(StoreError) as caught:
                for _ in range(50):  # the -wal may have room for a page or two
                    attempt()
            assert caught.value.disk_full, caught.value
            assert f"the state database {database} cannot be used: the disk holding it is full" in str(caught.value)
        assert [r.name for r in store.capsules()] == ["web"]  # reading still works

        with pytest.raises(StoreError, match="the disk holding it is full") as caught:
            Store.open(small_disk / "elsewhere" / "state.db")
        assert caught.value.disk_full

        filler.unlink()
        store.add_event("created", "web")
        assert [r.name for r in reconcile_host(store, "local", [observed("api", "u-2")], True).records] == ["api"]
    assert broken_copies(database.parent) == []  # a full disk is not damage


def test_damage_found_on_a_full_disk_is_moved_aside_and_the_fresh_start_waits_for_room(small_disk, warnings):
    database = small_disk / "home" / "state.db"
    original = filled_database(database, capsules=5)
    database.write_bytes(original[:4096] + noise(len(original) - 4096))
    with Store.open(database) as store:  # the first page is intact: opening works
        filler = fill(small_disk)
        with pytest.raises(StoreError, match="the disk holding it is full") as caught:
            store.capsules()  # meets the damage; the file goes aside, but a fresh one has no room
        assert caught.value.disk_full
        [copy, *_] = broken_copies(database.parent)
        assert [m.split(" was damaged")[0] for m in damage_warnings(warnings)] == [
            f"capsule: warning: the state database {database}"]
        with pytest.raises(StoreError, match="the disk holding it is full"):
            store.events()  # still no room: the same words, not "a closed database"
        filler.unlink()
        assert store.capsules() == []  # room again: the fresh database opens at the next operation
        store.add_event("created", "web")
    assert (database.parent / copy).read_bytes()[:4096] == original[:4096]


def test_a_read_only_file_system_is_a_store_error_that_says_so_and_moves_nothing(small_disk):
    database = small_disk / "home" / "state.db"
    filled_database(database, capsules=3)
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True, timeout=30)
    try:
        with pytest.raises(StoreError, match="it is read-only") as caught:
            Store.open(database)
        assert caught.value.read_only
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(small_disk)], check=True, timeout=30)
    assert broken_copies(database.parent) == []


# -- a damaged file ---------------------------------------------------------------------------


def test_random_bytes_are_moved_aside_and_a_fresh_database_opens(home, warnings):
    home.mkdir()
    garbage = noise(20_000)
    (home / "state.db").write_bytes(garbage)

    with Store.open() as store:
        store.add_event("created", "web")
        assert [e.kind for e in store.events()] == ["created"]

    [copy] = broken_copies(home)
    assert copy.startswith("state.db.broken-")
    assert (home / copy).read_bytes() == garbage
    assert damage_warnings(warnings) == [
        f"capsule: warning: the state database {home / 'state.db'} was damaged (file is not a database); it was "
        f"moved to {home / copy} (with its -wal and -shm files, if any) and capsule starts a fresh one. {LOST}"]


@pytest.mark.parametrize("intact", [100, 4096], ids=["header", "first-page"])
def test_malformed_pages_under_an_intact_header_are_moved_aside_with_the_wal(home, warnings, intact):
    original = filled_database(home / "state.db")
    damaged = original[:intact] + noise(len(original) - intact)
    (home / "state.db").write_bytes(damaged)
    (home / "state.db-wal").write_bytes(b"")  # as a process that died left it: it goes aside too

    with Store.open() as store:  # the first page intact: the damage shows only on a query
        assert store.capsules() == [] and store.events() == []
        reconcile_host(store, "local", [observed()], True)  # the capsules come back from the hosts
        assert [r.name for r in store.capsules()] == ["web"]

    [copy, *companions] = broken_copies(home)
    assert (home / copy).read_bytes() == damaged
    assert copy + "-wal" in companions and set(companions) <= {copy + "-wal", copy + "-shm"}
    [message] = damage_warnings(warnings)  # once, though two queries met the damage
    assert f"it was moved to {home / copy}" in message and message.endswith(LOST)


def test_damage_met_inside_a_callers_transaction_goes_on_in_the_fresh_database(home, warnings):
    original = filled_database(home / "state.db")
    (home / "state.db").write_bytes(original[:4096] + noise(len(original) - 4096))
    with Store.open() as store:
        with store.transaction():
            assert store.find("c1") == []
            store.save(record_from_spec(doc(), uuid="u-1", host="local", status=STARTING))
        assert [r.uuid for r in store.find("web")] == ["u-1"]
    assert len(damage_warnings(warnings)) == 1


def test_a_second_connection_follows_the_fresh_database_without_moving_it_again(home, warnings):
    original = filled_database(home / "state.db")
    first, second = Store.open(), Store.open()  # the command's and the UI's store thread, or two processes
    try:
        (home / "state.db").write_bytes(original[:4096] + noise(len(original) - 4096))
        first.add_event("created", "web")
        assert [e.capsule for e in second.events()] == ["web"]  # it reads the fresh file
        second.add_event("created", "api")
        assert [e.capsule for e in first.events()] == ["web", "api"]
    finally:
        first.close()
        second.close()
    [copy, *companions] = broken_copies(home)
    assert all(name.startswith(copy + "-") for name in companions)  # its -wal, -shm
    assert len(damage_warnings(warnings)) == 1


def test_a_folder_not_ours_is_a_permission_problem_not_damage(home):
    original = filled_database(home / "state.db", capsules=3)
    before = sorted(p.name for p in home.iterdir())
    if os.geteuid() == 0:
        os.chown(home, 65534, 65534)  # nobody's folder, 0700
        outcome = _without_root_powers(lambda: _open_and_tell(home / "state.db"))
    else:
        os.chmod(home, 0o000)
        try:
            outcome = _open_and_tell(home / "state.db")
        finally:
            os.chmod(home, 0o700)
    assert outcome.startswith("StoreError denied: "), outcome
    assert "check the folder's permissions" in outcome
    assert sorted(p.name for p in home.iterdir()) == before and (home / "state.db").read_bytes() == original


def test_a_wal_left_by_another_user_is_a_permission_problem_not_damage(home):
    # Another user's process had the database open (a `sudo capsule` the other way round):
    # its -wal and -shm are not ours, and SQLite answers "unable to open database file",
    # an OperationalError, which is a DatabaseError too: not damage all the same.
    require_root("to give the -wal and -shm to another user")
    original = filled_database(home / "state.db", capsules=3)
    with contextlib.closing(sqlite3.connect(home / "state.db", isolation_level=None)) as others:
        others.execute("SELECT COUNT(*) FROM events").fetchall()  # holds the -wal and -shm open
        os.chown(home / "state.db-wal", 65534, 65534)
        os.chown(home / "state.db-shm", 65534, 65534)
        before = sorted(p.name for p in home.iterdir())
        outcome = _without_root_powers(lambda: _open_and_tell(home / "state.db"))
        assert sorted(p.name for p in home.iterdir()) == before
    assert outcome == (f"StoreError denied: the state database {home / 'state.db'} cannot be used: it cannot be "
                       f"opened (unable to open database file); check the folder's permissions or set CAPSULE_HOME "
                       f"to a writable folder")
    assert (home / "state.db").read_bytes() == original


def _without_root_powers(work: Callable[[], str]) -> str:
    """`work()` in a child process that is root without its capabilities: permissions apply to it.

    (Becoming another user instead would not reach tmp_path: /tmp/pytest-of-root is 0700.)
    """
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(read)
            header = _CapHeader(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3
            nothing = (_CapData * 2)()
            if ctypes.CDLL(None, use_errno=True).capset(ctypes.byref(header), nothing) != 0:
                os.write(write, f"capset failed: {os.strerror(ctypes.get_errno())}".encode())
            else:
                os.write(write, work().encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as answer:
        text = answer.read().decode()
    os.waitpid(pid, 0)
    return text


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def _open_and_tell(path: Path) -> str:
    try:
        Store.open(path).close()
    except StoreError as exc:
        return f"StoreError {exc.cause}: {exc}"
    except BaseException as exc:  # noqa: BLE001 - told to the parent, which fails the test
        return f"{type(exc).__name__}: {exc}"
    return "opened"


def test_a_lock_held_by_another_process_is_busy_not_damage(home, monkeypatch):
    monkeypatch.setattr(store_module, "BUSY_TIMEOUT_MS", 200)
    original = filled_database(home / "state.db", capsules=3)
    with Store.open() as store, contextlib.closing(sqlite3.connect(home / "state.db", isolation_level=None)) as other:
        other.execute("BEGIN EXCLUSIVE")
        with pytest.raises(StoreError) as caught:
            store.add_event("created", "web")
        other.execute("ROLLBACK")
    assert caught.value.busy
    assert "another capsule process holds it" in str(caught.value) and "0.2 s" in str(caught.value)
    assert broken_copies(home) == [] and (home / "state.db").read_bytes() == original


# -- through the command line -----------------------------------------------------------------


@pytest.fixture
def no_host(monkeypatch):
    """The environment for `capsule` with one host that refuses at once (nothing listens on its port)."""
    for var in ("DOCKER_CONTEXT", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH"):
        monkeypatch.delenv(var, raising=False)
    return {"DOCKER_HOST": f"tcp://127.0.0.1:{free_port()}"}


def test_the_command_line_on_a_damaged_database_warns_once_and_goes_on(home, no_host):
    home.mkdir(mode=0o700)
    (home / "state.db").write_bytes(noise(20_000))
    first = cli("events", env={**no_host, "CAPSULE_HOME": str(home)}, timeout=60)
    assert first.returncode == 0, first.stderr
    [copy] = broken_copies(home)
    assert first.stderr.splitlines()[-2] == (
        f"capsule: warning: the state database {home / 'state.db'} was damaged (file is not a database); it was "
        f"moved to {home / copy} (with its -wal and -shm files, if any) and capsule starts a fresh one. {LOST}")
    again = cli("events", env={**no_host, "CAPSULE_HOME": str(home)}, timeout=60)
    assert again.returncode == 0 and "warning" not in again.stderr, again.stderr


def test_the_command_line_on_a_full_disk_says_so_with_exit_1_not_an_internal_error(small_disk, no_host):
    home = small_disk / "home"
    filled_database(home / "state.db", capsules=3)
    fill(small_disk)
    result = cli("list", env={**no_host, "CAPSULE_HOME": str(home)}, timeout=60)
    assert result.returncode == 1, result.stderr
    assert result.stderr.startswith(f"capsule list: error: the state database {home / 'state.db'} cannot be used: "
                                    f"the disk holding it is full"), result.stderr
    assert "internal error" not in result.stderr and broken_copies(home) == []
