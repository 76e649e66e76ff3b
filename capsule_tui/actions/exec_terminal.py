"""`E`: run a command (or a shell) in a member, with the terminal handed over.

The command runs as `capsule exec NAME -c MEMBER -- CMD...`, a child process of the
UI (the same interpreter, the same CAPSULE_HOME and hosts): the CLI's exec path,
not a second one. The app is suspended around it (Textual's `App.suspend`, as
lazydocker's `E` does), so the command's output is the terminal's, and the UI
comes back when it ends and enter is pressed.

On the terminal it runs as `capsule exec -it`: the command gets a terminal of its
own joined to the user's (capsule_tui/commands/exec_tty.py), so a shell is a real
shell (`cd` carries over, ctrl+c goes to it, full-screen programs work) and an empty
command opens one (`sh`), as lazydocker's `E` does.

While the terminal is handed over, ctrl+c belongs to the command: the UI's own
process only notes it (asyncio's handler would cancel the whole app), and the
child gets the default handling back at exec.

Where the app cannot be suspended (Textual's headless driver in tests, Textual
web), `run_captured` runs the same `capsule exec` with its output captured, for
a notification. Must not import textual (the screens call it).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from capsule_tui.formatters.safe_text import shown

CAPTURE_SECONDS = 120.0  # a command run without a terminal must end within this
CAPTURED_LINES = 12  # the last lines of its output shown in the notification


SHELL = ("sh",)


def exec_argv(name: str, member: str, command: Sequence[str], *, host: str | None = None,
              terminal: bool = False) -> list[str]:
    """`capsule exec` for this capsule and member: on the terminal (`-it`), or with no input at all (`-n`).
    `host`: the capsule of the name on that host, the row chosen (a same-named one elsewhere is not it)."""
    how = "-it" if terminal else "-n"
    where = ["--host", host] if host is not None else []
    return [sys.executable, "-m", "capsule_tui.cli", "exec", how, "-c", member, *where, name, "--", *command]


def _on_a_terminal() -> bool:
    try:
        return sys.stdin.isatty() and sys.stdout.isatty()
    except (AttributeError, ValueError, OSError):
        return False


@contextlib.contextmanager
def ctrl_c_for_the_child() -> Iterator[None]:
    """ctrl+c reaches the child (its process group is ours) and only that: here a KeyboardInterrupt
    the loops below catch. A Python-level handler, not SIG_IGN: exec resets it for the child."""

    def interrupted(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    before = signal.signal(signal.SIGINT, interrupted)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, before)


def _wait(argv: list[str]) -> int:
    child = subprocess.Popen(argv)
    while True:
        try:
            return child.wait()
        except KeyboardInterrupt:
            continue  # the child got it too: it decides whether to end


def run_in_terminal(name: str, member: str, command: Sequence[str], host: str | None = None) -> int:
    """Run the command on the terminal (the app is suspended); its exit code, after enter."""
    with ctrl_c_for_the_child():
        print(shown(f"$ capsule exec {name} -c {member} -- {' '.join(command)}"), flush=True)
        code = _wait(exec_argv(name, member, command, host=host, terminal=_on_a_terminal()))
        _pause(f"[exit code {code}] press enter to go back to capsule ")
    return code


def shell_in_terminal(name: str, member: str, host: str | None = None) -> int:
    """A shell in the member on the terminal; when it ends (exit, ctrl+d) the UI comes back.

    A member without `sh` (a distroless image) gets the engine's words and a pause to read them.
    """
    with ctrl_c_for_the_child():
        print(shown(f"capsule: a shell in {name}/{member} (sh); exit or ctrl+d goes back"), flush=True)
        code = _wait(exec_argv(name, member, SHELL, host=host, terminal=_on_a_terminal()))
        if code not in (0, 130):  # 130: the shell's last command was interrupted, as a shell exit says
            _pause(f"[exit code {code}] press enter to go back to capsule ")
    return code


def _pause(prompt: str) -> None:
    with contextlib.suppress(EOFError, KeyboardInterrupt):
        input(prompt)


@dataclass(frozen=True)
class Captured:
    code: int
    output: str  # stdout and stderr, interleaved as they came, the last CAPTURED_LINES lines

    def summary(self, name: str, member: str, command: Sequence[str]) -> str:
        head = f"{name}/{member}: {' '.join(command)} → exit code {self.code}"
        return f"{head}\n{self.output}" if self.output else head


async def run_captured(name: str, member: str, command: Sequence[str], *, host: str | None = None,
                       timeout: float = CAPTURE_SECONDS) -> Captured:
    """The same `capsule exec`, its output captured (no terminal to hand over); killed at `timeout`."""
    child = await asyncio.create_subprocess_exec(
        *exec_argv(name, member, command, host=host), stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    try:
        output, _ = await asyncio.wait_for(child.communicate(), timeout)
    except (TimeoutError, asyncio.CancelledError) as exc:
        with contextlib.suppress(ProcessLookupError):
            child.kill()
        await child.wait()
        if isinstance(exc, TimeoutError):
            raise TimeoutError(f"{' '.join(command)} in {name}/{member} did not end within {timeout:.0f} s "
                               f"and was stopped; without a terminal, run it with capsule exec") from None
        raise
    lines = output.decode("utf-8", "replace").rstrip("\n").splitlines()[-CAPTURED_LINES:]
    return Captured(child.returncode if child.returncode is not None else -1, "\n".join(lines))
