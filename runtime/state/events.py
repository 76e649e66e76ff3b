"""Capsule events: record each one in the event log and pass it on to the webhook.

Kinds: created, started, member_exited, member_restarted, status_changed, deleted,
failed. `Notifier.emit` writes the event to the store at once (so `capsule events`
sees it even if the process dies next) and queues it for the webhook, which a
single background task delivers in order; `flush()` waits for the queue, bounded
by the webhook's own timeouts and attempts. A failing webhook never fails the
operation that made the event. A change that several processes notice (a member's
exit, a restart) is emitted with its name (runtime.state.changes); the store records a
name once and `emit` sends only what was recorded, so the webhook gets exactly the log.

Secrets never appear in an event: messages pass through a SecretMask, which replaces
any known secret value (from the translation's SecretStore) with a mask, because a
reason can quote an engine message and an engine message can quote a command line.

This module must not talk to engines.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from runtime import event_loop
from runtime.state.records import EventRecord
from runtime.state.webhook import configured_sender
from translate.secrets import SecretMask, SecretStore

if TYPE_CHECKING:
    from runtime.state.store import Store
    from runtime.state.webhook import WebhookSender

CREATED = "created"
STARTED = "started"
MEMBER_EXITED = "member_exited"
MEMBER_RESTARTED = "member_restarted"
STATUS_CHANGED = "status_changed"
DELETED = "deleted"
FAILED = "failed"
EVENT_KINDS: tuple[str, ...] = (CREATED, STARTED, MEMBER_EXITED, MEMBER_RESTARTED, STATUS_CHANGED, DELETED, FAILED)


def payload(event: EventRecord) -> dict[str, Any]:
    """The JSON body POSTed to the webhook."""
    return {
        "source": "capsule",
        "id": event.id,
        "kind": event.kind,
        "time": datetime.fromtimestamp(event.time, UTC).isoformat(timespec="milliseconds"),
        "capsule": event.capsule,
        "uuid": event.uuid,
        "host": event.host,
        "message": event.message,
    }


class Notifier:
    """Writes events to the store and delivers them to the webhook, if there is one."""

    def __init__(self, store: Store, webhook: WebhookSender | None = None) -> None:
        self.store = store
        self.webhook = webhook
        self._mask = SecretMask()
        self._queue: asyncio.Queue[dict[str, Any]] | None = None
        self._worker: asyncio.Task[None] | None = None

    @classmethod
    def from_config(cls, store: Store) -> Notifier:
        """A notifier with the user's configured webhook (none if not configured, or refused by its policy)."""
        return cls(store, configured_sender())

    def hide(self, secrets: SecretStore | None) -> None:
        """Mask these secrets' values in every event from now on."""
        self._mask.hide(secrets)

    def emit(self, kind: str, capsule: str, message: str = "", *, uuid: str = "", host: str = "",
             change: str = "") -> EventRecord | None:
        """Record and send one event; None (nothing recorded or sent) when `change` was recorded before.

        `change`: the name of the change (runtime.state.changes), for changes that more than
        one process notices; the webhook gets exactly what the log keeps.
        """
        if kind not in EVENT_KINDS:
            raise ValueError(f"unknown event kind {kind!r}; expected one of {', '.join(EVENT_KINDS)}")
        event = self.store.add_event(kind, capsule, self._mask(message), uuid=uuid, host=host, change=change)
        if event is not None:
            self.publish([event])
        return event

    def publish(self, events: Iterable[EventRecord]) -> None:
        """Queue already recorded events (e.g. from reconcile) for the webhook."""
        if self.webhook is None:
            return
        bodies = [payload(e) | {"message": self._mask(e.message)} for e in events]
        if not bodies:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            event_loop.run(self._send_all(bodies))
            return
        if self._queue is None:
            self._queue = asyncio.Queue()
        for body in bodies:
            self._queue.put_nowait(body)
        if self._worker is None or self._worker.done():
            self._worker = loop.create_task(self._deliver(), name="capsule-webhook")

    async def _send_all(self, bodies: list[dict[str, Any]]) -> None:
        assert self.webhook is not None
        for body in bodies:
            await self.webhook.send(body)
        await self.webhook.aclose()

    async def _deliver(self) -> None:
        assert self._queue is not None and self.webhook is not None
        while not self._queue.empty():
            body = self._queue.get_nowait()
            try:
                await self.webhook.send(body)
            finally:
                self._queue.task_done()

    async def flush(self) -> None:
        """Wait until every queued event was delivered or given up on."""
        if self._worker is not None:
            with contextlib.suppress(Exception):
                await self._worker
            self._worker = None

    async def aclose(self) -> None:
        await self.flush()
        if self.webhook is not None:
            await self.webhook.aclose()
