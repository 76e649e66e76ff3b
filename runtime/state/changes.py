"""Names for the changes that become events, so that each change is recorded once.

Several processes notice the same change: the engine-event follower (`capsule events
-f`, `capsule watch`, the terminal UI) gets a `die`, and every reconcile (`capsule
list`, a create waiting for Running) sees the container exited. Comparing with the
containers table is not enough to tell them apart: an observation taken just before
the `die` and written just after it puts the row back to running, and the next look
reports the same exit again. So an event carries the name of the change itself,
taken from what the engine keeps of it, and the store records a name once
(`Store.add_event(change=...)`).

- an exit: the container and the engine's `State.FinishedAt` of the run that ended
  (every run ends at its own time; a member started again by hand keeps its restart
  count, so the count alone would merge two exits);
- a restart by the engine: the container and its new `RestartCount`;
- a start by hand or by the watcher: the container and its `State.StartedAt`.

Pure functions: no I/O.
"""

from __future__ import annotations


def member_exit(container_id: str, finished_at: str | None, restarts: int = 0) -> str:
    """An exit; without the finish time (a container already removed), its run's restart count."""
    return f"exit:{container_id}:{finished_at or f'run-{restarts}'}"


def member_restart(container_id: str, restarts: int) -> str:
    return f"restart:{container_id}:{restarts}"


def member_start(container_id: str, started_at: str | None) -> str:
    return f"start:{container_id}:{started_at or ''}"
