"""Reading the input files of a command that runs capsules (create, update, apply).

Prints every diagnostic with its file, line and column to standard error, warnings
included, and hands back the Translation; None tells the caller to exit 2. Nothing
here touches a host.
"""

from __future__ import annotations

import sys
from typing import Any

from capsule_tui.commands.exits import error


def translate_or_report(command: str, files: list[str], *, strict: bool = False, resolve: bool = False) -> Any:
    """The Translation, or None after printing why (the caller exits 2).

    `resolve`: the command runs the capsules, so references to ConfigMaps and Secrets
    that are not in the files are resolved from the stored ones (capsule_tui/commands/
    config_refs.py) instead of warned about."""
    from translate.diagnostics import TranslationError
    from translate.translation import TranslationFailed, translate_paths

    try:
        translation = translate_paths(files, strict=strict, warn_missing=not resolve)
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
    if resolve:
        from capsule_tui.commands.config_refs import resolve_stored

        if not resolve_stored(command, translation):
            return None
    return translation
