"""Running commands in a capsule's members, and listing their processes (`exec`, `top`).

`exec_in_member` streams the command's output to a callback as it arrives and
returns the command's exit code, which the CLI makes its own. Standard input is
passed as bytes read up front (non-interactive: no TTY, no resizing).
`terminal_in_member` gives the command a terminal instead (`capsule exec -it`): the
session it yields is typed into and read from as the user types.
`capsule_top` asks the engine for each running member's processes and returns
one table with a MEMBER column in front.

This module must not print or read the terminal itself (the CLI does), and must
not import textual.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from runtime.engine.errors import Conflict
from runtime.engine.models import OutputChunk
from runtime.errors import MemberNotRunning
from runtime.observe.observed import ObservedCapsule, ObservedContainer
from runtime.ops.members import ordered_members, pick_member


async def exec_in_member(
    engine: Any,
    capsule: ObservedCapsule,
    command: Sequence[str],
    *,
    member: str | None = None,
    stdin: bytes | None = None,
    on_output: Callable[[OutputChunk], None],
    env: Sequence[str] | None = None,
    workdir: str | None = None,
    user: str | None = None,
) -> int:
    """Run `command` in `member` (the first member when None); returns its exit code.

    Raises MemberNotFound, or MemberNotRunning when the container is not running
    (the engine refuses exec then); other engine failures stay EngineErrors.
    """
    container = pick_member(capsule, member)
    _require_running(capsule, container)
    stream = engine.exec_stream(
        container.id, list(command), stdin=stdin, env=list(env or []) or None, workdir=workdir, user=user
    )
    try:
        async for chunk in stream:
            on_output(chunk)
    except Conflict as exc:
        # The member stopped between the observation and the call.
        state = "paused" if "paused" in (exc.engine_message or "").lower() else "not running"
        raise MemberNotRunning(capsule.name, container.member, state) from exc
    assert stream.exit_code is not None  # set once the iteration completed
    return stream.exit_code


@asynccontextmanager
async def terminal_in_member(
    engine: Any,
    capsule: ObservedCapsule,
    command: Sequence[str],
    *,
    member: str | None = None,
    env: Sequence[str] | None = None,
    workdir: str | None = None,
    user: str | None = None,
    size: tuple[int, int] | None = None,
) -> AsyncIterator[Any]:
    """`command` on a terminal in `member` (the first when None): the engine's ExecSession.

    Raises as exec_in_member does; the caller drives the session (runtime.engine.exec_session).
    """
    container = pick_member(capsule, member)
    _require_running(capsule, container)
    try:
        async with engine.exec_session(container.id, list(command), env=list(env or []) or None,
                                       workdir=workdir, user=user, size=size) as session:
            yield session
    except Conflict as exc:
        state = "paused" if "paused" in (exc.engine_message or "").lower() else "not running"
        raise MemberNotRunning(capsule.name, container.member, state) from exc


def _require_running(capsule: ObservedCapsule, container: ObservedContainer) -> None:
    if container.state != "running":
        raise MemberNotRunning(capsule.name, container.member, container.state)


@dataclass
class ProcessTable:
    """`docker top` output for several members: titles with MEMBER first, then rows."""

    titles: list[str]
    rows: list[list[str]]
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (member, state) not running

    def to_dicts(self) -> list[dict[str, str]]:
        return [dict(zip(self.titles, row, strict=False)) for row in self.rows]


async def capsule_top(engine: Any, capsule: ObservedCapsule, *, ps_args: str | None = None) -> ProcessTable:
    """Every running (or paused) member's processes; stopped members are listed in `skipped`."""
    members = ordered_members(capsule)
    alive = [c for c in members if c.state in ("running", "paused", "restarting")]
    skipped = [(c.member, c.state) for c in members if c not in alive]
    answers = await asyncio.gather(
        *(engine.top(c.id, ps_args=ps_args) for c in alive), return_exceptions=True
    )
    titles: list[str] = []
    rows: list[list[str]] = []
    for container, answer in zip(alive, answers, strict=True):
        if isinstance(answer, Conflict):
            # Stopped between the observation and the call: report it like the others.
            skipped.append((container.member, "not running"))
            continue
        if isinstance(answer, BaseException):
            raise answer
        titles = titles or list(answer.get("Titles") or [])
        for process in answer.get("Processes") or []:
            rows.append([container.member, *(str(v) for v in process)])
    return ProcessTable(["MEMBER", *titles], rows, skipped)


def format_table(titles: list[str], rows: list[list[str]]) -> str:
    """Left-aligned columns separated by three spaces, the last column unpadded (docker's look)."""
    widths = [max([len(t), *(len(r[i]) for r in rows if i < len(r))]) for i, t in enumerate(titles)]
    lines = []
    for row in [titles, *rows]:
        cells = [cell.ljust(widths[i]) if i < len(row) - 1 else cell for i, cell in enumerate(row)]
        lines.append("   ".join(cells).rstrip())
    return "\n".join(lines)
