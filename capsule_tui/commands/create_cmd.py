"""`capsule create -f FILE|DIR`: translate, then run every capsule of the input.

Progress goes to standard error as it happens; the created capsules (name, host,
IP, status) to standard output as a table, or as JSON/YAML with `-o`. Exit codes:
0 when every capsule is Running or Finished (or, with --no-wait, built), 1 when a
create failed on a host (nothing is left there by a failed build), 2 for bad input
(translation errors, an unknown host, a spec the options refuse, a reference to a
ConfigMap or Secret that is neither in the input nor stored).

The input's ConfigMaps and Secrets are stored (runtime/state/config_objects.py), so
that a later input can refer to them; a file of only those is a valid input.

With several hosts the scheduler chooses (`--strategy spread|binpack`); `--host`
restricts the choice to one host, whose capacity is still checked. When no host
fits, the error lists every host's reason (exit 1). `--dry-run` prints the
placement decision, the chosen host and every host's reason, and creates nothing:
exit 0 when every capsule could be placed, 1 when one could not.
"""

from __future__ import annotations

import argparse
import sys

from capsule_tui.commands.config_refs import resolve_and_keep
from capsule_tui.commands.exits import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, error, run_with_service
from capsule_tui.commands.output import dump, progress_printer, table
from capsule_tui.commands.translate_input import translate_or_report
from capsule_tui.formatters.safe_text import shown

COMMAND = "create"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "create",
        help="create capsules from capsule files or Kubernetes manifests",
        description="Translate the input and create every capsule in it on a Docker host; wait "
        "until each is Running (or Finished), and ready when a member has a readiness or startup probe, "
        "unless --no-wait. Progress goes to standard error.",
    )
    parser.add_argument("-f", "--filename", dest="files", action="append", required=True, metavar="FILE|DIR",
                        help="a capsule or Kubernetes YAML/JSON file, '-' for standard input, or a folder "
                        "(every *.yaml, *.yml, *.json in it); may be repeated")
    parser.add_argument("--host", help="the host to create on (default: the local engine, or the scheduler's "
                        "choice when there are several hosts)")
    parser.add_argument("--strategy", choices=("spread", "binpack"), default="spread",
                        help="how the scheduler chooses among the hosts that fit: spread (default: the "
                        "least allocated host) or binpack (the most allocated)")
    parser.add_argument("--dry-run", action="store_true",
                        help="show where each capsule would be placed and why, and create nothing")
    parser.add_argument("--no-wait", dest="wait", action="store_false",
                        help="return once the containers are started, without waiting for Running")
    parser.add_argument("--timeout", type=_seconds, default=120.0, metavar="S",
                        help="seconds to wait for Running and the readiness probes (default: 120)")
    parser.add_argument("--sandbox-image", metavar="IMAGE",
                        help="the sandbox image (default: the host's, $CAPSULE_SANDBOX_IMAGE, or "
                        "registry.k8s.io/pause:3.10)")
    parser.add_argument("--network", metavar="NAME", help="a Docker network for the sandbox (default: bridge)")
    parser.add_argument("--allow-privileged", action="store_true",
                        help="allow members with securityContext.privileged or dangerous capabilities "
                        "(SYS_ADMIN, NET_ADMIN, ...: see the user guide)")
    parser.add_argument("--allow-host-path", action="store_true",
                        help="allow hostPath volumes, and named volumes whose local-driver options mount "
                        "host paths or devices")
    parser.add_argument("--strict", action="store_true",
                        help="treat every translation warning (ignored or unknown field) as an error")
    parser.add_argument("-o", "--output", choices=("json", "yaml"), help="print the results as JSON or YAML")
    parser.set_defaults(func=run)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if value <= 0:
        raise argparse.ArgumentTypeError("the timeout must be more than 0 seconds")
    return value


def run(args: argparse.Namespace) -> int:
    translation = translate_or_report(COMMAND, args.files, strict=args.strict)
    if translation is None:
        return EXIT_BAD_INPUT
    if not translation.capsules and not translation.services and translation.config_objects:
        # Only ConfigMaps and Secrets: kept for later inputs, as kubectl creates them.
        async def keep_only(service) -> int:
            if not args.dry_run and not resolve_and_keep(COMMAND, service, translation):
                return EXIT_BAD_INPUT
            _show([], args.output)
            return EXIT_OK

        return run_with_service(COMMAND, keep_only)
    if not translation.capsules and translation.runs_nothing:
        # A cluster would run no pod for them either: nothing to do is success, said plainly.
        print(f"nothing to create: {'; '.join(translation.runs_nothing)}", file=sys.stderr)
        _show([], args.output)
        return EXIT_OK

    if args.dry_run:
        return run_with_service(COMMAND, lambda service: _dry_run(service, translation, args))

    async def work(service) -> int:
        from runtime.create_flow import CreateErrors, CreateOptions

        options = CreateOptions(sandbox_image=args.sandbox_image, network=args.network,
                                allow_privileged=args.allow_privileged, allow_host_path=args.allow_host_path,
                                strategy=args.strategy)
        if not resolve_and_keep(COMMAND, service, translation):  # before anything is built
            return EXIT_BAD_INPUT
        try:
            results = await service.create(translation, host=args.host, wait=args.wait, timeout=args.timeout,
                                           on_progress=progress_printer(COMMAND), options=options)
        except CreateErrors as exc:
            _show([r for r in exc.results if r.error is None], args.output)
            for result in exc.results:
                if result.error is not None:
                    error(COMMAND, str(result.error))
            return exc.exit_code
        _show(results, args.output)
        return EXIT_OK

    return run_with_service(COMMAND, work)


async def _dry_run(service, translation, args: argparse.Namespace) -> int:  # type: ignore[no-untyped-def]
    """Each capsule's placement to stdout; the ones that cannot be placed as errors (exit 1)."""
    service.resolve_references(translation)  # a reference that resolves nowhere is exit 2 here too
    plans = await service.plan(translation, host=args.host, strategy=args.strategy)
    placed = [(name, p) for name, p in plans if not isinstance(p, Exception)]
    if args.output:
        dump([{"name": name, "host": p.host, "strategy": p.strategy, "score": round(p.score, 1),
               "hosts": {h: d.describe() for h, d in p.reasons_per_host.items()}} for name, p in placed],
             args.output)
    else:
        for name, placement in placed:
            print(shown(f"{name}: {placement.format()}", block=True))
    for _, outcome in plans:
        if isinstance(outcome, Exception):
            error(COMMAND, str(outcome))
    print("dry run: nothing was created", file=sys.stderr)
    return EXIT_FAILED if len(placed) < len(plans) else EXIT_OK


def _show(results: list, fmt: str | None) -> None:
    if fmt:
        dump([{"name": r.name, "host": r.host, "uuid": r.uuid, "ip": r.ip, "status": r.status,
               "reason": r.reason} for r in results], fmt)
        return
    if results:
        table(("NAME", "HOST", "IP", "STATUS"), [(r.name, r.host, r.ip, r.status) for r in results])
