"""The figures of one container, from the engine's stats answers: the docker CLI's formulas.

    CPU % of one core = cpu delta / system delta × online CPUs × 100
    memory            = usage − inactive file pages (cgroup v2: `inactive_file`;
                        cgroup v1: `total_inactive_file`, or `cache` from engines
                        older than the CLI's change to it)

The engine's one-shot answer has no `precpu_stats`, so the CPU figure is taken
between two readings of the caller's own (`cpu_percent(before, after)`), which is
also what makes it an average over the time between them.
Pure functions over the engine's JSON: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Reading:
    """The parts of one stats answer the figures need."""

    cpu_total: int  # nanoseconds of CPU the container's cgroup used, ever
    system_total: int  # nanoseconds of CPU the host's CPUs ran, ever (all CPUs together)
    online_cpus: int
    memory: int | None  # bytes in use less reclaimable file pages; None: not reported

    @property
    def complete(self) -> bool:
        return self.system_total > 0 and self.online_cpus > 0


def _number(value: Any) -> int:
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0


def reading_of(stats: dict[str, Any]) -> Reading:
    """A Reading from a `GET /containers/{id}/stats` answer (zeros where a part is missing)."""
    cpu = stats.get("cpu_stats") or {}
    usage = cpu.get("cpu_usage") or {}
    online = _number(cpu.get("online_cpus")) or len(usage.get("percpu_usage") or [])
    return Reading(_number(usage.get("total_usage")), _number(cpu.get("system_cpu_usage")), online,
                   memory_in_use(stats.get("memory_stats") or {}))


def memory_in_use(memory: dict[str, Any]) -> int | None:
    """The docker CLI's MEM USAGE: usage less inactive file pages (the kernel can drop those at once)."""
    if "usage" not in memory:
        return None  # a stopped container, or a Windows engine: nothing reported
    usage = _number(memory.get("usage"))
    details = memory.get("stats") or {}
    # cgroup v1 reports hierarchical totals (total_*), v2 only the plain names.
    for key in ("total_inactive_file", "inactive_file", "cache"):
        value = details.get(key)
        if isinstance(value, (int, float)) and value < usage:
            return usage - int(value)
    return usage


def cpu_percent(before: Reading, after: Reading) -> float | None:
    """CPU used between two readings, as a percentage of one core (200 = two cores busy).

    None when it cannot be told: a reading without the host's counters, or counters
    that went backwards (the container restarted between the readings).
    """
    if not (before.complete and after.complete):
        return None
    cpu_delta = after.cpu_total - before.cpu_total
    system_delta = after.system_total - before.system_total
    if system_delta <= 0 or cpu_delta < 0:
        return None
    return cpu_delta / system_delta * after.online_cpus * 100.0


def percent_of(used: float | None, limit: float | None) -> float | None:
    """`used` as a percentage of `limit` (None: unlimited, or nothing measured)."""
    if used is None or not limit:
        return None
    return used / limit * 100.0
