"""`capsule rollback`: switch a capsule back to a spec it ran before.

A rollback is an update (`runtime.update.update_capsule`) to a spec read from the
revisions table (`runtime.state.revisions`); it gets a NEW revision number (as
`kubectl rollout undo` does), so the history reads forwards: 1, 2, 3 (= 1 again).
Without `--to-revision` it goes to the newest earlier revision that served
(outcome replaced or serving), skipping failed ones.

Secrets: the values a running container got are not read back from it (that would
copy secrets out of a container into a new one behind the user's back). When the
earlier spec refers to Secrets, they come from the caller's file (`-f FILE` with the
Secret documents) first, else from the ones `capsule create|update|apply -f` stored
sealed (runtime/state/config_objects.py), in the capsule's namespace, as create
resolves them; one found in neither refuses the rollback before anything is touched,
naming it. (ConfigMap values were inlined into the spec when it was created.)

This module must not print.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from runtime.errors import BadRequest, CapsuleError
from runtime.state import config_objects, revisions
from runtime.state.records import Revision
from runtime.update import (
    DEFAULT_GRACE,
    DEFAULT_SETTLE,
    UpdateResult,
    _current_record,
    update_capsule,
)
from translate.diagnostics import TranslationError
from translate.references import resolve
from translate.secrets import SecretStore
from translate.spec import DEFAULT_NAMESPACE
from translate.translation import translate_text

if TYPE_CHECKING:
    from runtime.context import RuntimeContext
    from translate.secrets import SecretStore


async def rollback_capsule(
    ctx: RuntimeContext, name: str, *, to_revision: int | None = None, secrets: SecretStore | None = None,
    timeout: float = 120.0, settle: float = DEFAULT_SETTLE, grace: int = DEFAULT_GRACE,
    allow_privileged: bool = False, allow_host_path: bool = False, on_progress: Callable[..., Any] | None = None,
    uuid: str | None = None, host: str | None = None,
) -> UpdateResult:
    """With `uuid` / `host`: exactly that capsule of the name, back to a revision it ran on its own host."""
    record = await _current_record(ctx, name, refresh=True, uuid=uuid, host=host)
    store = ctx.store
    revisions.ensure_recorded(store, name=name, host=record.host, uuid=record.uuid, revision=record.revision,
                      spec=record.spec, created_at=record.created_at)
    target = _target(store, name, record.revision, to_revision,
                     host=record.host if uuid is not None or host is not None else None)
    where = f"revision {target.revision} of capsule {name}"
    try:
        capsule = translate_text(json.dumps(target.spec), file=where).capsules[0]
    except (TranslationError, IndexError) as exc:
        raise CapsuleError(f"the stored spec of {where} cannot be read back ({exc}); "
                           f"use capsule update {name} -f FILE instead") from None
    secrets = secrets if secrets is not None else SecretStore()
    own = secrets.of(capsule.namespace)  # its references name Secrets of its namespace
    problems: list[str] = []
    if any(not own.has(s) for s in capsule.secret_names):
        # Stored Secrets join the store; misses are named below, in the rollback's own words.
        problems = resolve([capsule], secrets, config_objects.lookup(store))[1]
    missing = sorted(s for s in capsule.secret_names if not own.has(s))
    if missing:
        raise BadRequest(
            f"{where} refers to the Secret(s) {', '.join(missing)}, which are neither given nor stored in "
            f"namespace {capsule.namespace or DEFAULT_NAMESPACE}; create them (capsule create -f SECRETS.yaml) or "
            f"pass a file that defines them: capsule rollback {name} --to-revision {target.revision} -f SECRETS.yaml"
        )
    if problems:  # a stored Secret without a key the spec needs
        raise BadRequest("; ".join(problems))
    return await update_capsule(
        ctx, capsule, secrets, timeout=timeout, settle=settle, grace=grace,
        allow_privileged=allow_privileged, allow_host_path=allow_host_path,
        source=f"rollback to revision {target.revision}", on_progress=on_progress, refresh=False,
        uuid=record.uuid, host=record.host,
    )


def _target(store: Any, name: str, current: int, wanted: int | None, *, host: str | None = None) -> Revision:
    # A same-named capsule on another host shares the name's history: `host` keeps to this one's.
    known = [r for r in store.revisions(name) if host is None or r.host == host]
    if wanted is not None:
        found = next((r for r in known if r.revision == wanted), None)
        if found is None:
            numbers = ", ".join(str(r.revision) for r in known) or "none"
            raise BadRequest(f"capsule {name} has no revision {wanted} (known: {numbers}); capsule history {name} "
                             f"lists them")
        if wanted == current:
            raise BadRequest(f"capsule {name} already runs revision {wanted}")
        return found
    earlier = [r for r in known if r.revision < current and r.outcome in (revisions.REPLACED, revisions.SERVING)]
    if not earlier:
        raise BadRequest(f"capsule {name} has no earlier revision to go back to (it runs revision {current}); "
                         f"capsule history {name} lists them")
    return earlier[-1]
