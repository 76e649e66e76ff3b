"""`capsule start|stop|restart|pause|unpause NAME`: the lifecycle of a whole capsule.

The order the namespaces need is runtime/ops/lifecycle.py's: stop takes the
members down before the sandbox, start brings the sandbox up first and restarts
members that joined an older namespace of it (else they would be left with only
`lo`). After the change, the store is brought up to date with the host so that
`capsule events` shows it at once; a store that cannot be written only warns.
Exit 0, 1 when the capsule does not exist or the host fails.
"""

from __future__ import annotations

import argparse
import sys

from capsule_tui.commands.ops_support import EXIT_OK, located, run_operation

_HELP = {
    "start": ("start a stopped capsule (sandbox first, then its members)", "started"),
    "stop": ("stop a capsule's members, then its sandbox", "stopped"),
    "restart": ("stop and start a capsule", "restarted"),
    "pause": ("freeze every process of a capsule", "paused"),
    "unpause": ("resume a paused capsule", "unpaused"),
}


def register(subparsers: argparse._SubParsersAction) -> None:
    for action, (text, _) in _HELP.items():
        parser = subparsers.add_parser(action, help=text, description=text[0].upper() + text[1:] + ".")
        parser.add_argument("name", metavar="NAME", help="the capsule")
        if action in ("stop", "restart"):
            parser.add_argument("-t", "--time", type=int, default=10, metavar="SECONDS",
                                help="seconds to wait for members to stop before killing them (default 10)")
        parser.set_defaults(func=run, action=action)


def run(args: argparse.Namespace) -> int:
    code = run_operation(args.action, lambda: _change(args))
    if code == EXIT_OK:
        print(f"{args.name} {_HELP[args.action][1]}")
    return code


async def _change(args: argparse.Namespace) -> int:
    from runtime.ops import lifecycle as lifecycle
    grace = max(getattr(args, "time", 10), 0)
    async with located(args.name) as found:
        engine, capsule = found.engine, found.capsule
        if args.action == "start":
            await lifecycle.start_capsule(engine, capsule, grace=grace)
        elif args.action == "stop":
            await lifecycle.stop_capsule(engine, capsule, grace=grace)
        elif args.action == "restart":
            await lifecycle.restart_capsule(engine, capsule, grace=grace)
        elif args.action == "pause":
            await lifecycle.pause_capsule(engine, capsule)
        else:
            await lifecycle.unpause_capsule(engine, capsule)
        host = found.host
    await record_change(host, args.action)
    return EXIT_OK


async def record_change(host, command: str) -> None:  # type: ignore[no-untyped-def]
    """Reconcile the store with the host now, so events show the change; warn on failure."""
    from runtime.service import CapsuleService

    try:
        async with CapsuleService(hosts=[host]) as service:
            await service.refresh([host])
    except Exception as exc:  # the change itself is done; the record catches up on the next read
        print(f"capsule {command}: warning: the change is done but could not be recorded: {exc}", file=sys.stderr)
