"""`capsule run --capsule NAME IMAGE [--name N] [-e K=V] [-- CMD...]`: add a container.

The container joins the capsule's sandbox (network and IPC, PID when shared), gets
the capsule's labels and restart policy, and from then on is a member: logs, exec,
stop/start and delete include it. Prints the new member's name. Exit 0, 1 when it
could not be added (nothing is left behind), 2 for arguments that cannot work.
"""

from __future__ import annotations

import argparse
import sys

from capsule_tui.commands.arguments import command_after
from capsule_tui.commands.exits import EXIT_BAD_INPUT, EXIT_OK, error, run_with_service
from capsule_tui.formatters.safe_text import shown


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "run", help="add a container to a running capsule",
        description="Add a container to a running capsule. It joins the capsule's network and "
        "IPC namespaces (so it reaches the members on localhost) and its lifecycle. The command "
        "after -- replaces the image's default command.",
        usage="capsule run [-h] --capsule NAME [--name N] [-e K=V] [--pull POLICY] IMAGE [-- CMD...]",
    )
    # Not required=True: written after IMAGE it is part of the command, and the
    # error should say so rather than claim it is missing.
    parser.add_argument("--capsule", metavar="NAME", help="the capsule to add to (required, before IMAGE)")
    parser.add_argument("image", metavar="IMAGE", help="the container's image")
    parser.add_argument("command", nargs=argparse.REMAINDER, metavar="CMD", help="command, after --")
    parser.add_argument("--name", metavar="N", help="member name (default: from the image, e.g. busybox)")
    parser.add_argument("-e", "--env", action="append", default=[], metavar="K=V",
                        help="an environment variable (repeatable)")
    parser.add_argument("--pull", choices=("always", "missing", "never"),
                        help="pull the image always, when missing, or never "
                        "(default: always for :latest or no tag, else when missing)")
    parser.set_defaults(func=run, run_parser=parser)


def run(args: argparse.Namespace) -> int:
    before = ["--capsule", args.capsule] if args.capsule else []
    command = command_after(args, args.run_parser, before=before, after=[args.image])
    if not args.capsule:
        error("run", "say which capsule with --capsule NAME, before IMAGE (what follows IMAGE is the "
                     "command), e.g. capsule run --capsule web busybox:1.36 -- sleep 3600")
        return EXIT_BAD_INPUT
    problems = [p for p in (args.env or []) if "=" not in p or p.startswith("=")]
    if problems:
        error("run", f"-e {problems[0]!r}: expected KEY=VALUE, e.g. -e MODE=debug")
        return EXIT_BAD_INPUT

    def progress(event) -> None:  # type: ignore[no-untyped-def]
        if event.kind == "pull":
            print(shown(f"{event.container}: {event.text}"), file=sys.stderr)

    async def work(service) -> int:  # type: ignore[no-untyped-def]
        # The member's name and env are checked before any host is asked (bad ones: exit 2).
        added = await service.add_member(args.capsule, args.image, member=args.name, env=args.env,
                                         command=command, pull=args.pull, on_progress=progress)
        print(shown(added))
        return EXIT_OK

    return run_with_service("run", work)
