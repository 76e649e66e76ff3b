"""The create screen's placement preview: which host each capsule would take, and why.

Renders what `CapsuleService.plan` answers — per capsule a `runtime.placement.scheduler.Placement`
(host, score, every host's reason) or the error saying why no host fits — and, from
`CapsuleService.names_taken`, a name already in use, with its host, in place of the
placement (create would refuse it: the user learns it while typing). Pure: no
textual, no I/O. Names and reasons are shown with control characters escaped (safe_text.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich.text import Text

from capsule_tui.formatters.safe_text import shown


def placement_text(plans: Sequence[tuple[str, Any]], taken: Mapping[str, Any] | None = None) -> Text:
    text = Text("placement\n", style="bold")
    for name, plan in plans:
        if taken and name in taken:
            text.append(f"{shown(name)}: the name is taken: {shown(str(taken[name]))}\n", style="red")
            text.append("  rename it, or delete that capsule first (ctrl+d in the list)\n", style="dim")
        elif hasattr(plan, "format") and hasattr(plan, "host"):
            text.append(f"{shown(name)} → {shown(plan.host)}\n", style="green")
            for line in plan.format().splitlines()[1:]:  # the first line repeats the choice
                text.append(f"{shown(line)}\n", style="dim")
        else:
            text.append(f"{shown(name)}: {shown(str(plan))}\n", style="red")
    text.rstrip()
    return text


def pending_text() -> Text:
    return Text("placement: asking the hosts…", style="dim")
