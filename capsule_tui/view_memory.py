"""The capsule list's last filter and sort order, and the last screen and selection,
remembered between runs (what is where: capsule_tui/screen_memory.py).

Kept as a small JSON file beside the state database (`<state dir>/tui.json`, see
runtime.paths). Remembering is a convenience: a missing, unreadable or foreign
file gives the defaults, and a failed write is ignored, so it can never keep the
UI from opening. Must not import textual.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from capsule_tui.formatters.capsule_rows import SORTABLE
from capsule_tui.formatters.usage_order import USAGE_SORTABLE

FILE_NAME = "tui.json"
# The screens the UI can come back to; any other (a dialog, create, update) counts as the one under it.
SCREENS = ("list", "details", "logs", "hosts", "services", "events")


@dataclass(frozen=True)
class ListMemory:
    filter: str = ""
    sort: str = "name"
    reverse: bool = False
    screen: str = "list"  # one of SCREENS
    selected: str = ""  # the uuid of the list's cursor row
    capsule: str = ""  # details and logs: whose (uuid)


def default_path() -> Path:
    from runtime.paths import state_dir

    return state_dir() / FILE_NAME


def load(path: Path) -> ListMemory:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ListMemory()
    if not isinstance(data, dict):
        return ListMemory()
    text = data.get("filter")
    sort = data.get("sort")
    return ListMemory(
        filter=text if isinstance(text, str) else "",
        sort=sort if sort in (*SORTABLE, *USAGE_SORTABLE) else "name",
        reverse=data.get("reverse") is True,
        screen=data.get("screen") if data.get("screen") in SCREENS else "list",
        selected=_text(data.get("selected")),
        capsule=_text(data.get("capsule")),
    )


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def save(memory: ListMemory, path: Path) -> bool:
    """Write atomically (a crash leaves the old file); False when it could not be written."""
    try:
        from runtime.paths import private_dir

        private_dir(path.parent)  # the state folder: 0700 (mkstemp makes the file 0600)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tui-", suffix=".json")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(asdict(memory), out)
        os.replace(temporary, path)
        return True
    except OSError:
        return False
