"""ConfigMaps and Secrets outside the input, for `capsule create`.

Before anything is built, `resolve_and_keep` has the service (`CapsuleService.resolve_and_keep`,
which the terminal UI's create calls too) resolve the references a translation kept (to
ConfigMaps and Secrets not in its files) from those an earlier create, update or apply
stored (a miss is one error line each: exit 2, naming the field and namespace/name/key,
nothing done), then store the input's own ConfigMaps and Secrets, as kubectl creates
them, saying so on standard error. The service resolves again in create, update and
apply, which is then a no-op.
"""

from __future__ import annotations

import sys
from typing import Any

from capsule_tui.commands.exits import error


def resolve_and_keep(command: str, service: Any, translation: Any) -> bool:
    """False after one error line per reference that resolves nowhere (the caller exits 2)."""
    from runtime.errors import UnresolvedReferences

    try:
        stored = service.resolve_and_keep(translation)
    except UnresolvedReferences as exc:
        for problem in exc.problems:
            error(command, problem)
        return False
    say_stored(stored)
    return True


def say_stored(objects: Any) -> None:
    """One line on stderr per ConfigMap or Secret kept in the state folder (its name, never its data)."""
    for obj in objects:
        print(f"{obj.kind.lower()}/{obj.name} stored in namespace {obj.namespace}", file=sys.stderr)
