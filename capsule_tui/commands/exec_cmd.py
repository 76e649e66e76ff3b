"""`capsule exec NAME [-c MEMBER] -- CMD...` and `capsule top [NAME]`.

exec runs a command in a member (the first one unless `-c` picks another), streams
its stdout and stderr to ours as they come, and exits with the command's exit code.
Without -t no terminal is allocated; when our standard input is not a terminal it
is read to the end and given to the command (`-n` turns that off). `-it` gives the
command a terminal joined to ours, as `docker exec -it` (exec_tty.py).
top NAME lists the processes of every member, with a MEMBER column in front (as
`docker top`); `--containers` shows each member's CPU and memory instead (as `kubectl
top pod NAME --containers`), and `capsule top` without a name every capsule's (as
`kubectl top pods`). Figures come from two one-shot stats readings a second apart
(runtime/usage/): a CPU figure is the average over that second.
"""

from __future__ import annotations

import argparse
import sys

from capsule_tui.commands.arguments import command_after
from capsule_tui.commands.exits import EXIT_BAD_INPUT, EXIT_OK, error, run_with_service
from capsule_tui.commands.output import format_processes


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "exec", help="run a command in a member of a capsule",
        description="Run a command in a member of a capsule (the first member unless -c names "
        "one) and exit with its exit code. With -it the command gets a terminal joined to yours, "
        "as `docker exec -it` (e.g. `capsule exec -it web -- sh`; ctrl+c goes to the command). "
        "Without -t no terminal is allocated; when standard input is not a terminal it is read to "
        "its end and passed to the command (e.g. `echo hi | capsule exec web -- cat`); -n passes nothing.",
        usage="capsule exec [-h] [-i] [-t] [-c MEMBER] [-n] [-e K=V] [-w DIR] [-u USER] [--host HOST] NAME -- CMD...",
    )
    parser.add_argument("name", metavar="NAME", help="the capsule")
    parser.add_argument("command", nargs=argparse.REMAINDER, metavar="CMD",
                        help="the command and its arguments, after --")
    parser.add_argument("-c", "--container", dest="member", metavar="MEMBER", help="the member (default: the first)")
    parser.add_argument("-i", "--interactive", action="store_true",
                        help="pass standard input (the default when it is not a terminal); with -t, type into "
                             "the command")
    parser.add_argument("-t", "--tty", action="store_true",
                        help="give the command a terminal joined to yours (needs one on standard input and output)")
    parser.add_argument("-n", "--no-stdin", action="store_true",
                        help="do not pass standard input to the command (as `ssh -n`; for loops reading a file)")
    parser.add_argument("-e", "--env", action="append", default=[], metavar="K=V",
                        help="an environment variable for the command (repeatable)")
    parser.add_argument("-w", "--workdir", metavar="DIR", help="working directory inside the member")
    parser.add_argument("-u", "--user", metavar="USER", help="user (name or uid[:gid]) to run as")
    parser.add_argument("--host", metavar="HOST",
                        help="the capsule of that name on this host (when capsules of the name run on several)")
    parser.set_defaults(func=run_exec, exec_parser=parser)

    top = subparsers.add_parser(
        "top", help="the processes of a capsule's members; CPU and memory of capsules or members",
        description="With NAME: the processes running in each member of the capsule, with a MEMBER "
        "column (--containers: each member's CPU and memory instead). Without NAME: every capsule's CPU "
        "and memory, as `kubectl top pods`. CPU is %% of one core averaged over a second, %%CPU/L and "
        "%%MEM/L the share of the capsule's (member's) own limit, '-' when it has none; MEM is memory in "
        "use less reclaimable file pages (as `docker stats`). -o json also gives the figures with NAME.",
    )
    top.add_argument("name", metavar="NAME", nargs="?", help="the capsule (none: every capsule's CPU and memory)")
    top.add_argument("--containers", action="store_true",
                     help="with NAME: each member's CPU and memory instead of its processes")
    top.add_argument("-l", "--selector", action="append", metavar="KEY=VALUE",
                     help="without NAME: only capsules whose labels match")
    top.add_argument("-o", "--output", choices=("table", "json"), default="table",
                     help="output format (default: table)")
    top.set_defaults(func=run_top)


def run_exec(args: argparse.Namespace) -> int:
    command = command_after(args, args.exec_parser, before=[], after=[args.name])
    if not command:
        error("exec", "no command given; write it after --, e.g. capsule exec NAME -- ls /")
        return EXIT_BAD_INPUT
    for pair in args.env:
        if "=" not in pair or pair.startswith("="):
            error("exec", f"-e {pair!r}: expected KEY=VALUE")
            return EXIT_BAD_INPUT
    if args.tty:
        if args.no_stdin:
            error("exec", "-t and -n do not go together: a terminal is typed into; drop one of them")
            return EXIT_BAD_INPUT
        if not (_stdin_is_terminal() and sys.stdin is not None and _stdout_is_terminal()):
            error("exec", "-t needs a terminal on standard input and output (the input or output is not a "
                          "TTY); drop -t to pass input as a stream, e.g. echo ls | capsule exec NAME -- sh")
            return EXIT_BAD_INPUT
        return run_with_service("exec", lambda service: _exec_terminal(service, args, command))
    stdin = None
    if not args.no_stdin and not _stdin_is_terminal():
        stdin = sys.stdin.buffer.read() or None  # nothing to give: do not attach stdin at all
    return run_with_service("exec", lambda service: _exec(service, args, command, stdin))


def _stdin_is_terminal() -> bool:
    try:
        return sys.stdin is None or sys.stdin.isatty()
    except (ValueError, OSError):  # closed
        return True


def _stdout_is_terminal() -> bool:
    try:
        return sys.stdout is not None and sys.stdout.isatty()
    except (ValueError, OSError):
        return False


async def _exec_terminal(service, args: argparse.Namespace, command: list[str]) -> int:  # type: ignore[no-untyped-def]
    from capsule_tui.commands.exec_tty import join_terminal

    def open_session(size: tuple[int, int] | None):  # type: ignore[no-untyped-def]
        return service.exec_terminal(args.name, command, member=args.member, env=args.env, workdir=args.workdir,
                                     user=args.user, size=size, host=args.host)

    sys.stdout.flush()
    return await join_terminal(open_session, sys.stdin.fileno(), sys.stdout.fileno())


async def _exec(service, args: argparse.Namespace, command: list[str], stdin: bytes | None) -> int:  # type: ignore[no-untyped-def]
    out, err = sys.stdout.buffer, sys.stderr.buffer

    def show(chunk) -> None:  # type: ignore[no-untyped-def]
        target = out if chunk.stream == "stdout" else err
        target.write(chunk.data)
        target.flush()

    return await service.exec(args.name, command, member=args.member, stdin=stdin, on_output=show, env=args.env,
                              workdir=args.workdir, user=args.user, host=args.host)


def run_top(args: argparse.Namespace) -> int:
    return run_with_service("top", lambda service: _top(service, args))


async def _top(service, args: argparse.Namespace) -> int:  # type: ignore[no-untyped-def]
    import json

    from capsule_tui.commands.top_usage import MEASURE_SECONDS, print_capsules, print_members

    if args.name is None:
        if args.containers:
            error("top", "--containers shows the members of one capsule: name it, e.g. capsule top web --containers")
            return EXIT_BAD_INPUT
        return await print_capsules(service, args.selector, args.output)
    if args.selector:
        error("top", "-l selects among every capsule: give either NAME or -l, not both")
        return EXIT_BAD_INPUT
    if args.containers and args.output == "table":
        print_members(await service.capsule_usage(args.name, interval=MEASURE_SECONDS))
        return EXIT_OK
    table = await service.top(args.name)
    if args.output == "json":
        usage = await service.capsule_usage(args.name, interval=MEASURE_SECONDS)
        document = {"processes": table.to_dicts(),
                    "notRunning": [{"member": m, "state": s} for m, s in table.skipped],
                    "usage": usage.to_dict()}
        print(json.dumps(document, indent=2))
        return EXIT_OK
    print(format_processes(table.titles, table.rows))
    for member, state in table.skipped:
        print(f"member {member} is {state}: no processes", file=sys.stderr)
    return EXIT_OK
