"""`capsule cp SRC DST`: copy files and folders between this machine and a member.

One side is `NAME:MEMBER:PATH` (MEMBER may be left empty for the first member:
`web::/etc/hosts`), the other a local path ('-' for a tar archive on standard
input or output). Destinations behave as with `docker cp`. Exit 0, 1 when the copy
failed (nothing half-written for a refused archive), 2 for arguments that cannot work.
"""

from __future__ import annotations

import argparse
import sys

from capsule_tui.commands.exits import EXIT_OK, run_with_service


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "cp", help="copy files and folders between a member of a capsule and this machine",
        description="Copy a file or folder out of a member (capsule cp NAME:MEMBER:PATH LOCAL) or "
        "into one (capsule cp LOCAL NAME:MEMBER:PATH). An empty MEMBER means the first member. "
        "Into an existing folder the source keeps its name; otherwise the destination is the new "
        "name. LOCAL '-' reads or writes a tar archive on standard input or output. Write a "
        "local path that contains colons as ./a:b:c. Archives coming out of a member are checked "
        "first: entries with absolute paths or '..' are refused and nothing is written.",
    )
    parser.add_argument("source", metavar="SRC", help="NAME:MEMBER:PATH or a local path")
    parser.add_argument("destination", metavar="DST", help="a local path or NAME:MEMBER:PATH")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    async def work(service) -> int:  # type: ignore[no-untyped-def]
        await service.copy(args.source, args.destination, stdin=sys.stdin.buffer, stdout=sys.stdout.buffer)
        sys.stdout.flush()
        return EXIT_OK

    return run_with_service("cp", work)
