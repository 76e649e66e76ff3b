"""Live resource use in words: the CPU, %CPU/L, MEM and %MEM/L cells (k9s' columns).

    CPU     % of one core, as `docker stats` (200% = two cores busy): 0.4%, 9.5%, 49%
    %CPU/L  % of the capsule's (member's) CPU limit; `-` when it has none
    MEM     bytes in use less reclaimable file pages, in binary units: 812Ki, 64Mi, 1.5Gi
    %MEM/L  % of its memory limit; `-` when it has none

`-` also stands for "not measured yet" (a CPU figure needs two readings) and for a
capsule that is not running. Used by the list, the details, `capsule top` and
`capsule list -o wide`. Pure text: must not import textual.
"""

from __future__ import annotations

from runtime.views import Usage

NONE = "-"
USAGE_HEADERS = ("CPU", "%CPU/L", "MEM", "%MEM/L")


def format_cpu(percent: float | None) -> str:
    if percent is None:
        return NONE
    return f"{percent:.1f}%" if percent < 10 else f"{percent:.0f}%"


def format_percent(percent: float | None) -> str:
    return NONE if percent is None else f"{percent:.0f}%"


def format_memory(size: int | None) -> str:
    """kubectl's binary units: Ki below a mebibyte, whole Mi below a gibibyte, then Gi."""
    if size is None:
        return NONE
    if size < 1 << 20:
        return f"{size >> 10}Ki"
    if size < 1 << 30:
        return f"{size / (1 << 20):.0f}Mi"
    return f"{size / (1 << 30):.1f}Gi"


def usage_cells(usage: Usage | None) -> tuple[str, str, str, str]:
    """The four cells, in USAGE_HEADERS order (all `-` without figures)."""
    if usage is None:
        return (NONE, NONE, NONE, NONE)
    return (format_cpu(usage.cpu), format_percent(usage.cpu_of_limit), format_memory(usage.memory),
            format_percent(usage.memory_of_limit))


def usage_line(usage: Usage | None) -> str:
    """The details' one line for the whole capsule: CPU 49% (98% of its limit) · MEM 64Mi (-)."""
    if usage is None or (usage.cpu is None and usage.memory is None):
        return "not measured yet (only running containers are)"
    cpu, cpu_limit, memory, memory_limit = usage_cells(usage)
    cpu_part = f"CPU {cpu} of a core" + (f" ({cpu_limit} of its limit)" if cpu_limit != NONE else " (no limit)")
    memory_part = f"MEM {memory}" + (f" ({memory_limit} of its limit)" if memory_limit != NONE else " (no limit)")
    return f"{cpu_part} · {memory_part}"


def trend_line(history: list[float]) -> str:
    """What the sparkline beside it spans: its lowest and highest CPU figure."""
    if not history:
        return "CPU over the last minute: not measured yet"
    return f"CPU over the last minute: {format_cpu(min(history))} to {format_cpu(max(history))}"
