"""A file path field that completes with tab, as the placeholder and the help promise.

Textual's Input takes a suggestion with → only; tab moved the focus on and dropped it.
Here tab takes the suggestion when one is shown (a folder's, so tab again goes on into
it) and moves the focus on, as everywhere else, when there is none.
"""

from __future__ import annotations

from typing import Any

from textual.binding import Binding
from textual.widgets import Input

from capsule_tui.widgets.path_suggester import SUFFIXES, PathSuggester


class PathInput(Input):
    BINDINGS = [Binding("tab", "complete_or_next", "Complete", show=False)]

    def __init__(self, *args: Any, suffixes: tuple[str, ...] = SUFFIXES, **kwargs: Any) -> None:
        super().__init__(*args, suggester=PathSuggester(suffixes), **kwargs)

    def action_complete_or_next(self) -> None:
        suggestion = self._suggestion  # Textual's own: what the field shows after the cursor
        if suggestion and len(suggestion) > len(self.value) and suggestion.startswith(self.value):
            self.value = suggestion
            self.cursor_position = len(suggestion)
        else:
            self.screen.focus_next()
