"""The small value types the engine client returns besides plain dicts.

Plain frozen dataclasses: no behaviour beyond decoding helpers, no I/O, and no
reference to HTTP or to the engine's wire formats.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

StreamName = Literal["stdout", "stderr"]


@dataclass(frozen=True)
class LogLine:
    """One line a container wrote, without its line ending.

    `timestamp` is the engine's RFC 3339 time (nanoseconds kept, so as text)
    when logs were asked for with timestamps, else None.
    """

    stream: StreamName
    text: str
    timestamp: str | None = None


@dataclass(frozen=True)
class OutputChunk:
    """Bytes a process wrote to one of its streams, as they arrived."""

    stream: StreamName
    data: bytes


@dataclass(frozen=True)
class ExecResult:
    """What a finished exec produced."""

    exit_code: int
    stdout: bytes
    stderr: bytes

    @property
    def stdout_text(self) -> str:
        return self.stdout.decode("utf-8", errors="replace")

    @property
    def stderr_text(self) -> str:
        return self.stderr.decode("utf-8", errors="replace")
