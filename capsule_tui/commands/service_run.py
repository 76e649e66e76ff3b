"""Run one command's work against a CapsuleService, and map its failures to exit codes.

`run_with_service(command, work)` opens the service, awaits `work(service)` and
closes it (flushing webhook deliveries). A CapsuleError prints its message and
returns its exit code (1 failed, 2 bad input); a host inventory file that cannot be
used is 2, with every problem's file:line; a store that cannot be opened is 1;
Ctrl-C is 130 after the service cleaned up (a create removes what it made). No
tracebacks: errors are messages on standard error.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from capsule_tui.commands.output import error

if TYPE_CHECKING:
    from runtime.service import CapsuleService

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130


def run_with_service(command: str, work: Callable[["CapsuleService"], Awaitable[int]]) -> int:
    from runtime.hosts.inventory import InventoryError
    from runtime.service import CapsuleService
    from runtime.errors import CapsuleError
    from runtime.state.store import StoreError

    _warnings_to_stderr()

    from runtime.engine import event_loop
    async def main() -> int:
        async with CapsuleService() as service:
            return await work(service)

    try:
        return event_loop.run(main())
    except CapsuleError as exc:
        error(command, str(exc))
        return exc.exit_code
    except InventoryError as exc:
        # The hosts are read when the service opens: every command needing them stops here.
        error(command, f"the host inventory cannot be read:\n{exc}")
        return EXIT_BAD_INPUT
    except StoreError as exc:
        error(command, str(exc))
        return EXIT_FAILED
    except KeyboardInterrupt:
        print(f"capsule {command}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def _warnings_to_stderr() -> None:
    """Runtime warnings (a webhook that is down) as plain lines on stderr."""
    logger = logging.getLogger("capsule")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.WARNING)
        logger.propagate = False


def progress_printer(command: str) -> Callable[[str, Any], None]:
    """An on_progress callback writing `capsule: step` lines to stderr."""

    def show(capsule: str, event: Any) -> None:
        who = f"{event.kind} {event.container}: " if getattr(event, "container", "") else ""
        print(f"{capsule}: {who}{event.text}", file=sys.stderr, flush=True)

    return show
