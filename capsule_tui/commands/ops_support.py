"""What the operation commands (logs, exec, top, cp, run, start/stop/...) share.

`run_operation` runs a command's coroutine and turns every failure a user can meet
into one line on standard error and an exit code: 1 when the operation failed
(unknown capsule or member, a host that cannot do it), 2 when the input cannot work
as given. Engine errors already name their host. No tracebacks for these.

Nothing heavy at import time: this module is imported whenever `capsule` runs; the
runtime is imported inside the function.
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from typing import Any

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


def error(command: str, message: str) -> None:
    print(f"capsule {command}: error: {message}", file=sys.stderr)


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


def run_operation(command: str, make: Callable[[], Awaitable[int]]) -> int:
    """Run `make()` to completion; known failures become a message and an exit code."""
    from runtime.engine import event_loop
    from runtime.build.model import BuildFailed, BuildRefused, OperationFailed
    from runtime.engine.errors import EngineError
    from runtime.hosts.settings import UnknownHost
    from runtime.hosts.inventory import InventoryError
    from runtime.ops.errors import OperationError
    from runtime.errors import CapsuleError

    try:
        return event_loop.run(_awaited(make))
    except BuildRefused as exc:
        error(command, str(exc))
        return EXIT_USAGE
    except (UnknownHost, InventoryError) as exc:
        error(command, str(exc))
        return EXIT_USAGE
    except CapsuleError as exc:
        error(command, str(exc))
        return exc.exit_code
    except (OperationError, OperationFailed, BuildFailed, EngineError) as exc:
        error(command, str(exc))
        return EXIT_FAILED


async def _awaited(make: Callable[[], Awaitable[int]]) -> int:
    return await make()


def located(name: str) -> Any:
    """`async with located(name) as found:` the capsule's host, engine and observed capsule."""
    from runtime.observe.lookup import locate_capsule

    return locate_capsule(name)
