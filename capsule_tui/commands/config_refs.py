"""ConfigMaps and Secrets outside the input, for `capsule create`.

Before anything is built, `resolve_and_keep` has the service resolve the references a
translation kept (to ConfigMaps and Secrets not in its files) from those an earlier
create stored (a miss is one error line each: exit 2, naming the field and namespace/name/key,
nothing done), then store the input's own ConfigMaps and Secrets, as kubectl creates
them, saying so on standard error. The service resolves again in create, update and
apply, which is then a no-op: the terminal UI gets the same through it.
"""

from __future__ import annotations

import sys
from typing import Any

from capsule_tui.commands.exits import error


def resolve_and_keep(command: str, service: Any, translation: Any) -> bool:
    """False after one error line per reference that resolves nowhere (the caller exits 2)."""
    from runtime.errors import UnresolvedReferences

    try:
        service.resolve_references(translation)
    except UnresolvedReferences as exc:
        for problem in exc.problems:
            error(command, problem)
        return False
    if translation.config_objects:
        service.keep_config_objects(translation)
        for obj in translation.config_objects:
            print(f"{obj.kind.lower()}/{obj.name} stored in namespace {obj.namespace}", file=sys.stderr)
    return True
