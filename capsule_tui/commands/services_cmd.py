"""`capsule services [-n NAMESPACE] [-o wide|json|yaml]`: the Services of the applications.

Every host is asked at once: each Service's namespace, type, ports (`port->targetPort`),
host and address, and its backends (capsules serving / capsules its selector matches),
as `kubectl get services` with its endpoints. Exit 0, or 1 when a host could not be asked
(the others are still shown).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys

from capsule_tui.commands.exits import EXIT_FAILED, EXIT_OK, error, run_with_service
from capsule_tui.commands.output import dump, table
from capsule_tui.formatters.safe_text import shown

COMMAND = "services"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "services", aliases=["svc"], help="list the Services of the applications",
        description="List the Services of every namespace (or of -n NAMESPACE) on every host: where their "
        "names point, and which capsules serve them.",
    )
    parser.add_argument("-n", "--namespace", metavar="NAMESPACE", help="only this namespace")
    parser.add_argument("-o", "--output", choices=("wide", "json", "yaml"),
                        help="wide: with every backend's address; json/yaml: everything")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    async def work(service) -> int:  # type: ignore[no-untyped-def]
        views, problems = await service.services(args.namespace)
        for problem in problems:
            error(COMMAND, f"could not be asked: {problem}")
        if args.output in ("json", "yaml"):
            dump({"items": [dataclasses.asdict(v) for v in views]}, args.output)
        elif views:
            headers = ["NAME", "NAMESPACE", "TYPE", "PORTS", "HOST", "ADDRESS", "BACKENDS"]
            rows = [[shown(v.name), shown(v.namespace), v.type, shown(v.ports), shown(v.host), v.address or "-",
                     f"{v.ready}/{v.total}"] for v in views]
            if args.output == "wide":
                headers.append("ENDPOINTS")
                for row, view in zip(rows, views, strict=True):
                    row.append(shown(", ".join(view.backends)) or "-")
            table(headers, rows)
        else:
            print("No services found.", file=sys.stderr)
        return EXIT_FAILED if problems else EXIT_OK

    return run_with_service(COMMAND, work)
