"""The list's order by CPU or memory (k9s' shift+c, shift+m): by the last sampled figures.

Figures are sampled for the rows on screen only (screens/list_usage.py), so many rows
have none: they come after every row with a figure, whichever the direction, in name
order, as k9s puts pods without metrics last. The order is taken when the list is
arranged (a refresh, a sort key), not at every sample: rows do not jump under the
cursor every two seconds.

Must not import textual.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from runtime.views import CapsuleView, Usage

# The sort column's key -> the figure it sorts by.
FIGURES: dict[str, Callable[[Usage], float | int | None]] = {
    "cpu": lambda usage: usage.cpu,
    "mem": lambda usage: usage.memory,
}
USAGE_SORTABLE: tuple[str, ...] = tuple(FIGURES)


def by_usage(views: Iterable[CapsuleView], column: str, reverse: bool,
             figures: Callable[[str], Usage | None]) -> list[CapsuleView]:
    """`views` by the column's figure (reverse: highest first); those without one last, by name."""
    figure = FIGURES[column]
    measured: list[tuple[float, CapsuleView]] = []
    unmeasured: list[CapsuleView] = []
    for view in views:
        usage = figures(view.uuid)
        value = figure(usage) if usage is not None else None
        if value is None:
            unmeasured.append(view)
        else:
            measured.append((value, view))
    # Ties by name, the same way in both directions (a stable order while the figures stand still).
    measured.sort(key=lambda pair: (pair[1].name, pair[1].host))
    measured.sort(key=lambda pair: pair[0], reverse=reverse)
    unmeasured.sort(key=lambda v: (v.name, v.host))
    return [view for _, view in measured] + unmeasured
