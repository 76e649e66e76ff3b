"""ConfigMaps and Secrets that `capsule create -f` keeps, for later inputs to refer to.

As with kubectl, creating a file stores its ConfigMaps and Secrets by namespace and
name (a later create of the same one replaces it); a capsule created afterwards
resolves a reference to one it does not carry itself (translate/references.py).
They live in the state store's `config_objects` table: a ConfigMap's data as JSON,
a Secret's sealed with Fernet (AES and an HMAC, from `cryptography`, which asyncssh
already brings) under a key of this user's, `secrets.key` beside state.db (0600, in
the 0700 folder). So no Secret value is plain text in state.db, its WAL or a copy of
them; like a kubeconfig or ~/.docker/config.json, the user's own account can read
them. Key names are kept in the clear: lists show them, never a value.
"""

from __future__ import annotations

import base64
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runtime.errors import StoreError, UnresolvedReferences
from runtime.paths import private_opener
from runtime.state.store import Store
from translate.references import SECRET, ConfigObject, Lookup, has_references, input_first, resolve

KEY_FILE = "secrets.key"


@dataclass(frozen=True)
class StoredObject:
    """What a list shows of one stored object: never its data."""

    kind: str
    namespace: str
    name: str
    keys: tuple[str, ...]
    created_at: float


def save(store: Store, objects: list[ConfigObject], *, now: float | None = None) -> None:
    """Keep every object, replacing a stored one of the same kind, namespace and name."""
    when = time.time() if now is None else now
    for obj in objects:
        data = _encode(obj.data)
        if obj.kind == SECRET:
            data = _fernet(store).encrypt(data)
        store.save_config_object(obj.kind, obj.namespace, obj.name, list(obj.keys()), data, when)


def lookup(store: Store) -> Lookup:
    """The `Lookup` that translate/references.py resolves with: reads (and unseals) on demand."""

    def find(kind: str, namespace: str, name: str) -> ConfigObject | None:
        data = store.config_object_data(kind, namespace, name)
        if data is None:
            return None
        if kind == SECRET:
            data = _unseal(store, data, f"{namespace}/{name}")
        return ConfigObject(kind, namespace, name, _decode(data, secret=kind == SECRET))

    return find


def resolve_translation(store: Store, translation: Any) -> None:
    """Resolve the translation's references to objects it lacks, in place; UnresolvedReferences
    (exit 2) naming each miss.

    Nothing to resolve (every Secret in the input, no ConfigMap reference): the store is not read.
    """
    if not _refers_outside(translation):
        return
    capsules, problems = resolve(translation.capsules, translation.secrets,
                                 input_first(translation.config_objects, lookup(store)), translation.origins)
    if problems:
        raise UnresolvedReferences(problems)
    translation.capsules = capsules


def problems(store: Store, translation: Any) -> list[str]:
    """What `resolve_translation` would refuse (one line each), the translation left as it is:
    the terminal UI's preview says a missing reference before ctrl+s."""
    if not _refers_outside(translation):
        return []
    return resolve(translation.capsules, translation.secrets.copy(),
                   input_first(translation.config_objects, lookup(store)), translation.origins)[1]


def _refers_outside(translation: Any) -> bool:
    """Whether a capsule refers to a ConfigMap or Secret the input may lack (else the store is not read)."""
    return any(has_references(c) or not all(translation.secrets.of(c.namespace).has(n) for n in c.secret_names)
               for c in translation.capsules)


def listing(store: Store, kind: str, namespace: str | None = None) -> list[StoredObject]:
    return [StoredObject(kind, ns, name, tuple(keys), created)
            for ns, name, keys, created in store.config_objects(kind, namespace)]


def remove(store: Store, kind: str, namespace: str, name: str) -> bool:
    return store.delete_config_object(kind, namespace, name)


# -- encoding and sealing ------------------------------------------------------------------


def _encode(data: dict[str, str | bytes]) -> bytes:
    out = {key: ({"text": value} if isinstance(value, str) else {"base64": base64.b64encode(value).decode()})
           for key, value in data.items()}
    return json.dumps(out, sort_keys=True).encode()


def _decode(raw: bytes, *, secret: bool) -> dict[str, str | bytes]:
    out: dict[str, str | bytes] = {}
    for key, value in json.loads(raw).items():
        item = value["text"] if "text" in value else base64.b64decode(value["base64"])
        out[key] = item.encode() if secret and isinstance(item, str) else item
    return out


def _key_path(store: Store) -> Path:
    return store.path.with_name(KEY_FILE)


def _fernet(store: Store, *, create: bool = True):  # type: ignore[no-untyped-def]
    from cryptography.fernet import Fernet  # only when a Secret is stored or read

    path = _key_path(store)
    try:
        return Fernet(path.read_bytes().strip())
    except FileNotFoundError:
        if not create:
            raise
    except ValueError as exc:
        raise StoreError(f"{path} is not a key capsule made ({exc}); move it away and create the Secrets "
                         "again") from None
    # Written whole under a temporary name, then linked into place: a process killed midway
    # leaves no empty key, and of two processes making it at once, the second takes the first's.
    key = Fernet.generate_key()
    temporary = path.with_name(f".{KEY_FILE}.{os.getpid()}")
    with open(temporary, "wb", opener=private_opener) as out:
        out.write(key)
        out.flush()
        os.fsync(out.fileno())
    try:
        os.link(temporary, path)
    except FileExistsError:
        key = path.read_bytes().strip()
    finally:
        temporary.unlink(missing_ok=True)
    return Fernet(key)


def _unseal(store: Store, sealed: bytes, ref: str) -> bytes:
    from cryptography.fernet import InvalidToken

    try:
        return _fernet(store, create=False).decrypt(sealed)
    except (FileNotFoundError, InvalidToken):
        raise StoreError(f"the stored Secret {ref} cannot be read: {_key_path(store)} is missing or is not "
                         "the key it was sealed with; create the Secret again (capsule create -f)") from None
