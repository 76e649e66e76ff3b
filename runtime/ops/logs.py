"""The merged logs of a capsule's members, like `docker compose logs`.

Without follow, every member's log is read at once (with the engine's timestamps,
asked for even when not shown) and the lines are merged in time order, so the
output reads as one story. With follow, one stream per member runs concurrently
and lines are passed on as they arrive; the merged stream ends when every
member's stream has ended (the members stopped) or the caller stops iterating.
`--tail N` counts per member, as Docker Compose does.

This module reads logs; it must not print (formatting helpers return strings) and
must not know about terminals or the CLI.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from runtime.engine.models import StreamName
from runtime.observe.observed import ObservedCapsule, ObservedContainer
from runtime.ops.members import pick_members


@dataclass(frozen=True)
class MemberLogLine:
    """One line a member wrote; `timestamp` is the engine's RFC 3339 time when asked for."""

    member: str
    stream: StreamName
    text: str
    timestamp: str | None = None


async def capsule_logs(
    engine: Any,
    capsule: ObservedCapsule,
    *,
    member: str | None = None,
    follow: bool = False,
    tail: int | None = None,
    timestamps: bool = False,
) -> AsyncIterator[MemberLogLine]:
    """Lines of every member (or of `member` only), merged.

    Raises MemberNotFound for an unknown member name before anything is read.
    """
    containers = pick_members(capsule, member)
    if follow:
        async for line in _follow(engine, containers, tail=tail, timestamps=timestamps):
            yield line
        return
    batches = await asyncio.gather(*(_read_all(engine, c, tail) for c in containers))
    merged = [line for batch in batches for line in batch]
    # Stable: lines with equal stamps keep each member's own order.
    merged.sort(key=lambda line: timestamp_key(line.timestamp))
    for line in merged:
        yield line if timestamps else replace(line, timestamp=None)


async def _read_all(engine: Any, container: ObservedContainer, tail: int | None) -> list[MemberLogLine]:
    lines = []
    async for line in engine.logs(container.id, follow=False, tail=_tail(tail), timestamps=True):
        lines.append(MemberLogLine(container.member, line.stream, line.text, line.timestamp))
    return lines


_DONE = object()


async def _follow(
    engine: Any, containers: list[ObservedContainer], *, tail: int | None, timestamps: bool
) -> AsyncIterator[MemberLogLine]:
    queue: asyncio.Queue[Any] = asyncio.Queue(maxsize=1000)

    async def pump(container: ObservedContainer) -> None:
        try:
            async for line in engine.logs(container.id, follow=True, tail=_tail(tail), timestamps=timestamps):
                await queue.put(MemberLogLine(container.member, line.stream, line.text, line.timestamp))
        except Exception as exc:  # noqa: BLE001 - handed to the reader, which re-raises it
            await queue.put(exc)
        await queue.put(_DONE)

    tasks = [asyncio.create_task(pump(c)) for c in containers]
    running = len(tasks)
    try:
        while running:
            item = await queue.get()
            if item is _DONE:
                running -= 1
            elif isinstance(item, Exception):
                raise item
            else:
                yield item
    finally:
        # The caller stopped (Ctrl-C, closed pipe) or a member failed: end every stream.
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def _tail(tail: int | None) -> int | str:
    return "all" if tail is None else max(tail, 0)


def timestamp_key(stamp: str | None) -> tuple[float, int]:
    """Sort key for an RFC 3339 stamp with up to nanosecond precision.

    Text order is not time order once trailing zeros of the fraction are trimmed,
    and datetime keeps only microseconds, so seconds and nanoseconds are kept apart.
    Lines without a readable stamp sort last.
    """
    if not stamp:
        return (float("inf"), 0)
    head, dot, rest = stamp.partition(".")
    nanos = 0
    zone = ""
    if dot:
        digits = len(rest) - len(rest.lstrip("0123456789"))
        nanos = int((rest[:digits] or "0")[:9].ljust(9, "0"))
        zone = rest[digits:]
    else:
        for sign in ("Z", "+", "-"):
            cut = head.find(sign, 11)  # after the date part, whose '-' are not a zone
            if cut > 0:
                head, zone = head[:cut], head[cut:]
                break
    try:
        seconds = datetime.fromisoformat(head + (zone or "Z")).timestamp()
    except ValueError:
        return (float("inf"), 0)
    return (seconds, nanos)


def prefix_width(capsule: ObservedCapsule, member: str | None) -> int:
    """Column width for the member prefix: the longest name among those shown."""
    names = [c.member for c in pick_members(capsule, member)]
    return max((len(n) for n in names), default=0)


def format_log_line(line: MemberLogLine, *, width: int, prefix: bool = True) -> str:
    """`web      | text`, with the stamp after the bar when present (compose's layout)."""
    text = f"{line.timestamp} {line.text}" if line.timestamp else line.text
    return f"{line.member.ljust(width)} | {text}" if prefix else text
