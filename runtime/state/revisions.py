"""A capsule's revisions: which spec ran when, with which images, and how it ended.

`capsule history`, `capsule rollback` and `capsule update` read and write the
store's `revisions` table (runtime.state.store owns it). One row per (name, revision): the normalized spec
(secret values are never in it: it holds references only), its images, when it
was made, its outcome and why, and what made it (create, update, rollback, apply).

Outcomes: `updating` (a switch-over is under way), `serving` (the capsule runs
this revision), `replaced` (a later revision took over), `failed` (the update to
it did not become ready and the previous revision was restored), `deleted` (it was
serving when the capsule was deleted: the history outlives the capsule until a capsule
of that name is created again).

The running capsule's containers carry their revision and spec on the labels
`capsule.revision` and `capsule.spec`; this table keeps the ones that no host
shows any more. A revision made by `capsule create` is written here the first
time the capsule is updated (its spec is then still on the host's labels).

This module holds the rules; the store holds the rows. It must not talk to engines.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from runtime.state.records import Revision, spec_body
from runtime.state.store import Store

UPDATING = "updating"
SERVING = "serving"
REPLACED = "replaced"
FAILED = "failed"
DELETED = "deleted"


def spec_images(spec: dict[str, Any]) -> list[str]:
    """Every image the spec runs, init containers first, in spec order."""
    body = spec_body(spec)
    found: list[str] = []
    for key in ("initContainers", "containers"):
        for container in body.get(key) or []:
            if isinstance(container, dict) and container.get("image") and container["image"] not in found:
                found.append(str(container["image"]))
    return found


def record_revision(store: Store, revision: Revision) -> None:
    """Insert or replace one revision's row; its images are read from its spec when not given."""
    if not revision.images:
        revision = dataclasses.replace(revision, images=spec_images(revision.spec))
    store.save_revision(revision)


def ensure_recorded(store: Store, *, name: str, host: str, uuid: str, revision: int, spec: dict[str, Any],
                    created_at: float, source: str = "create") -> None:
    """Write the running revision's row if the table lacks it (a capsule made by `create`).

    A row of that number with another uuid belongs to an earlier capsule of the same
    name (deleted, then created again): that capsule's history is dropped, so the
    numbers of the one running now start over, as its labels do.
    """
    if not spec:
        return
    known = store.revision(name, revision)
    if known is not None and known.uuid != uuid and known.outcome != UPDATING:
        store.forget_revisions(name)
        known = None
    if known is None:
        record_revision(store, Revision(name, revision, host, uuid, spec, created_at, SERVING, source=source))


def mark_deleted(store: Store, name: str, uuid: str) -> None:
    """The deleted capsule's revision no longer serves (nor is it still being switched to)."""
    for row in store.revisions(name):
        if row.uuid == uuid and row.outcome in (SERVING, UPDATING):
            store.finish_revision(name, row.revision, DELETED, "the capsule was deleted")
