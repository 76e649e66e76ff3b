"""The create screen's placement preview: which host each capsule would take, and why.

Renders what `CapsuleService.plan` answers — per capsule a `runtime.placement.scheduler.Placement`
(host, score, every host's reason) or the error saying why no host fits. Pure: no
textual, no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.text import Text


def placement_text(plans: Sequence[tuple[str, Any]]) -> Text:
    text = Text("placement\n", style="bold")
    for name, plan in plans:
        if hasattr(plan, "format") and hasattr(plan, "host"):
            text.append(f"{name} → {plan.host}\n", style="green")
            for line in plan.format().splitlines()[1:]:  # the first line repeats the choice
                text.append(f"{line}\n", style="dim")
        else:
            text.append(f"{name}: {plan}\n", style="red")
    text.rstrip()
    return text


def pending_text() -> Text:
    return Text("placement: asking the hosts…", style="dim")
