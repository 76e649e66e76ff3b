"""SIGTERM, SIGHUP and SIGINT end the terminal UI as `q` does, never in the middle of a create.

Python's default for SIGTERM and SIGHUP ends the process at once: a create under way
(capsule_tui/create_jobs.py) would stop half-built, its containers left for the next
create or `capsule gc` to find. Here they make the app exit instead, with 128 + the
signal as its exit code, as the commands do (capsule_tui/commands/exits.py); on the
way out `CapsuleApp.on_unmount` stops the creates, which remove what they made and
record why, before the service is closed. (In the terminal's raw mode Ctrl-C is a
key, `ctrl+c`, not SIGINT; a SIGINT sent from elsewhere is a signal like the others.)
"""

from __future__ import annotations

import asyncio
import signal

from textual.app import App

SIGNALS = (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)


def exit_on_signals(app: App) -> None:
    """From now on, each of SIGNALS makes `app` exit with 128 + the signal."""
    loop = asyncio.get_running_loop()
    for signum in SIGNALS:
        loop.add_signal_handler(signum, lambda signum=signum: app.exit(return_code=128 + signum))
