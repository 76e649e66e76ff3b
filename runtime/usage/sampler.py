"""Readings of many containers, kept between rounds so that each round gives CPU figures.

`UsageSampler.read` asks one engine for a one-shot stats answer of each container
at once (at most `CONCURRENT_READS` at a time, the round under one deadline) and
returns each one's memory and, from its previous reading, its CPU. The previous
readings are the sampler's: a container read for the first time has a memory
figure and no CPU figure yet; one not read for `FORGET_AFTER` seconds is dropped.

A container that is gone, or a host that does not answer in time, gives no figure
(the caller shows `-`): figures decorate a list, they never fail it.
Must not know capsules (runtime/usage/capsules.py does) nor print.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from runtime.engine.errors import EngineError
from runtime.usage.figures import Reading, cpu_percent, reading_of

CONCURRENT_READS = 16  # per host: each read is a few cgroup files for the engine
ROUND_DEADLINE = 5.0  # seconds for one round of one host
FORGET_AFTER = 300.0  # seconds: a container off screen that long starts afresh


@dataclass(frozen=True)
class ContainerFigures:
    cpu: float | None  # % of one core since the previous reading; None: no previous reading yet
    memory: int | None  # bytes


class UsageSampler:
    """Previous readings by (host, container id); one per service (the UI's lives as long as it)."""

    def __init__(self) -> None:
        self._last: dict[tuple[str, str], tuple[float, Reading]] = {}

    async def read(self, host: str, engine: Any, container_ids: Sequence[str], *,
                   deadline: float = ROUND_DEADLINE) -> dict[str, ContainerFigures]:
        """Each container's figures now (those that answered in time)."""
        gate = asyncio.Semaphore(CONCURRENT_READS)

        async def one(container_id: str) -> tuple[str, dict[str, Any] | None]:
            async with gate:
                try:
                    return container_id, await engine.stats(container_id)
                except EngineError:
                    return container_id, None

        answers: list[tuple[str, dict[str, Any] | None]] = []
        tasks = [asyncio.ensure_future(one(c)) for c in dict.fromkeys(container_ids)]
        if tasks:
            done, pending = await asyncio.wait(tasks, timeout=deadline)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
            answers = [task.result() for task in done if not task.cancelled() and task.exception() is None]
        now = time.monotonic()
        figures: dict[str, ContainerFigures] = {}
        for container_id, stats in answers:
            if stats is None:
                continue
            reading = reading_of(stats)
            previous = self._last.get((host, container_id))
            cpu = cpu_percent(previous[1], reading) if previous is not None else None
            self._last[(host, container_id)] = (now, reading)
            figures[container_id] = ContainerFigures(cpu, reading.memory)
        self._forget(now)
        return figures

    def _forget(self, now: float) -> None:
        stale = [key for key, (at, _) in self._last.items() if now - at > FORGET_AFTER]
        for key in stale:
            del self._last[key]
