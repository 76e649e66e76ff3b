"""What the Services screen and a capsule's details show of Services: rows, filter, backends.

Pure functions over `runtime.views.ServiceView` (what `capsule services`
lists), so they are tested without a terminal. The `/` filter is the capsule list's
language (capsule_rows.parse_filter), read for Services:

    web            namespace/name contains "web"
    app=web        the selector has app=web (what the Service picks its backends by)
    @h1            on host h1

A Service's name, namespace, ports and backends come from the labels of a container
on a host, which anyone with access to that engine can write: every cell passes
through `shown` (safe_text.py) and goes into Text, never markup.

Must not import textual.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text

from capsule_tui.formatters.capsule_rows import CapsuleFilter
from capsule_tui.formatters.safe_text import shown
from runtime.views import ServiceView

# BACKENDS before the ports and addresses (`capsule services` prints it last): on an 80-column
# terminal the last columns are cut off, and whether anyone serves a Service matters most.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("name", "NAME"), ("namespace", "NAMESPACE"), ("type", "TYPE"), ("backends", "BACKENDS"), ("ports", "PORTS"),
    ("host", "HOST"), ("address", "ADDRESS"),
)
COLUMN_KEYS: tuple[str, ...] = tuple(key for key, _ in COLUMNS)
BACKEND_COLUMNS: tuple[str, ...] = ("CAPSULE", "ADDRESS", "PORT")


def service_key(view: ServiceView) -> str:
    """A row's key: one Service on one host (the same name may live on two hosts)."""
    return repr((view.host, view.namespace, view.name))


def selector_of(view: ServiceView) -> dict[str, str]:
    """The Service's selector, from the document it carries (Service.to_dict(), as `apply` compares it)."""
    body = view.spec.get("spec") if isinstance(view.spec, dict) else None
    selector = body.get("selector") if isinstance(body, dict) else None
    return {str(k): str(v) for k, v in selector.items()} if isinstance(selector, dict) else {}


def matches(chosen: CapsuleFilter, view: ServiceView) -> bool:
    """The list's filter read for a Service: words in namespace/name, KEY=VALUE in its selector, @host."""
    where = f"{view.namespace}/{view.name}".lower()
    if any(part not in where for part in chosen.names):
        return False
    if chosen.hosts and view.host not in chosen.hosts:
        return False
    selector = selector_of(view) if chosen.labels else {}
    return all(key in selector and (value == "*" or selector[key] == value) for key, value in chosen.labels)


def arrange(views: Iterable[ServiceView], chosen: CapsuleFilter) -> list[ServiceView]:
    """The rows to show: filtered, by namespace, name and host (the order `capsule services` prints)."""
    return sorted((v for v in views if matches(chosen, v)), key=lambda v: (v.namespace, v.name, v.host))


def backends_style(view: ServiceView) -> str:
    """Green when every selected capsule serves, yellow when some do, red when none does."""
    if not view.total:
        return "dim"
    if view.ready >= view.total:
        return "green"
    return "yellow" if view.ready else "bold red"


def row_cells(view: ServiceView) -> tuple[Text, ...]:
    """The row's cells in COLUMNS order, all Text: the table would read a str as markup."""
    return (
        Text(shown(view.name)), Text(shown(view.namespace)), Text(shown(view.type)),
        Text(f"{view.ready}/{view.total}", style=backends_style(view)), Text(shown(view.ports) or "-"),
        Text(shown(view.host)), Text(shown(view.address or "-")),
    )


def backend_rows(view: ServiceView) -> list[tuple[str, str, str]]:
    """Each backend as (capsule, address, port), escaped.

    The runtime writes one as "capsule address:port" (the address alone when no capsule
    of the namespace has it); a capsule name holds no space, so the last space splits.
    """
    rows = []
    for backend in view.backends:
        name, _, target = backend.rpartition(" ")
        address, _, port = target.rpartition(":")
        rows.append((shown(name or "-"), shown(address or target), shown(port or "-")))
    return rows


def backends_caption(view: ServiceView) -> Text:
    """The line above a Service's backends: which Service, and how many of its capsules serve."""
    text = Text()
    text.append(f"{shown(view.namespace)}/{shown(view.name)}", style="bold")
    text.append(f" on {shown(view.host)}: ")
    text.append(f"{view.ready}/{view.total}", style=backends_style(view))
    selector = ",".join(f"{k}={v}" for k, v in sorted(selector_of(view).items()))
    text.append(f" capsules serving (selector {shown(selector) or 'none: selects nothing'})")
    if view.headless:
        text.append("; headless: its name resolves to the backends themselves", style="dim")
    return text


def selects(view: ServiceView, namespace: str | None, labels: dict[str, str]) -> bool:
    """Kubernetes' rule, as the runtime applies it: the same namespace, and every selector pair
    among the capsule's labels; an empty selector selects nothing."""
    selector = selector_of(view)
    return (namespace is not None and view.namespace == namespace and bool(selector)
            and all(labels.get(key) == value for key, value in selector.items()))


def capsule_services_text(views: list[ServiceView] | None, problems: list[str], *,
                          namespace: str | None) -> Text:
    """The Services section of a capsule's details: those whose selector matches it."""
    if namespace is None:
        return Text("none: the capsule belongs to no namespace, and Services select only in theirs", style="dim")
    if views is None:
        return Text("loading…", style="dim")
    text = Text()
    width = max((len(shown(v.name)) for v in views), default=0) + 2
    for view in views:
        text.append(f"{shown(view.name):<{width}}", style="bold")
        text.append(f"{shown(view.type)}  {shown(view.ports) or '-'}  {shown(view.address or '-')}  ")
        text.append(f"{view.ready}/{view.total} serving", style=backends_style(view))
        if view.host:
            text.append(f"  on {shown(view.host)}", style="dim")
        text.append("\n")
    if not views:
        text.append(f"none in namespace {shown(namespace)} selects this capsule\n", style="dim")
    for problem in problems:
        text.append(f"could not be asked: {shown(problem)}\n", style="bold red")
    text.rstrip()
    return text


def problems_text(problems: list[str]) -> Text:
    """The hosts that could not be asked, one a line, in the hosts screen's red: their
    Services are missing from the table, not gone."""
    text = Text()
    for problem in problems:
        if text:
            text.append("\n")
        text.append(f"✗ could not be asked: {shown(problem)}", style="bold red")
    return text
