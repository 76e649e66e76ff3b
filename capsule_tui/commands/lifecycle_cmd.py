"""`capsule start|stop|restart|pause|unpause NAME`: the lifecycle of a whole capsule.

The order the namespaces need is runtime/ops/lifecycle.py's (through the service):
stop takes the members down before the sandbox, start brings the sandbox up first
and restarts members that joined an older namespace of it (else they would be left
with only `lo`). After the change, the store is brought up to date with the host so
that `capsule events` shows it at once; a store that cannot be written only warns.
Exit 0, 1 when the capsule does not exist or the host fails.
"""

from __future__ import annotations

import argparse

from capsule_tui.commands.exits import EXIT_OK, run_with_service

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
    async def work(service) -> int:  # type: ignore[no-untyped-def]
        await service.lifecycle(args.action, args.name, grace=max(getattr(args, "time", 10), 0))
        print(f"{args.name} {_HELP[args.action][1]}")
        return EXIT_OK

    return run_with_service(args.action, work)
