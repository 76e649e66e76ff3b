"""What the capsule list shows: filtering, sorting and the text of each cell.

Pure functions over `runtime.views.CapsuleView`, so they are tested without a
terminal and the list screen only has to put their results on screen. The filter
language is the one the `/` prompt accepts:

    web            the name contains "web"
    app=web        the label app is web (`app=` matches an empty value, `app` alone
                   is a name search; use `app=*` for "has the label app")
    @h1            on host h1
    web @h1 app=x  every term must hold

The cells' texts pass through `shown` (safe_text.py): a name or label with an ESC in
it, from a capsule someone else made on a shared engine, shows as `\x1b`. Filtering and
sorting read the views themselves.

Must not import textual: rich's Text is the only rendering type used here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rich.text import Text

from capsule_tui.formatters.safe_text import shown
from capsule_tui.formatters.usage_order import USAGE_SORTABLE, by_usage
from capsule_tui.formatters.usage_text import usage_cells
from runtime.views import CapsuleView, Usage

# Column keys in display order; the first is the mark column (space marks a row).
COLUMNS: tuple[tuple[str, str], ...] = (
    ("mark", " "), ("name", "NAME"), ("status", "STATUS"), ("host", "HOST"), ("ip", "IP"),
    ("ready", "READY"), ("restarts", "RESTARTS"),
    # Live resource use (formatters/usage_text.py), sampled for the rows on screen only.
    ("cpu", "CPU"), ("cpu_limit", "%CPU/L"), ("mem", "MEM"), ("mem_limit", "%MEM/L"),
    ("age", "AGE"), ("labels", "LABELS"),
)
USAGE_KEYS: tuple[str, ...] = ("cpu", "cpu_limit", "mem", "mem_limit")
# `s` does not step onto the usage columns (their figures change between refreshes); CPU and
# MEM have keys of their own (C, M) and a header click (formatters/usage_order.py).
SORTABLE: tuple[str, ...] = tuple(key for key, _ in COLUMNS if key not in ("mark", *USAGE_KEYS))
MARK = "●"

# Colors say the state at a glance; the word is always there too (colour-blind users).
STATUS_STYLES = {
    "Running": "bold green",
    "Starting": "yellow",
    "Finished": "blue",
    "Failed": "bold red",
    "Unknown": "magenta",
    # The display words (runtime.observe.status.display_status) beside the phases.
    "CrashLoopBackOff": "bold red",
    "Error": "bold red",
    "Init:Error": "bold red",
    "Init:CrashLoopBackOff": "bold red",
    "OOMKilled": "bold red",
    "ContainerCreating": "yellow",
    "Completed": "blue",
    "Stopped": "blue",
}


@dataclass(frozen=True)
class CapsuleFilter:
    """A parsed `/` filter; the empty filter matches everything."""

    names: tuple[str, ...] = ()
    labels: tuple[tuple[str, str], ...] = ()
    hosts: tuple[str, ...] = ()
    text: str = ""

    def matches(self, view: CapsuleView) -> bool:
        name = view.name.lower()
        if any(part not in name for part in self.names):
            return False
        if self.hosts and view.host not in self.hosts:
            return False
        for key, value in self.labels:
            if key not in view.labels or (value != "*" and view.labels[key] != value):
                return False
        return True

    def __bool__(self) -> bool:
        return bool(self.names or self.labels or self.hosts)


def parse_filter(text: str) -> CapsuleFilter:
    """Whitespace-separated terms: name parts, KEY=VALUE labels and @host."""
    names: list[str] = []
    labels: list[tuple[str, str]] = []
    hosts: list[str] = []
    for term in text.split():
        if term.startswith("@"):
            if term[1:]:
                hosts.append(term[1:])
        elif "=" in term:
            key, _, value = term.partition("=")
            if key:
                labels.append((key, value))
        else:
            names.append(term.lower())
    return CapsuleFilter(tuple(names), tuple(labels), tuple(hosts), text)


def _ready_fraction(view: CapsuleView) -> tuple[float, int]:
    ready, _, total = view.ready.partition("/")
    try:
        return (int(ready) / int(total) if int(total) else 0.0), int(total)
    except ValueError:
        return 0.0, 0


SORT_KEYS: dict[str, Callable[[CapsuleView], object]] = {
    "name": lambda v: (v.name, v.host),
    "status": lambda v: (list_status(v), v.name),
    "host": lambda v: (v.host, v.name),
    "ip": lambda v: (tuple(int(p) for p in v.ip.split(".")) if v.ip and v.ip.replace(".", "").isdigit()
                     else (999,), v.name),
    "ready": lambda v: (_ready_fraction(v), v.name),
    "restarts": lambda v: (v.restarts, v.name),
    "age": lambda v: (v.age_seconds, v.name),
    "labels": lambda v: (format_labels(v.labels), v.name),
}


@dataclass(frozen=True)
class SortOrder:
    column: str = "name"
    reverse: bool = False

    def clicked(self, column: str) -> SortOrder:
        """Clicking the sorted column flips the direction; another column sorts ascending."""
        if column == self.column:
            return SortOrder(column, not self.reverse)
        return SortOrder(column, False)

    def next_column(self) -> SortOrder:
        """`s`: the next sortable column, ascending."""
        index = SORTABLE.index(self.column) if self.column in SORTABLE else -1
        return SortOrder(SORTABLE[(index + 1) % len(SORTABLE)], False)


def arrange(views: list[CapsuleView], chosen: CapsuleFilter, order: SortOrder,
            figures: Callable[[str], Usage | None] | None = None) -> list[CapsuleView]:
    """The rows to show, filtered and in order; `figures`: the last sampled usage by uuid (CPU, MEM)."""
    if order.column in USAGE_SORTABLE and figures is not None:
        return by_usage((v for v in views if chosen.matches(v)), order.column, order.reverse, figures)
    key = SORT_KEYS.get(order.column, SORT_KEYS["name"])
    return sorted((v for v in views if chosen.matches(v)), key=key, reverse=order.reverse)  # type: ignore[arg-type, return-value]


def format_age(seconds: float) -> str:
    """kubectl-style ages: 45s, 12m, 3h, 5d."""
    whole = int(max(0, seconds))
    if whole < 120:
        return f"{whole}s"
    if whole < 120 * 60:
        return f"{whole // 60}m"
    if whole < 48 * 3600:
        return f"{whole // 3600}h"
    return f"{whole // 86400}d"


def format_labels(labels: dict[str, str]) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items()))


def list_status(view: CapsuleView) -> str:
    """The STATUS a list shows: the display word (CrashLoopBackOff, Init:1/2...), else the phase."""
    return view.display or view.status


def status_text(status: str) -> Text:
    style = STATUS_STYLES.get(status) or ("yellow" if status.startswith("Init:") else "")
    return Text(status, style=style)


COLUMN_KEYS: tuple[str, ...] = tuple(key for key, _ in COLUMNS)


def row_texts(view: CapsuleView, *, marked: bool = False, usage: Usage | None = None) -> tuple[str, ...]:
    """Each cell's text, in COLUMNS order: cheap to build and to compare, so a refresh
    of 1,000 rows finds the few that changed without making a renderable for each cell.
    `usage`: the capsule's last sampled figures (`-` without)."""
    texts = (MARK if marked else " ", view.name, list_status(view), view.host, view.ip or "-", view.ready,
             str(view.restarts), *usage_cells(usage), format_age(view.age_seconds), format_labels(view.labels))
    joined = "".join(texts)
    if shown(joined) is not joined:  # one search for the whole row; shown returns ordinary text itself
        return tuple(shown(text) for text in texts)
    return texts


def cell(column: str, text: str) -> Text:
    """What the table shows for a cell's text: the status coloured, the rest plain.

    Text, never str: the table reads a str as markup, which costs a parse per cell on
    every repaint and would take a "[" in a name or label for markup.
    """
    if text == "-":
        return _NONE  # one object for every "-" (an IP, a figure not measured): 4,000 fewer in 1,000 rows
    return status_text(text) if column == "status" else Text(text)


_NONE = Text("-")


def row_cells(view: CapsuleView, *, marked: bool = False) -> dict[str, object]:
    """Each column's value: the status as coloured Text, the rest as plain strings."""
    texts = zip(COLUMN_KEYS, row_texts(view, marked=marked), strict=True)
    return {key: status_text(text) if key == "status" else text for key, text in texts}
