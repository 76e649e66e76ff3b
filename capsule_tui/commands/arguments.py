"""Argument helpers the commands share: the command written after `--`.

Light at import, like every command module.
"""

from __future__ import annotations

from typing import Any


def command_after(args: Any, parser: Any, *, before: list[str], after: list[str]) -> list[str]:
    """The command given after the positionals (an argparse.REMAINDER named `command`).

    argparse hands everything after the last positional to the remainder, so
    `exec web -c api -- ls` arrives as ['-c', 'api', '--', 'ls']. Options written
    there (up to `--`, or all of it when there is no `--`) are parsed into `args`
    here, with `before` + them + `after` so that required options and positionals
    are present again; what follows `--` is the command. A command that itself
    starts with '-' must therefore come after `--`, as the usage lines say.
    """
    command = list(args.command)
    if command[:1] == ["--"]:
        return command[1:]
    if command and command[0].startswith("-"):
        cut = command.index("--") if "--" in command else len(command)
        parser.parse_args([*before, *command[:cut], *after], namespace=args)
        return command[cut + 1:]
    return command
