"""What `capsule top` prints of live resource use: every capsule's (no NAME), or one capsule's members.

The tables are `capsule list`'s (commands/output.py) with k9s' usage columns
(formatters/usage_text.py). The figures are measured over MEASURE_SECONDS: two
one-shot stats readings that far apart (a CPU figure is the use between them).
"""

from __future__ import annotations

import json
import sys
from typing import Any

from capsule_tui.commands.exits import EXIT_OK
from capsule_tui.commands.output import table
from capsule_tui.formatters.usage_text import USAGE_HEADERS, usage_cells
from runtime.views import CapsuleUsage

MEASURE_SECONDS = 1.0


async def print_capsules(service: Any, selector: list[str] | None, output: str) -> int:
    """Every capsule's figures (those not running: `-`), as `kubectl top pods`."""
    views = await service.list(selector)
    if not views:
        print("No capsules found.", file=sys.stderr)
        return EXIT_OK
    usage = await service.usage([v.uuid for v in views], interval=MEASURE_SECONDS)
    if output == "json":
        items = [{"name": v.name, "host": v.host, "uuid": v.uuid,
                  **(usage[v.uuid].to_dict() if v.uuid in usage else {})} for v in views]
        print(json.dumps({"items": items}, indent=2))
        return EXIT_OK
    table(["NAME", "HOST", *USAGE_HEADERS],
          [[v.name, v.host, *usage_cells(usage[v.uuid].usage if v.uuid in usage else None)] for v in views])
    return EXIT_OK


def print_members(usage: CapsuleUsage) -> None:
    """One capsule's containers (the sandbox first), as `kubectl top pod NAME --containers`."""
    rows = [[m.member, m.role, *usage_cells(m.usage)] for m in usage.members]
    rows.append(["(capsule)", "total", *usage_cells(usage.usage)])
    table(["MEMBER", "ROLE", *USAGE_HEADERS], rows)
