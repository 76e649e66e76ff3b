"""Shared output for the runtime commands: kubectl-like tables, ages, JSON and YAML.

Pure formatting over plain values; no I/O beyond the writer it is given, and no
runtime imports, so every command can use it without cost.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from typing import Any, Sequence, TextIO


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
    cells = [[str(h) for h in headers]] + [["<none>" if c in (None, "") else str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    for row in cells:
        out.write("   ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() + "\n")


def dump(data: Any, fmt: str, out: TextIO | None = None) -> None:
    out = out or sys.stdout
    if fmt == "json":
        out.write(json.dumps(data, indent=2, sort_keys=False) + "\n")
    else:
        import yaml

        out.write(yaml.safe_dump(data, sort_keys=False, default_flow_style=False))


def error(command: str, message: str) -> None:
    print(f"capsule {command}: error: {message}", file=sys.stderr)


def warn(command: str, message: str) -> None:
    print(f"capsule {command}: warning: {message}", file=sys.stderr)
