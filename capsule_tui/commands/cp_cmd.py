"""`capsule cp SRC DST`: copy files and folders between this machine and a member.

One side is `NAME:MEMBER:PATH` (MEMBER may be left empty for the first member:
`web::/etc/hosts`), the other a local path ('-' for a tar archive on standard
input or output). Destinations behave as with `docker cp`. Exit 0, 1 when the copy
failed (nothing half-written for a refused archive), 2 for arguments that cannot work.
"""

from __future__ import annotations

import argparse
import sys

from capsule_tui.commands.ops_support import EXIT_OK, EXIT_USAGE, error, located, run_operation


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
    from runtime.ops.copy import parse_copy_arg
    from runtime.ops.errors import CopyError

    try:
        source, destination = parse_copy_arg(args.source), parse_copy_arg(args.destination)
    except CopyError as exc:
        error("cp", str(exc))
        return EXIT_USAGE
    if (source is None) == (destination is None):
        which = "both are" if source is not None else "neither is"
        error("cp", f"one side must be NAME:MEMBER:PATH and the other a local path, but {which}; "
                    f"e.g. capsule cp web:app:/etc/hosts ./hosts")
        return EXIT_USAGE
    return run_operation("cp", lambda: _copy(args, source, destination))


async def _copy(args: argparse.Namespace, source, destination) -> int:  # type: ignore[no-untyped-def]
    from runtime.ops.copy import copy_from_member, copy_to_member

    remote = source if source is not None else destination
    async with located(remote.capsule) as found:
        if source is not None:
            await copy_from_member(found.engine, found.capsule, source, args.destination, stdout=sys.stdout.buffer)
            sys.stdout.flush()
        else:
            await copy_to_member(found.engine, found.capsule, args.source, destination, stdin=sys.stdin.buffer)
    return EXIT_OK
