"""Processes the test infrastructure starts: identify them safely and stop them by pid.

A pid alone can be reused by an unrelated process after ours died, so a
`ProcessRef` also keeps the process's start time from /proc and acts only while
both match. Must not: find processes by name, or signal anything it was not
handed explicitly.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path


def _start_time(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # Field 22 (starttime) follows the parenthesised command name, which may hold spaces.
    fields = stat.rsplit(")", 1)[1].split()
    if fields[0] == "Z":  # a zombie has finished; only its parent's wait() remains
        return None
    return int(fields[19])


def command_name(pid: int) -> str | None:
    """The kernel's short name of a process (e.g. "dockerd"), or None if gone."""
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return None


@dataclass(frozen=True)
class ProcessRef:
    """A process we started (or adopted), pinned by pid and start time."""

    pid: int
    start_time: int

    @classmethod
    def of(cls, pid: int) -> ProcessRef | None:
        start = _start_time(pid)
        return None if start is None else cls(pid, start)

    @classmethod
    def parse(cls, text: str) -> ProcessRef | None:
        try:
            pid, start = (int(part) for part in text.split())
        except ValueError:
            return None
        return cls(pid, start)

    def dump(self) -> str:
        return f"{self.pid} {self.start_time}\n"

    def alive(self) -> bool:
        return _start_time(self.pid) == self.start_time

    def signal(self, signo: int) -> None:
        if self.alive():
            try:
                os.kill(self.pid, signo)
            except ProcessLookupError:
                pass

    def stop(self, timeout: float, popen: subprocess.Popen | None = None) -> bool:
        """SIGTERM, wait up to `timeout`, then SIGKILL. True when it ended in time."""
        self.signal(signal.SIGTERM)
        graceful = wait_gone(self, timeout, popen)
        if not graceful:
            self.signal(signal.SIGKILL)
            wait_gone(self, 5.0, popen)
        return graceful


def wait_gone(ref: ProcessRef, timeout: float, popen: subprocess.Popen | None = None) -> bool:
    """Wait until the process has ended (reaping it when it is our child)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if popen is not None:
            popen.poll()
        if not ref.alive():
            return True
        time.sleep(0.05)
    return False


def kill_pids(pids: list[int], timeout: float = 5.0) -> None:
    """SIGKILL the given processes (found inside our own namespaces/cgroups) and wait."""
    refs = [ref for ref in map(ProcessRef.of, pids) if ref is not None]
    for ref in refs:
        ref.signal(signal.SIGKILL)
    for ref in refs:
        wait_gone(ref, timeout)


def tail(path: Path, lines: int = 15) -> str:
    """The last lines of a dockerd log, for error messages (gRPC chatter left out)."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no log)"
    useful = [line for line in text.rstrip().splitlines() if "module=grpc" not in line]
    return "\n".join(useful[-lines:])
