"""`capsule apply -f FILE|DIR`: create what is absent, update what changed, leave the rest.

One line per capsule to standard output: `NAME created|updated|unchanged|failed`.
Exit 0 when every capsule is as the input says, 1 when one failed (the others are
still applied), 2 for bad input (also a reference to a ConfigMap or Secret that is
neither in the input nor stored). The input's ConfigMaps and Secrets are stored, as
`capsule create -f` stores them (capsule_tui/commands/config_refs.py).
"""

from __future__ import annotations

import argparse

from capsule_tui.commands.config_refs import resolve_and_keep
from capsule_tui.commands.exits import EXIT_BAD_INPUT, EXIT_OK, error, run_with_service
from capsule_tui.commands.output import dump, progress_printer, table
from capsule_tui.commands.translate_input import translate_or_report
from capsule_tui.commands.update_support import add_switch_flags


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "apply", help="create absent capsules, update changed ones, leave identical ones alone",
        description="Compare every capsule of the input with the one running (its normalized spec): create it "
        "when absent, update it when different (see capsule update), and touch nothing when identical.")
    parser.add_argument("-f", "--filename", dest="files", action="append", required=True, metavar="FILE|DIR",
                        help="capsule or Kubernetes files, or folders; may be repeated")
    parser.add_argument("--host", help="where to create absent capsules (default: the scheduler's choice)")
    parser.add_argument("--strict", action="store_true", help="treat translation warnings as errors")
    parser.add_argument("-o", "--output", choices=("json", "yaml"), help="print the outcome as JSON or YAML")
    add_switch_flags(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    translation = translate_or_report("apply", args.files, strict=args.strict)
    if translation is None:
        return EXIT_BAD_INPUT

    async def work(service) -> int:  # type: ignore[no-untyped-def]
        from runtime.apply import FAILED

        if not resolve_and_keep("apply", service, translation):  # as create: before anything is made
            return EXIT_BAD_INPUT
        if not translation.capsules and not translation.services and translation.config_objects:
            return EXIT_OK  # only ConfigMaps and Secrets: stored, nothing else to apply
        results = await service.apply(translation, host=args.host, timeout=args.timeout, settle=args.settle,
                                      on_progress=progress_printer("apply"))
        if args.output:
            dump([{"name": r.name, "action": r.action, "host": r.host, "revision": r.revision, "ip": r.ip,
                   "error": str(r.error) if r.error else None} for r in results], args.output)
        else:
            table(("NAME", "ACTION", "HOST", "REVISION", "IP"),
                  [(r.name, r.action, r.host, r.revision, r.ip) for r in results if r.action != FAILED])
        for r in results:
            if r.error is not None:
                error("apply", str(r.error))
        failed = [r.error for r in results if r.error is not None]
        if failed:
            return min(e.exit_code for e in failed)
        return EXIT_OK

    return run_with_service("apply", work)
