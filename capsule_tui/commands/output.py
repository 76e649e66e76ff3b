"""Shared output for the runtime commands: kubectl-like tables, ages, JSON and YAML, log lines.

Pure formatting over plain values; no I/O beyond the writer it is given, and no
runtime imports, so every command can use it without cost. What people read (tables,
progress, log prefixes, processes) passes through `shown`
(capsule_tui/formatters/safe_text.py: control characters as visible escapes); JSON
and YAML are data and stay exact.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TextIO

from capsule_tui.formatters.safe_text import shown


def age(seconds: float) -> str:
    """kubectl's short ages: 42s, 5m, 3h, 2d (with the next unit while it is small)."""
    seconds = int(max(0, seconds))
    if seconds < 120:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 10:
        return f"{minutes}m{seconds % 60}s"
    if minutes < 180:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 8:
        return f"{hours}h{minutes % 60}m"
    if hours < 48:
        return f"{hours}h"
    days = hours // 24
    return f"{days}d{hours % 24}h" if days < 8 else f"{days}d"


def local_time(epoch: float) -> str:
    return datetime.fromtimestamp(epoch).astimezone().strftime("%Y-%m-%d %H:%M:%S")


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], out: TextIO | None = None) -> None:
    """Columns padded to their widest cell, three spaces apart, as kubectl prints them."""
    out = out or sys.stdout
    cells = [[shown(str(h)) for h in headers]]
    cells += [["<none>" if c in (None, "") else shown(str(c)) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    for row in cells:
        out.write("   ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)).rstrip() + "\n")


def dump(data: Any, fmt: str, out: TextIO | None = None) -> None:
    out = out or sys.stdout
    if fmt == "json":
        out.write(json.dumps(data, indent=2, sort_keys=False) + "\n")
    else:
        import yaml

        out.write(yaml.safe_dump(data, sort_keys=False, default_flow_style=False))


def progress_printer(command: str) -> Callable[[str, Any], None]:
    """An on_progress callback writing `capsule: step` lines to stderr."""

    def show(capsule: str, event: Any) -> None:
        who = f"{event.kind} {event.container}: " if getattr(event, "container", "") else ""
        print(shown(f"{capsule}: {who}{event.text}"), file=sys.stderr, flush=True)

    return show


def format_log_line(line: Any, *, width: int, prefix: bool = True) -> str:
    """`web      | text`, with the stamp after the bar when present (compose's layout).

    The line's text is the container's own output and stays byte-exact, as `docker logs`
    prints it; the member's name and the stamp come from labels and the engine: escaped.
    """
    text = f"{shown(line.timestamp)} {line.text}" if line.timestamp else line.text
    return f"{shown(line.member).ljust(width)} | {text}" if prefix else text


def format_processes(titles: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Left-aligned columns separated by three spaces, the last column unpadded (docker's look)."""
    titles = [shown(t) for t in titles]
    rows = [[shown(c) for c in row] for row in rows]
    widths = [max([len(t), *(len(r[i]) for r in rows if i < len(r))]) for i, t in enumerate(titles)]
    lines = []
    for row in [titles, *rows]:
        cells = [cell.ljust(widths[i]) if i < len(row) - 1 else cell for i, cell in enumerate(row)]
        lines.append("   ".join(cells).rstrip())
    return "\n".join(lines)
