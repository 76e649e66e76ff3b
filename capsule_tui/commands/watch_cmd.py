"""`capsule watch`: heal capsules and run their probes in the foreground, until Ctrl-C.

Follows every configured host's engine events (runtime.watch.watcher): members re-join
their sandbox's new network after it restarts, members killed outside capsule are
started again per the restart policy, liveness and startup probes restart (or, under
Never, stop) failing members. One line per action on standard output; every action
is also a capsule event (`capsule events`, and the webhook). A stopped watcher
resumes from the last engine event it handled.

Exit codes: 0 after Ctrl-C or SIGTERM, 1 when another watcher already runs for the
same CAPSULE_HOME.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys

from capsule_tui.commands.exits import EXIT_BAD_INPUT, EXIT_OK, error, run_with_service
from capsule_tui.formatters.safe_text import shown

COMMAND = "watch"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "watch", help="heal capsules and run their probes until Ctrl-C",
        description="Follow every host's events: re-join members after a sandbox restart, restart members "
        "per their restart policy and liveness probes, record events. Runs until Ctrl-C.",
    )
    parser.add_argument("names", nargs="*", metavar="NAME", help="watch only these capsules (default: all)")
    parser.add_argument("--heal-grace", type=int, default=2, metavar="SECONDS",
                        help="seconds a member cut off by a sandbox restart gets to stop before it is "
                        "killed and re-joined (default 2)")
    parser.add_argument("--probe-grace", type=int, default=10, metavar="SECONDS",
                        help="seconds a member that failed its liveness probe gets to stop (default 10)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.heal_grace < 0 or args.probe_grace < 0:
        error(COMMAND, "--heal-grace and --probe-grace take a number of seconds, 0 or more")
        return EXIT_BAD_INPUT

    async def work(service) -> int:
        task = asyncio.ensure_future(service.watch(lambda action: print(shown(action.line()), flush=True),
                                                   names=args.names or None, heal_grace=args.heal_grace,
                                                   probe_grace=args.probe_grace))
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, task.cancel)
        hosts = ", ".join(h.name for h in service.hosts)
        which = ", ".join(args.names) if args.names else "every capsule"
        print(f"capsule watch: following {which} on {hosts}; Ctrl-C stops", file=sys.stderr, flush=True)
        try:
            await task
        except asyncio.CancelledError:
            print("capsule watch: stopped", file=sys.stderr, flush=True)
            return EXIT_OK
        return EXIT_OK

    return run_with_service(COMMAND, work)
