"""What `capsule update`, `rollback` and `apply` share: reading the input, and the flags.

Translation errors are printed with file:line (exit 2), exactly as `capsule create`
prints them. No runtime import at module level: the parser is built for every command.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from capsule_tui.commands.output import error


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
                        help="allow members with securityContext.privileged")
    parser.add_argument("--allow-host-path", action="store_true", help="allow hostPath volumes")


def translate_or_report(command: str, files: list[str], *, strict: bool = False) -> Any:
    """The Translation, or None after printing why (the caller exits 2)."""
    from translate.diagnostics import TranslationError
    from translate.translation import TranslationFailed, translate_paths

    try:
        translation = translate_paths(files, strict=strict)
    except TranslationFailed as exc:
        for diagnostic in exc.report.diagnostics:
            print(diagnostic.format(), file=sys.stderr)
        return None
    except TranslationError as exc:
        for diagnostic in exc.diagnostics:
            print(diagnostic.format(), file=sys.stderr)
        return None
    except OSError as exc:
        error(command, str(exc))
        return None
    for diagnostic in translation.report.diagnostics:
        print(diagnostic.format(), file=sys.stderr)
    return translation
