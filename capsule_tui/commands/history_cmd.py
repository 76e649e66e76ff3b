"""`capsule history NAME`: the capsule's revisions, with time, images and outcome.

Read from the store's revisions table (runtime.state.revisions); the running revision is
taken from the host's labels (capsule.revision) after the usual reconcile.
"""

from __future__ import annotations

import argparse

from capsule_tui.commands.exits import EXIT_OK, run_with_service
from capsule_tui.commands.output import dump, local_time, table


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("history", help="list a capsule's revisions (see capsule rollback)",
                                   description="Every revision of the capsule: when, which images, how it "
                                   "ended (serving, replaced, failed, updating) and what made it.")
    parser.add_argument("name", metavar="NAME")
    parser.add_argument("-o", "--output", choices=("json", "yaml"), help="print as JSON or YAML")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    async def work(service) -> int:  # type: ignore[no-untyped-def]
        rows = await service.history(args.name)
        if args.output:
            dump([r.to_dict() for r in rows], args.output)
            return EXIT_OK
        table(("REVISION", "CREATED", "OUTCOME", "SOURCE", "IMAGES", "REASON"),
              [(r.revision, local_time(r.created_at), r.outcome, r.source, ",".join(r.images), r.reason)
               for r in rows])
        return EXIT_OK

    return run_with_service("history", work)
