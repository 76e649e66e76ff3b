"""Path completion for file fields: create, import, the host form's TLS files (tab or → accepts it).

Suggests the first entry of the typed folder whose name starts with what was typed,
folders with a trailing slash, and files with the field's suffixes (YAML/JSON by default). Reads the file
system on the UI's behalf, so it stays tiny: one `os.scandir` of one folder.
"""

from __future__ import annotations

import os

from textual.suggester import Suggester

SUFFIXES = (".yaml", ".yml", ".json")


class PathSuggester(Suggester):
    def __init__(self, suffixes: tuple[str, ...] = SUFFIXES) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self.suffixes = suffixes

    async def get_suggestion(self, value: str) -> str | None:
        if not value:
            return None
        folder, prefix = os.path.split(value)
        try:
            entries = sorted(os.scandir(os.path.expanduser(folder) or "."), key=lambda e: e.name)
        except OSError:
            return None
        for entry in entries:
            if not entry.name.startswith(prefix) or entry.name == prefix or entry.name.startswith("."):
                continue
            if entry.is_dir():
                return os.path.join(folder, entry.name) + os.sep
            if entry.name.endswith(self.suffixes):
                return os.path.join(folder, entry.name)
        return None
