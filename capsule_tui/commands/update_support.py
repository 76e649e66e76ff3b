"""The flags `capsule update`, `rollback` and `apply` share.

No runtime import at module level: the parser is built for every command.
"""

from __future__ import annotations

import argparse


def seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if value < 0:
        raise argparse.ArgumentTypeError("seconds cannot be negative")
    return value


def add_switch_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--timeout", type=seconds, default=120.0, metavar="S",
                        help="seconds the new revision has to become ready, else the old one is restored "
                        "(default: 120)")
    parser.add_argument("--settle", type=seconds, default=3.0, metavar="S",
                        help="without readiness probes: seconds every member must run without a restart "
                        "(default: 3)")
    parser.add_argument("--grace", type=int, default=1, metavar="S",
                        help="seconds the old members get to stop before they are killed (default: 1)")
    parser.add_argument("--allow-privileged", action="store_true",
                        help="allow members with securityContext.privileged or dangerous capabilities "
                        "(SYS_ADMIN, NET_ADMIN, ...: see the user guide)")
    parser.add_argument("--allow-host-path", action="store_true",
                        help="allow hostPath volumes, and named volumes whose local-driver options mount "
                        "host paths or devices")


