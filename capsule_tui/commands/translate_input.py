"""Reading the input files of a command that runs capsules (create, update, apply).

Prints every diagnostic with its file, line and column to standard error, warnings
included, and hands back the Translation; None tells the caller to exit 2. Nothing
here touches a host.
"""

from __future__ import annotations

import sys
from typing import Any

from capsule_tui.commands.exits import error


def translate_or_report(command: str, files: list[str], *, strict: bool = False, warn_missing: bool = False) -> Any:
    """The Translation, or None after printing why (the caller exits 2).

    References to ConfigMaps and Secrets that are not in the files are not warned about
    (unless `warn_missing`): these commands do not write them, and the service resolves
    them from the stored ones (runtime/state/config_objects.py) or refuses naming them."""
    from translate.diagnostics import TranslationError
    from translate.translation import TranslationFailed, translate_paths

    try:
        translation = translate_paths(files, strict=strict, warn_missing=warn_missing)
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
