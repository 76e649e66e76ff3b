"""The stored ConfigMaps and Secrets: sealed at rest, private, and a lost key said plainly.

A real state database in a temporary folder, read back by a second client (sqlite3) and
byte by byte; no engine.
"""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

import pytest

from runtime.errors import StoreError, UnresolvedReferences
from runtime.state import config_objects
from runtime.state.store import Store
from translate.references import CONFIG_MAP, SECRET, ConfigObject
from translate.translation import translate_text

VALUE = "pa55-Stored-Value-77"


@pytest.fixture
def store(tmp_path: Path):  # type: ignore[no-untyped-def]
    with Store.open(tmp_path / "state" / "state.db") as opened:
        yield opened


def test_a_secret_is_sealed_and_reads_back(store: Store) -> None:
    config_objects.save(store, [ConfigObject(SECRET, "shop", "db", {"password": VALUE.encode(), "bin": b"\0\1"}),
                                ConfigObject(CONFIG_MAP, "shop", "settings", {"level": "debug", "raw": b"\xff"})],
                        now=100.0)
    find = config_objects.lookup(store)
    assert find(SECRET, "shop", "db").data == {"password": VALUE.encode(), "bin": b"\0\1"}
    assert find(CONFIG_MAP, "shop", "settings").data == {"level": "debug", "raw": b"\xff"}
    assert find(SECRET, "default", "db") is None  # namespaced
    assert [(o.namespace, o.name, o.keys, o.created_at) for o in config_objects.listing(store, SECRET)] == [
        ("shop", "db", ("bin", "password"), 100.0)]
    rows = sqlite3.connect(store.path).execute("SELECT kind, data FROM config_objects").fetchall()
    assert VALUE.encode() not in b"".join(bytes(data) for _, data in rows)
    for path in store.path.parent.iterdir():
        assert VALUE.encode() not in path.read_bytes(), path
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path
    assert (store.path.parent / config_objects.KEY_FILE).exists()


def test_a_later_save_replaces_and_a_removed_one_is_gone(store: Store) -> None:
    config_objects.save(store, [ConfigObject(SECRET, "default", "db", {"a": b"1"})])
    config_objects.save(store, [ConfigObject(SECRET, "default", "db", {"b": b"2"})])
    assert config_objects.lookup(store)(SECRET, "default", "db").data == {"b": b"2"}
    assert config_objects.remove(store, SECRET, "default", "db")
    assert not config_objects.remove(store, SECRET, "default", "db")
    assert config_objects.listing(store, SECRET) == []


def test_a_lost_key_is_a_store_error_that_says_what_to_do(store: Store) -> None:
    config_objects.save(store, [ConfigObject(SECRET, "default", "db", {"a": b"1"})])
    (store.path.parent / config_objects.KEY_FILE).unlink()
    with pytest.raises(StoreError, match=r"stored Secret default/db cannot be read: .*secrets.key is missing"):
        config_objects.lookup(store)(SECRET, "default", "db")


def test_resolving_a_translation_names_every_miss(store: Store) -> None:
    pod = ("apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec:\n  containers:\n  - name: c\n    image: busybox:1.36\n"
           "    env: [{name: X, valueFrom: {secretKeyRef: {name: db, key: password}}}]\n")
    translation = translate_text(pod, "a.yaml")
    with pytest.raises(UnresolvedReferences) as caught:
        config_objects.resolve_translation(store, translation)
    assert caught.value.exit_code == 2
    assert caught.value.problems == [
        "a.yaml#1 Pod/a: spec.containers[c].env[X].valueFrom.secretKeyRef: refers to Secret 'default/db', which "
        "is neither in the input nor created before; give it with the same command (-f app.yaml -f secret.yaml), "
        "create it first (capsule create -f secret.yaml), or set optional: true"]
    config_objects.save(store, [ConfigObject(SECRET, "default", "db", {"password": VALUE.encode()})])
    config_objects.resolve_translation(store, translation)
    assert translation.secrets.of("default").value("db", "password") == VALUE.encode()
