"""Exit codes, error lines, and the one place that turns a runtime error into both.

    0    the command did what was asked
    1    an operation failed (a host, a build, a timeout, a capsule that is not there)
    2    bad input or usage (with the file, line, column and field where there is one)
    70   a bug in capsule (an exception nobody expected; reported without a traceback)
    130  interrupted by Ctrl-C (SIGINT); 143 by SIGTERM, 129 by SIGHUP: 128 + the signal, as shells
         report it; either way what the command was doing cleaned up first

Every command returns one of these. `run_with_service` opens the service, runs the
command's work and closes it (flushing webhook deliveries); any runtime error
(runtime.errors, one tree) becomes `capsule COMMAND: error: MESSAGE` on standard
error and its class's `exit_code`. Runtime warnings (a webhook that is down, a
change that could not be recorded) are plain lines on standard error.

Light at import: every `capsule` run imports this module.
"""

from __future__ import annotations

import logging
import signal
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from capsule_tui.formatters.safe_text import shown
from runtime.errors import EXIT_BAD_INPUT, EXIT_FAILED, CapsuleError

if TYPE_CHECKING:
    from runtime.service import CapsuleService

EXIT_OK = 0
EXIT_INTERNAL = 70  # EX_SOFTWARE: a bug, not the user's doing
EXIT_INTERRUPTED = 128 + signal.SIGINT  # 130
__all__ = ["EXIT_BAD_INPUT", "EXIT_FAILED", "EXIT_INTERNAL", "EXIT_INTERRUPTED", "EXIT_OK", "error",
           "run_with_service", "warn"]


def error(command: str, message: str) -> None:
    # The message may quote a host's or an engine's words: shown escapes what a terminal obeys.
    print(f"capsule {command}: error: {shown(message, block=True)}", file=sys.stderr)


def warn(command: str, message: str) -> None:
    print(f"capsule {command}: warning: {shown(message, block=True)}", file=sys.stderr)


class _ShownFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return shown(super().format(record), block=True)


def run_with_service(command: str, work: Callable[[CapsuleService], Awaitable[int]], *,
                     quiet_interrupt: bool = False) -> int:
    """Run `work(service)` to its end; a runtime error is its message and exit code.

    `quiet_interrupt`: Ctrl-C is how the command normally ends (`logs -f`): exit 130 silently.
    """
    from runtime.event_loop import run
    from runtime.service import CapsuleService

    _warnings_to_stderr()

    async def main() -> int:
        async with CapsuleService(keep_ssh=True) as service:
            return await work(service)

    try:
        return run(main())
    except CapsuleError as exc:
        error(command, str(exc))
        return exc.exit_code
    except KeyboardInterrupt as exc:
        # The service cleaned up on the way out (a create removes what it made).
        signum = getattr(exc, "signum", signal.SIGINT)
        if not quiet_interrupt or signum != signal.SIGINT:
            how = "" if signum == signal.SIGINT else f" ({signal.Signals(signum).name})"
            print(f"capsule {command}: interrupted{how}", file=sys.stderr)
        return 128 + signum


def _warnings_to_stderr() -> None:
    """Runtime warnings (a webhook that is down) as plain lines on stderr."""
    logger = logging.getLogger("capsule")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(_ShownFormatter("%(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.WARNING)
