"""`capsule events [NAME] [-f]`: the event log (created, started, member exits and
restarts, status changes, deletions, failures), oldest first.

The hosts are asked first, so changes made behind the tool's back are in the log.
With `-f` the command keeps running and prints new events as they happen, including
members exiting or restarting as the engines report them; Ctrl-C ends it. The table's
texts have their control characters escaped (`shown`); `-o json` is exact.
"""

from __future__ import annotations

import argparse
import json
import sys

from capsule_tui.commands.exits import EXIT_OK, run_with_service
from capsule_tui.commands.output import local_time
from capsule_tui.formatters.safe_text import shown

COMMAND = "events"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "events", help="show (and follow) capsule events",
        description="Show the event log, for one capsule or all; -f follows new events.",
    )
    parser.add_argument("name", nargs="?", metavar="NAME", help="only this capsule's events")
    parser.add_argument("-f", "--follow", action="store_true", help="keep printing new events")
    parser.add_argument("--tail", type=int, metavar="N", help="only the last N recorded events")
    parser.add_argument("-o", "--output", choices=("json",), help="one JSON object per line")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    async def work(service) -> int:
        printed = False
        async for event in service.events(args.name, follow=args.follow, limit=args.tail, refresh=True):
            if args.output == "json":
                line = json.dumps(event.to_dict())
            else:
                if not printed:
                    print(f"{'TIME':<19}   {'KIND':<16}   {'CAPSULE':<20}   {'HOST':<10}   MESSAGE")
                line = f"{local_time(event.time):<19}   {shown(event.kind):<16}   {shown(event.capsule):<20}   " \
                       f"{shown(event.host):<10}   {shown(event.message)}"
            print(line, flush=True)
            printed = True
        if not printed and not args.follow:
            print("No events found.", file=sys.stderr)
        return EXIT_OK

    return run_with_service(COMMAND, work)
