"""`capsule tui`: open the terminal UI (the same as `capsule` with no arguments).

Textual is imported only when the command runs, so other commands never load it.
"""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "tui", help="open the terminal UI (also what `capsule` alone does)",
        description="Browse, create and delete capsules on every configured host, live.")
    parser.add_argument("--no-watch", action="store_true",
                        help="do not heal or probe capsules while the UI is open (no watcher; "
                             "`capsule watch` can run it instead)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from capsule_tui.app import run as run_app

    return run_app(watch=not args.no_watch)
