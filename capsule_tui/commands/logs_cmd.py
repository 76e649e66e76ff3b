"""`capsule logs NAME [-c MEMBER] [-f] [--tail N] [--timestamps]`: what the members wrote.

All members merged, each line prefixed by its member (`web      | line`), like
`docker compose logs`; with `-c` one member's (or init container's) lines as they
are, like `kubectl logs -c`. Without `-f` the lines are merged in time order; with
`-f` they are shown as they come until every member stops or Ctrl-C.
Exit 0, 1 when the capsule or member does not exist or the host fails.
"""

from __future__ import annotations

import argparse
import sys

from capsule_tui.commands.exits import EXIT_BAD_INPUT, EXIT_OK, error, run_with_service
from capsule_tui.commands.output import format_log_line


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "logs", help="show the output of a capsule's members, merged",
        description="Show what the members of a capsule wrote to stdout and stderr: all members "
        "merged in time order, each line prefixed by its member, or one member with -c "
        "(init containers too), printed without a prefix.",
    )
    parser.add_argument("name", metavar="NAME", help="the capsule")
    parser.add_argument("-c", "--container", dest="member", metavar="MEMBER",
                        help="only this member or init container")
    parser.add_argument("-f", "--follow", action="store_true",
                        help="keep showing new lines until every member stops (or Ctrl-C)")
    parser.add_argument("--tail", type=int, metavar="N", help="only the last N lines of each member")
    parser.add_argument("-t", "--timestamps", action="store_true", help="show the engine's timestamp of each line")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.tail is not None and args.tail < 0:
        error("logs", f"--tail {args.tail}: give a number of lines, 0 or more")
        return EXIT_BAD_INPUT
    # Ctrl-C is the usual way to end `logs -f`: nothing to add to it.
    return run_with_service("logs", lambda service: _show(service, args), quiet_interrupt=True)


async def _show(service, args: argparse.Namespace) -> int:  # type: ignore[no-untyped-def]
    logs = await service.logs(args.name, member=args.member, follow=args.follow, tail=args.tail,
                              timestamps=args.timestamps)
    prefix = args.member is None
    width = max((len(m) for m in logs.members), default=0)
    out = sys.stdout
    async for line in logs.lines:
        out.write(format_log_line(line, width=width, prefix=prefix) + "\n")
        if args.follow:
            out.flush()
    out.flush()
    return EXIT_OK
