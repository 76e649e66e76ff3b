"""`capsule scale WORKLOAD --replicas N [-n NAMESPACE] [-f FILE]`: more or fewer replicas of a workload.

WORKLOAD is `deployment/web`, `statefulset/db`, or a plain name when one workload has
it. New replicas are made from a running replica's spec and named as the translation
names them; a StatefulSet loses its highest ordinals first, the others their newest
replicas. The namespace's Services follow before the command returns. The replicas'
Secrets come from those stored in the namespace (`capsule create -f secret.yaml`), or
from `-f FILE`, whose ConfigMaps and Secrets are stored as a create stores them. Exit 0,
1 when a replica could not be created, 2 for bad input.
"""

from __future__ import annotations

import argparse

from capsule_tui.commands.exits import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, error, run_with_service
from capsule_tui.formatters.safe_text import shown

COMMAND = "scale"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "scale", help="run more or fewer replicas of a workload",
        description="Make a Deployment, ReplicaSet, ReplicationController or StatefulSet run N capsules.",
    )
    parser.add_argument("workload", metavar="WORKLOAD", help="KIND/NAME (deployment/web) or NAME")
    parser.add_argument("--replicas", type=int, required=True, metavar="N", help="how many replicas to run")
    parser.add_argument("-n", "--namespace", default="default", help="the workload's namespace (default: default)")
    parser.add_argument("-f", "--filename", action="append", metavar="FILE",
                        help="the file(s) with the Secrets the replicas use (stored, as create stores them)")
    parser.add_argument("--timeout", type=float, default=120.0, metavar="S",
                        help="seconds for each new replica to run and be ready (default 120)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.replicas < 0:
        error(COMMAND, f"--replicas takes 0 or more, not {args.replicas}")
        return EXIT_BAD_INPUT
    translation = None
    if args.filename:
        from capsule_tui.commands.translate_input import translate_or_report

        translation = translate_or_report(COMMAND, args.filename)
        if translation is None:
            return EXIT_BAD_INPUT
    secrets = translation.secrets if translation is not None else None

    async def work(service) -> int:  # type: ignore[no-untyped-def]
        if translation is not None and translation.config_objects:
            from capsule_tui.commands.config_refs import say_stored

            service.keep_config_objects(translation)  # for the next scale, create or apply, as create keeps them
            say_stored(translation.config_objects)
        result = await service.scale(args.workload, args.replicas, namespace=args.namespace, secrets=secrets,
                                     timeout=args.timeout)
        for name in result.created:
            print(shown(f"capsule {name} created"))
        for name in result.deleted:
            print(shown(f"capsule {name} deleted"))
        for problem in result.problems:
            error(COMMAND, problem)
        print(shown(f"{result.workload} in namespace {result.namespace}: {result.before} -> {result.after} replicas"))
        return EXIT_FAILED if result.problems else EXIT_OK

    return run_with_service(COMMAND, work)
