"""`capsule translate FILE...`: print capsule YAML or Kubernetes manifests as normalized
capsules (or as Kubernetes Pods with `--to pod`).

Documents go to standard output, warnings and errors to standard error. Exit 0 when
everything translated, 2 on any error, in which case nothing is printed to standard
output. This command never touches a Docker engine and never imports textual.
"""

from __future__ import annotations

import argparse
import sys
from typing import Iterable

from translate.diagnostics import Diagnostic, TranslationError

EXIT_OK = 0
EXIT_BAD_INPUT = 2


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "translate",
        help="print capsule files or Kubernetes manifests as normalized capsules",
        description="Translate capsule YAML and Kubernetes manifests into normalized "
        "capsule documents (or Pod manifests with --to pod). Documents go to standard "
        "output, warnings and errors to standard error; exit 2 on any error.",
    )
    parser.add_argument(
        "files", nargs="+", metavar="FILE",
        help="a capsule or Kubernetes YAML/JSON file; '-' reads standard input; "
        "a folder means every *.yaml, *.yml and *.json file in it",
    )
    parser.add_argument("-o", "--output", choices=("yaml", "json"), default="yaml",
                        help="output format (default: yaml)")
    parser.add_argument("--to", choices=("capsule", "pod"), default="capsule",
                        help="write normalized capsules (default) or Kubernetes Pods")
    parser.add_argument("--strict", action="store_true",
                        help="treat every warning (ignored or unknown field) as an error")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from translate.translation import TranslationFailed, translate_paths

    try:
        translation = translate_paths(args.files, strict=args.strict)
        if args.to == "pod":
            from translate.pod_writer import write_pods

            text = write_pods(translation.capsules, args.output)
        else:
            from translate.output import write_capsules

            text = write_capsules(translation.capsules, args.output)
    except TranslationFailed as exc:
        _tell(exc.report.diagnostics)
        return EXIT_BAD_INPUT
    except TranslationError as exc:
        _tell(exc.diagnostics)
        return EXIT_BAD_INPUT
    except OSError as exc:
        print(f"capsule translate: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    _tell(translation.report.diagnostics)
    sys.stdout.write(text)
    sys.stdout.flush()
    return EXIT_OK


def _tell(diagnostics: Iterable[Diagnostic]) -> None:
    for diagnostic in diagnostics:
        print(diagnostic.format(), file=sys.stderr)
