"""ConfigMaps and Secrets outside the input, for the commands that run capsules.

`resolve_stored` fills the references a translation kept (to ConfigMaps and Secrets
not in its files) from those an earlier `capsule create -f` stored, before anything
is built: a reference that cannot be resolved is an error naming the capsule, the
field and namespace/name/key (the caller exits 2, with nothing done). `keep` stores
the input's own ConfigMaps and Secrets, which `create` does as kubectl does.
"""

from __future__ import annotations

import sys
from typing import Any

from capsule_tui.commands.exits import error


def _needs_store(translation: Any) -> bool:
    from translate.references import has_references

    return any(has_references(c) or not all(translation.secrets.has(n) for n in c.secret_names)
               for c in translation.capsules)


def resolve_stored(command: str, translation: Any) -> bool:
    """Resolve the translation's outside references in place; False after printing why not."""
    if not _needs_store(translation):
        return True  # nothing refers outside the input: the store is not even opened
    from runtime.errors import CapsuleError
    from runtime.state import config_objects
    from runtime.state.store import Store
    from translate.references import resolve

    try:
        with Store.open() as store:
            capsules, problems = resolve(translation.capsules, translation.secrets,
                                         config_objects.lookup(store), translation.origins)
    except CapsuleError as exc:
        error(command, str(exc))
        return False
    for problem in problems:
        error(command, problem)
    if problems:
        return False
    translation.capsules = capsules
    return True


def keep(command: str, translation: Any) -> bool:
    """Store the input's ConfigMaps and Secrets (one line each on stderr); False after printing why not."""
    if not translation.config_objects:
        return True
    from runtime.errors import CapsuleError
    from runtime.state import config_objects
    from runtime.state.store import Store

    try:
        with Store.open() as store:
            config_objects.save(store, translation.config_objects)
    except CapsuleError as exc:
        error(command, str(exc))
        return False
    for obj in translation.config_objects:
        print(f"{obj.kind.lower()}/{obj.name} stored in namespace {obj.namespace}", file=sys.stderr)
    return True
