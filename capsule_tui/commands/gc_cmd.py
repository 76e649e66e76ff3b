"""`capsule gc [--dry-run] [--grace S]`: remove what dead creates left on the hosts.

A create killed at the wrong moment (SIGKILL, a host cut off while it cleaned up)
can leave volumes or a volume-filling helper container that belong to no capsule, or
a namespace's network that nothing of the namespace uses:
`capsule list` does not show them, since they are not a capsule. Every host is asked
at once (runtime.observe.leftovers says what belongs to no capsule); persistent
volumes always stay. Exit 0, or 1 when a host could not be swept.
"""

from __future__ import annotations

import argparse
import sys

from capsule_tui.commands.exits import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, error, run_with_service, warn
from capsule_tui.commands.output import dump
from capsule_tui.formatters.safe_text import shown

COMMAND = "gc"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "gc", help="remove what interrupted creates left on the hosts",
        description="Remove the containers and volumes that belong to no capsule: what creates that died "
        "left behind. Objects younger than --grace seconds that no capsule of this machine claims are "
        "left alone (a create may be under way on another machine); persistent volumes always stay.",
    )
    parser.add_argument("--dry-run", action="store_true", help="say what would be removed, remove nothing")
    parser.add_argument("--grace", type=float, default=60.0, metavar="S",
                        help="leave alone what is younger than this many seconds (default 60)")
    parser.add_argument("-o", "--output", choices=("json", "yaml"), help="print what was found as JSON or YAML")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.grace < 0:
        error(COMMAND, "--grace takes a number of seconds, 0 or more")
        return EXIT_BAD_INPUT

    async def work(service) -> int:  # type: ignore[no-untyped-def]
        swept = await service.gc(grace=args.grace, dry_run=args.dry_run)
        if args.output:
            dump([{"host": s.host, "error": s.error or None, "networks": s.networks, "kept": s.kept,
                   "leftovers": [{"name": i.name, "uuid": i.uuid, "containers": i.containers,
                                  "volumes": i.volumes} for i in s.leftovers]} for s in swept], args.output)
        verb = "would remove" if args.dry_run else "removed"
        code = EXIT_OK
        for host in swept:
            if host.error:
                error(COMMAND, f"host {host.host} could not be swept: {host.error}")
                code = EXIT_FAILED
            if args.output:
                continue
            for item in host.leftovers:
                # The name and uuid are labels anyone on the engine can set: escaped.
                print(shown(f"host {host.host}: {verb} what a create of {item.name or '?'} ({item.uuid[:12]}) "
                            f"left: {len(item.containers)} containers, {len(item.volumes)} volumes"))
            for network in host.networks:
                print(shown(f"host {host.host}: {verb} network {network}, which nothing of its namespace uses"))
            for kept in host.kept:
                warn(COMMAND, f"host {host.host}: kept {kept}")
        if not args.output and not any(s.leftovers or s.networks for s in swept):
            print("nothing to remove", file=sys.stderr)
        return code

    return run_with_service(COMMAND, work)
