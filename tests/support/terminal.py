"""A real terminal for tests: one tmux session on a private server socket.

Keys go in with `tmux send-keys`, the screen comes back with `tmux capture-pane`;
every wait is for what the screen shows, with a deadline. The `tmux` fixture
(tests/conftest.py) gives its path. Must not import pytest.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable


class Terminal:
    """One tmux session on a private server socket."""

    def __init__(self, tmux: str, socket: str, session: str = "capsule") -> None:
        self.tmux_path, self.socket, self.session = tmux, socket, session

    def tmux(self, *args: str) -> str:
        done = subprocess.run([self.tmux_path, "-u", "-L", self.socket, *args], check=True, capture_output=True,
                              text=True, timeout=20)
        return done.stdout

    def start(self, command: str, size: tuple[int, int] = (160, 45)) -> None:
        self.tmux("new-session", "-d", "-s", self.session, "-x", str(size[0]), "-y", str(size[1]), command)
        self.tmux("resize-window", "-t", self.session, "-x", str(size[0]), "-y", str(size[1]))

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", self.session)

    def cursor_row(self) -> int:
        """The screen row of the terminal's cursor: Textual moves it to the focused text field."""
        return int(self.tmux("display-message", "-p", "-t", self.session, "#{cursor_y}").strip())

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", self.session, *keys)

    def type(self, text: str) -> None:
        self.tmux("send-keys", "-t", self.session, "-l", text)

    def wait_for(self, check: Callable[[str], bool] | str, what: str, timeout: float = 30.0) -> str:
        test = (lambda text: check in text) if isinstance(check, str) else check
        deadline = time.monotonic() + timeout
        while True:
            text = self.screen()
            if test(text):
                return text
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout}s waiting for {what}; the screen:\n{text}")
            time.sleep(0.2)  # the polling interval, not a wait for anything in particular

    def wait_for_cursor_on(self, line: Callable[[str], bool], what: str, timeout: float = 30.0) -> None:
        """Until the terminal's cursor stands on a screen line that `line` accepts."""
        self.wait_for(lambda text: line((text.splitlines()[self.cursor_row():] or [""])[0]), what, timeout)

    def press_until(self, key: str, shown: str, what: str, attempts: int = 5) -> str:
        for _ in range(attempts):
            self.keys(key)
            try:
                return self.wait_for(shown, what, timeout=3)
            except AssertionError:
                continue
        return self.wait_for(shown, what, timeout=1)

    def kill(self) -> None:
        subprocess.run([self.tmux_path, "-L", self.socket, "kill-server"], capture_output=True, timeout=20)
