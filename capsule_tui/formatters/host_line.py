"""The one-line summary of every host's state shown above the capsule list.

    hosts: ● local reachable   ✗ lab unreachable: connection refused   ◌ edge loading…

Pure: builds a rich Text from `HostState`s; must not import textual. A host's error is
the engine's or the network's words: shown with control characters escaped (safe_text.py).
"""

from __future__ import annotations

from rich.text import Text

from capsule_tui.backend import LOADING, REACHABLE, HostState
from capsule_tui.formatters.safe_text import shown

_LOOK = {
    REACHABLE: ("●", "green"),
    LOADING: ("◌", "dim"),
}
_UNREACHABLE_LOOK = ("✗", "bold red")


def host_line(hosts: list[HostState]) -> Text:
    line = Text("hosts: ", style="bold")
    if not hosts:
        line.append("none configured", style="dim")
        return line
    for index, host in enumerate(hosts):
        if index:
            line.append("   ")
        symbol, style = _LOOK.get(host.state, _UNREACHABLE_LOOK)
        line.append(f"{symbol} ", style=style)
        line.append(shown(host.name), style="bold")
        state = f" {host.state}…" if host.state == LOADING else f" {host.state}"
        line.append(state, style=style)
        if host.error:
            line.append(f": {shown(host.error)}", style=style)
    return line
