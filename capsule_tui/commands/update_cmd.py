"""`capsule update NAME -f FILE` and `capsule rollback NAME [--to-revision N]`.

Both switch a running capsule over to another revision (runtime.update): images
first, then the old capsule is stopped and set aside, the new one built and
awaited until ready; on failure the old one is restored and the command exits 1
with the reason. Progress to standard error, the outcome to standard output.

`update -f` resolves and stores the input's ConfigMaps and Secrets as `create -f` does
(capsule_tui/commands/config_refs.py); `rollback` reads the stored Secrets its old
revision refers to (runtime/rollback.py); Secrets in its -f file come first and are not stored.
"""

from __future__ import annotations

import argparse

from capsule_tui.commands.config_refs import resolve_and_keep
from capsule_tui.commands.exits import EXIT_BAD_INPUT, EXIT_OK, error, run_with_service
from capsule_tui.commands.output import dump, progress_printer, table
from capsule_tui.commands.translate_input import translate_or_report
from capsule_tui.commands.update_support import add_switch_flags


def register(subparsers: argparse._SubParsersAction) -> None:
    update = subparsers.add_parser(
        "update", help="switch a running capsule over to a new spec (restored if the new one fails)",
        description="Pull the new images, stop the running capsule and set it aside, create the new revision "
        "and wait until it is ready; then remove the old one. If the new revision does not become ready "
        "within --timeout, it is removed and the old one restored. The capsule's IP may change.")
    update.add_argument("name", metavar="NAME", help="the running capsule to update")
    update.add_argument("-f", "--filename", dest="files", action="append", required=True, metavar="FILE|DIR",
                        help="the file (or folder) that defines capsule NAME (and any Secrets it uses)")
    update.add_argument("--strict", action="store_true", help="treat translation warnings as errors")
    update.add_argument("-o", "--output", choices=("json", "yaml"), help="print the outcome as JSON or YAML")
    add_switch_flags(update)
    update.set_defaults(func=run_update)

    rollback = subparsers.add_parser(
        "rollback", help="switch a capsule back to an earlier revision (see capsule history)",
        description="Update the capsule to the spec of an earlier revision (default: the previous one that "
        "served). It becomes a new revision. The Secrets and ConfigMaps that spec uses come from a file given "
        "with -f, else from the ones a capsule create -f, update -f or apply -f stored.")
    rollback.add_argument("name", metavar="NAME")
    rollback.add_argument("--to-revision", type=int, metavar="N", help="the revision to go back to")
    rollback.add_argument("-f", "--filename", dest="files", action="append", metavar="FILE",
                          help="a file with Secrets the earlier revision needs (used for this rollback, not stored)")
    rollback.add_argument("-o", "--output", choices=("json", "yaml"), help="print the outcome as JSON or YAML")
    add_switch_flags(rollback)
    rollback.set_defaults(func=run_rollback)


def run_update(args: argparse.Namespace) -> int:
    translation = translate_or_report("update", args.files, strict=args.strict)
    if translation is None:
        return EXIT_BAD_INPUT
    if not any(c.name == args.name for c in translation.capsules):
        found = ", ".join(c.name for c in translation.capsules) or "none"
        error("update", f"{', '.join(args.files)} does not define capsule {args.name} (it defines: {found}); "
              f"pass the file of {args.name}, or use capsule apply -f for several capsules")
        return EXIT_BAD_INPUT

    async def work(service) -> int:  # type: ignore[no-untyped-def]
        if not resolve_and_keep("update", service, translation):  # before anything is switched
            return EXIT_BAD_INPUT
        result = await service.update(translation, args.name, timeout=args.timeout, settle=args.settle,
                                      grace=args.grace, allow_privileged=args.allow_privileged,
                                      allow_host_path=args.allow_host_path, on_progress=progress_printer("update"))
        show(result, args.output)
        return EXIT_OK

    return run_with_service("update", work)


def run_rollback(args: argparse.Namespace) -> int:
    secrets = None
    if args.files:
        translation = translate_or_report("rollback", args.files)
        if translation is None:
            return EXIT_BAD_INPUT
        secrets = translation.secrets

    async def work(service) -> int:  # type: ignore[no-untyped-def]
        result = await service.rollback(args.name, to_revision=args.to_revision, secrets=secrets,
                                        timeout=args.timeout, settle=args.settle, grace=args.grace,
                                        allow_privileged=args.allow_privileged,
                                        allow_host_path=args.allow_host_path,
                                        on_progress=progress_printer("rollback"))
        show(result, args.output)
        return EXIT_OK

    return run_with_service("rollback", work)


def show(result, fmt: str | None) -> None:  # type: ignore[no-untyped-def]
    row = {"name": result.name, "host": result.host, "revision": result.revision,
           "previous_revision": result.previous_revision, "uuid": result.uuid, "ip": result.ip,
           "previous_ip": result.old_ip, "status": result.status, "seconds": round(result.seconds, 2)}
    if fmt:
        dump(row, fmt)
        return
    table(("NAME", "HOST", "REVISION", "IP", "STATUS"),
          [(result.name, result.host, f"{result.previous_revision} -> {result.revision}",
            address_change(result.ip, result.old_ip), result.status)])


def address_change(ip: str | None, old_ip: str | None) -> str:
    """The capsule's address after the switch-over, and the one before when it changed."""
    shown_ip = ip or "-"
    if ip == old_ip or not old_ip:
        return shown_ip
    return f"{shown_ip} (was {old_ip})"
