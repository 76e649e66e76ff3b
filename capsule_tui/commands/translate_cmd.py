"""`capsule translate FILE...`: print capsule YAML or Kubernetes manifests as normalized
capsules and services (or as Kubernetes Pods and Services with `--to pod`).

Documents go to standard output, warnings and errors to standard error. Exit 0 when
everything translated, 2 on any error, in which case nothing is printed to standard
output. This command never touches a Docker engine and never imports textual.
`--print-schema` prints the JSON Schema of the normalized document
(translate/capsule.schema.json) for editors and scripts; it only reads the packaged
file, so it never imports jsonschema.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the parser of every command is built from this module: keep it cheap
    from translate.diagnostics import Diagnostic

from capsule_tui.commands.exits import EXIT_BAD_INPUT, EXIT_OK

SCHEMA_FILE = "capsule.schema.json"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "translate",
        help="print capsule files or Kubernetes manifests as normalized capsules",
        description="Translate capsule YAML and Kubernetes manifests into normalized "
        "capsule documents and, after them, service documents (or Pod and Service manifests "
        "with --to pod). Documents go to standard output, warnings and errors to standard "
        "error; exit 2 on any error.",
    )
    parser.add_argument(
        "files", nargs="*", metavar="FILE",
        help="a capsule or Kubernetes YAML/JSON file; '-' reads standard input; "
        "a folder means every *.yaml, *.yml and *.json file in it",
    )
    parser.add_argument("-o", "--output", choices=("yaml", "json"), default="yaml",
                        help="output format (default: yaml)")
    parser.add_argument("--to", choices=("capsule", "pod"), default="capsule",
                        help="write normalized capsules and services (default) or Kubernetes Pods "
                        "and Services")
    parser.add_argument("--strict", action="store_true",
                        help="treat every warning (ignored or unknown field) as an error")
    parser.add_argument("--print-schema", action="store_true",
                        help="print the JSON Schema (draft 2020-12) of the normalized capsule "
                        "document and exit")
    # FILE is optional only for --print-schema; run() checks it, with the usage line argparse prints.
    parser.set_defaults(func=run, translate_usage=parser.format_usage)


def run(args: argparse.Namespace) -> int:
    if args.print_schema:
        return _print_schema(args.files)
    if not args.files:
        sys.stderr.write(args.translate_usage())
        print("capsule translate: error: give at least one FILE ('-' reads standard input), "
              "or --print-schema", file=sys.stderr)
        return EXIT_BAD_INPUT
    from translate.diagnostics import TranslationError
    from translate.translation import TranslationFailed, translate_paths

    try:
        translation = translate_paths(args.files, strict=args.strict)
        if args.to == "pod":
            from translate.kubernetes.pod_writer import write_pods

            text = write_pods(translation.capsules, args.output, translation.services)
        else:
            from translate.output import write_capsules

            text = write_capsules(translation.capsules, args.output, translation.services)
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


def _print_schema(files: list[str]) -> int:
    if files:
        print("capsule translate: error: --print-schema takes no FILE; leave the files out",
              file=sys.stderr)
        return EXIT_BAD_INPUT
    # Read through importlib.resources so the packaged copy is printed, wherever installed.
    from importlib import resources

    sys.stdout.write(resources.files("translate").joinpath(SCHEMA_FILE).read_text("utf-8"))
    sys.stdout.flush()
    return EXIT_OK


def _tell(diagnostics: Iterable[Diagnostic]) -> None:
    for diagnostic in diagnostics:
        print(diagnostic.format(), file=sys.stderr)
