"""The runtime's warnings as notifications while the UI runs.

The runtime says what it could not tidy or trust through the `capsule` logger (an
overlay network the swarm still holds after a delete, a webhook refused, a state folder
open to others); the commands print those lines on stderr (commands/exits.py). Under
the UI, stderr is not on screen, so each becomes a toast instead, from whichever thread
logged it.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

_PREFIX = "capsule: warning: "


class NotifyingHandler(logging.Handler):
    def __init__(self, app: Any, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(logging.WARNING)
        self.app, self.loop = app, loop

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage().removeprefix(_PREFIX)
            severity = "error" if record.levelno >= logging.ERROR else "warning"
            # notify belongs to the app's loop; a worker thread hands it over.
            self.loop.call_soon_threadsafe(lambda: self.app.notify(text, title="capsule", severity=severity,
                                                                  timeout=12))
        except Exception:  # noqa: BLE001 - a warning that cannot be shown must not break the caller
            self.handleError(record)


def notify_runtime_warnings(app: Any) -> logging.Handler:
    """Send the `capsule` logger's warnings to `app.notify` until the returned handler is removed."""
    logger = logging.getLogger("capsule")
    handler = NotifyingHandler(app, asyncio.get_running_loop())
    logger.addHandler(handler)
    if logger.level == logging.NOTSET or logger.level > logging.WARNING:
        logger.setLevel(logging.WARNING)
    return handler


def stop_notifying(handler: logging.Handler) -> None:
    logging.getLogger("capsule").removeHandler(handler)
