"""The `capsule` command line: one argparse parser built from per-command modules.

Each command lives in its own module under capsule_tui/commands/ and is added to the
parser by one line in `COMMAND_MODULES`. Command modules import only light things at
the top; whatever is heavy (textual, httpx, docker, kubernetes) is imported inside the
command that needs it, so that `capsule translate` starts fast and headless.

`capsule` with no arguments opens the terminal UI (`TUI_MODULE.run() -> int | None`).

Exit codes (capsule_tui/commands/exits.py): 0 ok, 1 an operation failed, 2 bad input
or usage, 70 a bug in capsule, 130 interrupted. Errors go to standard error as
messages, never as tracebacks.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from capsule_tui.commands.exits import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_OK

# One line per command module; each exposes register(subparsers) and sets `func`.
COMMAND_MODULES: tuple[str, ...] = (
    "capsule_tui.commands.translate_cmd",
    "capsule_tui.commands.create_cmd", "capsule_tui.commands.list_cmd", "capsule_tui.commands.describe_cmd", "capsule_tui.commands.delete_cmd", "capsule_tui.commands.events_cmd",  # noqa: E501
    "capsule_tui.commands.hosts_cmd",
    "capsule_tui.commands.services_cmd",
    "capsule_tui.commands.scale_cmd",
    "capsule_tui.commands.logs_cmd",
    "capsule_tui.commands.exec_cmd",
    "capsule_tui.commands.cp_cmd",
    "capsule_tui.commands.lifecycle_cmd",
    "capsule_tui.commands.run_cmd",
    "capsule_tui.commands.tui_cmd",
    "capsule_tui.commands.watch_cmd",
    "capsule_tui.commands.gc_cmd",
    "capsule_tui.commands.update_cmd", "capsule_tui.commands.history_cmd", "capsule_tui.commands.apply_cmd",
)
# The Textual app that plain `capsule` opens; imported only then.
TUI_MODULE = "capsule_tui.app"


def version() -> str:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as package_version

    try:
        return package_version("capsule")
    except PackageNotFoundError:
        return "unknown (not installed)"


class _VersionAction(argparse.Action):
    """--version, looked up only when asked: importlib.metadata costs ~30 ms per start."""

    def __call__(self, parser, namespace, values, option_string=None) -> None:  # type: ignore
        print(f"capsule {version()}")
        parser.exit(EXIT_OK)


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole parser, or with `only` (a module of COMMAND_MODULES) just that command's part."""
    parser = argparse.ArgumentParser(
        prog="capsule",
        description="Pods for plain Docker hosts: a sandbox container owns the network, "
        "member containers join it, and the capsule lives and dies as a unit. "
        "Run without a command to open the terminal UI.",
    )
    parser.add_argument("--version", action=_VersionAction, nargs=0,
                        help="show capsule's version and exit")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    for module_name in (only,) if only else COMMAND_MODULES:
        importlib.import_module(module_name).register(commands)
    return parser


def _parser_for(arguments: list[str]) -> argparse.ArgumentParser:
    """The parser `arguments` need: only their command's module when that is plain to see.

    Registering all 17 command modules costs ~25 ms per start, most of a fast
    command's own time. When the first word names a module directly (`list` ->
    commands/list_cmd.py) and that module registers the word, its part is all
    that parsing needs, and --help and usage errors read the same. Anything
    else (an alias, --help, a word of a shared module) gets the whole parser.
    """
    word = arguments[0] if arguments else ""
    module_name = f"capsule_tui.commands.{word}_cmd"
    if word.isidentifier() and module_name in COMMAND_MODULES:
        parser = build_parser(only=module_name)
        commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        if word in commands.choices:
            return parser
    return build_parser()


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    try:
        if not arguments:
            return _open_tui()
        parser = _parser_for(arguments)
        try:
            args = parser.parse_args(arguments)
        except SystemExit as exc:  # --help, --version, or a usage error already printed
            return exc.code if isinstance(exc.code, int) else EXIT_BAD_INPUT
        if getattr(args, "func", None) is None:
            parser.print_help(sys.stderr)
            return EXIT_BAD_INPUT
        return int(args.func(args) or EXIT_OK)
    except KeyboardInterrupt:
        print("capsule: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader of our output went away (`capsule translate x | head`); say nothing
        # more, and keep Python from complaining while it flushes stdout at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILED
    except Exception as exc:  # a bug: report it plainly instead of a traceback
        print(f"capsule: internal error: {type(exc).__name__}: {exc} "
              "(this is a bug in capsule; please report it with the command you ran)",
              file=sys.stderr)
        return EXIT_INTERNAL


def _open_tui() -> int:
    # No parser: the first paint should not wait for 17 command modules to register.
    app = importlib.import_module(TUI_MODULE)
    return int(app.run() or EXIT_OK)


if __name__ == "__main__":
    sys.exit(main())
