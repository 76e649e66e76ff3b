"""A capsule's row while `capsule delete` removes its containers: leased to the deleter.

Removing a capsule takes several engine calls (members first, the sandbox last). A
reconcile of another process (`capsule list`, the terminal UI's refresh, a watcher's)
that looked in between saw a capsule whose members were gone and its sandbox not yet,
and recorded `Running -> Starting: members not created yet`, and the engine-event
follower recorded each member's exit: news made by the delete itself. The lease a
create holds (CapsuleRecord.take_lease) says "this process decides what happens to
this row"; reconcile and the follower record nothing for a leased row, and a lease
whose process died makes the row Failed with a reason that names the fix, so a
delete killed half-way leaves a row `capsule delete` finishes.

This module writes to the store only; it must not talk to engines.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from runtime.state.store import Store

# Long enough for the slowest removal (members stop with their grace period); the lease
# ends with the process anyway when it dies.
DELETE_LEASE_SECONDS = 300.0


def lease_for_delete(store: Store, uuid: str) -> bool:
    """Take the row for this delete; False when the row is gone, or when a create or update holds
    it: then the later request wins and the row goes at once, before any engine call, so that
    whatever fails for that process meanwhile (its containers removed under it), it finds its
    row gone, gives way and restores nothing (seen in CI: an update whose new member could not
    start in the sandbox the delete had just removed tried to restore the old revision)."""
    with store.transaction():
        current = store.get(uuid)
        if current is None:
            return False
        if current.lease_active():
            store.delete(uuid)
            return False
        current.take_lease(DELETE_LEASE_SECONDS)
        current.add_message("being deleted")
        store.save(current)
    return True


def release_delete_lease(store: Store, uuid: str, leased: bool) -> None:
    """The delete failed and the row stays: reconcile takes it again."""
    if not leased:
        return
    with store.transaction():
        current = store.get(uuid)
        if current is not None:
            current.drop_lease()
            store.save(current)
