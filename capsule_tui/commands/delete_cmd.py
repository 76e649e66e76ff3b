"""`capsule delete NAME... | service/NAME... | KIND/NAME... | -f FILE... | -l k=v | --all [--yes]`.

`configmap/NAME` and `secret/NAME` (in `-n NAMESPACE`) remove a stored ConfigMap or
Secret (capsule_tui/commands/config_objects_cmd.py); capsules already made with it keep
what they were given.

Members, sandbox and capsule-scoped volumes go; persistent volumes stay. `service/NAME`
(with `-n NAMESPACE`, default `default`) removes a Service, `deployment/web` every
replica of that workload. `-f FILE` removes exactly
what creating that file made: its capsules, every replica of its workloads, its
Services, and the ConfigMaps and Secrets it defines from the store (as kubectl delete -f
does; one that is not stored is no error); a namespace left with nothing loses its network. Deleting
a half-built capsule, or one whose containers are already gone, works. `--all`
asks first on a terminal unless `--yes`; without a terminal to ask on it refuses
and says to pass --yes. Exit 1 when a name is not found or a host failed, 2 for a
usage error.
"""

from __future__ import annotations

import argparse
import sys

from capsule_tui.commands.config_objects_cmd import forget_config_objects
from capsule_tui.commands.exits import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, error, run_with_service
from capsule_tui.formatters.safe_text import shown

COMMAND = "delete"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "delete", aliases=["rm"], help="delete capsules",
        description="Delete capsules by name, by label selector (-l), or all of them (--all).",
    )
    parser.add_argument("names", nargs="*", metavar="NAME",
                        help="capsule names; service/NAME for a Service, KIND/NAME (deployment/web) for every "
                        "replica of a workload, configmap/NAME or secret/NAME for a stored one (all in -n "
                        "NAMESPACE)")
    parser.add_argument("-f", "--filename", action="append", metavar="FILE",
                        help="delete what creating this file (or folder) made; repeatable")
    parser.add_argument("-n", "--namespace", default="default",
                        help="the namespace of the service/NAME and KIND/NAME arguments (default: default)")
    parser.add_argument("-l", "--selector", action="append", metavar="KEY=VALUE",
                        help="delete the capsules whose labels match")
    parser.add_argument("--all", action="store_true", help="delete every capsule on every host")
    parser.add_argument("-y", "--yes", action="store_true", help="do not ask before --all")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    chosen = sum(bool(x) for x in (args.names, args.selector, args.all, args.filename))
    if chosen != 1:
        error(COMMAND, "give capsule names, or -f FILE, or -l KEY=VALUE, or --all (exactly one of them)")
        return EXIT_BAD_INPUT
    from capsule_tui.commands.config_objects_cmd import delete_objects, kind_of

    stored = [n for n in args.names if "/" in n and kind_of(n.split("/", 1)[0])]
    stored_code = EXIT_OK
    if stored:  # configmap/NAME, secret/NAME: in the local store, no host is asked
        args.names = [n for n in args.names if n not in stored]
        stored_code = delete_objects(COMMAND, stored, args.namespace)
        if not args.names:
            return stored_code
    services = [n.split("/", 1)[1] for n in args.names if n.startswith(("service/", "svc/"))]
    workloads = [n for n in args.names if "/" in n and not n.startswith(("service/", "svc/"))]
    capsule_names = [n for n in args.names if "/" not in n]
    if any(not s for s in services):
        error(COMMAND, "service/ needs a name after it: service/NAME")
        return EXIT_BAD_INPUT
    translation = None
    if args.filename:
        from capsule_tui.commands.translate_input import translate_or_report

        translation = translate_or_report(COMMAND, args.filename)
        if translation is None:
            return EXIT_BAD_INPUT
    if args.all and not args.yes and not (sys.stdin.isatty() and sys.stdout.isatty()):
        error(COMMAND, "--all deletes every capsule on every host and there is no terminal to ask on; "
              "pass --yes to confirm")
        return EXIT_BAD_INPUT

    async def work(service) -> int:
        if args.all and not args.yes:
            views = await service.list()
            if not views:
                print("No capsules found.", file=sys.stderr)
                return EXIT_OK
            listing = ", ".join(f"{v.name} ({v.host})" for v in views)
            answer = input(f"Delete all {len(views)} capsules: {listing}? [y/N] ")
            if answer.strip().lower() not in ("y", "yes"):
                print("Nothing deleted.", file=sys.stderr)
                return EXIT_OK
        removed_services = []
        if translation is not None:
            results, removed_services = await service.delete_made_by(translation)
        else:
            results = (await service.delete(capsule_names or None, selector=args.selector, all=args.all)
                       if capsule_names or not (services or workloads) else [])
            for workload in workloads:
                results += await service.delete_workload(workload, namespace=args.namespace)
            if services:
                removed_services = await service.delete_services([(args.namespace, s) for s in services])
        code = EXIT_OK
        for gone in removed_services:
            if gone.error is not None:
                error(COMMAND, str(gone.error))
                code = EXIT_FAILED
            else:
                print(shown(f"service {gone.name} deleted from namespace {gone.namespace} on host "
                            f"{', '.join(gone.hosts)}"))
        for result in results:
            if result.error is not None:
                error(COMMAND, str(result.error))
                code = EXIT_FAILED
                continue
            kept = f" (kept persistent volumes: {', '.join(result.kept_volumes)})" if result.kept_volumes else ""
            print(shown(f"capsule {result.name} deleted from host {result.host}{kept}"))
        if translation is not None and translation.config_objects:
            forget_config_objects(service, translation)
        elif not results and not removed_services and not args.names:
            print("No capsules found.", file=sys.stderr)
        return code

    return max(stored_code, run_with_service(COMMAND, work))
