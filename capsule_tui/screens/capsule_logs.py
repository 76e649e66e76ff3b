"""`l`: the merged logs of a capsule's members, each line prefixed by its member.

A worker follows every member's log (the last TAIL_LINES each, then new lines) and
posts the lines here; the screen keeps at most BUFFER_LINES of them (older ones
drop off) and shows those that pass the container choice and the search (`/`,
matches highlighted). `m` goes through every container of the capsule, from the
capsule's details, silent ones and init containers included (where start-up failures
show): all members, each member, then each init container and native sidecar, whose log is read on its
own (it is not part of the merged stream). `f` pauses and resumes
following (the view stops scrolling; lines keep arriving), `w` toggles wrapping,
`t` shows the engine's timestamps. The stream ends when every member has stopped;
the status line says so.

Lines are kept in the order the engine stamped them, not the order they arrived: each
member's backlog comes as one burst, and cause and effect across members must read
top to bottom (as `capsule logs -t` merges them). A line older than the last one is
put in its place, and the view is drawn again once the burst is over.

Unlike `capsule logs`, which prints the lines byte-exact as `docker logs` does, the view
shows each line with its control characters escaped (formatters/safe_text.py; tabs
kept): a container must not move the UI's cursor or set its terminal's title.
"""

from __future__ import annotations

import bisect
from collections import deque

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Footer, Header, Input, RichLog, Static

from capsule_tui.formatters.safe_text import shown
from capsule_tui.screens.base import CapsuleScreen
from runtime.views import MemberLogLine, timestamp_key

TAIL_LINES = 200
BUFFER_LINES = 5000
# Members' colours; none of them red nor near it (magenta reads as red in many themes):
# red is what stderr is drawn in, and must not be mistaken for a member's stdout.
STDERR_STYLE = "red"
MEMBER_STYLES = ("cyan", "green", "yellow", "blue", "bright_cyan", "bright_green")


class LogsScreen(CapsuleScreen):
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("slash", "search", "Search", key_display="/"),
        Binding("m", "next_member", "Member"),
        Binding("f", "toggle_follow", "Follow"),
        Binding("w", "toggle_wrap", "Wrap"),
        Binding("t", "toggle_times", "Times", show=False),
    ]

    class Lines(Message):
        def __init__(self, lines: list[MemberLogLine]) -> None:
            super().__init__()
            self.lines = lines

    class Ended(Message):
        pass

    def __init__(self, name: str, uuid: str, host: str) -> None:
        super().__init__()
        self.capsule_name, self.uuid, self.host = name, uuid, host
        self.buffer: deque[MemberLogLine] = deque(maxlen=BUFFER_LINES)
        self.members: list[str] = []  # the spec's members, then any other that printed
        self.inits: list[str] = []  # init containers, in the order they run
        self.member: str | None = None  # None: every member
        self.search = ""
        self.following = True
        self.ended = False
        self.show_times = False
        self._redraw_due = False
        self._keys: list[tuple[float, int]] = []  # timestamp_key of each buffered line, in the same order

    @property
    def view(self) -> RichLog:
        return self.query_one("#log-view", RichLog)

    @property
    def search_input(self) -> Input:
        return self.query_one("#log-search", Input)

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="log-status")
        yield Input(placeholder="search the log (enter keeps it, escape clears)", id="log-search")
        yield RichLog(id="log-view", max_lines=BUFFER_LINES, wrap=False, markup=False, highlight=False)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.sub_title = f"{shown(self.capsule_name)} · logs"
        self.search_input.display = False
        self._status()
        self.follow_logs()
        self.learn_containers()
        self.view.focus()

    @work(group="logs-containers", exit_on_error=False, description="listing the capsule's containers")
    async def learn_containers(self) -> None:
        """Every container `m` offers, from the capsule's details (not only those that printed)."""
        detail = await self.app.backend.describe(self.capsule_name, self.uuid)  # type: ignore[attr-defined]
        members = [m.name for m in detail.members if m.role == "member"]
        self.members = members + [m for m in self.members if m not in members]
        # Native sidecars are init containers that keep running: offered with them, in run order.
        self.inits = [m.name for m in detail.members if m.role in ("init", "sidecar")]
        self._status()

    # -- reading --------------------------------------------------------------

    @work(group="logs", exclusive=True, exit_on_error=False, description="following the logs")
    async def follow_logs(self, container: str | None = None) -> None:
        """Every member's log, or one init container's (None: every member)."""
        lines = self.app.backend.logs(self.uuid, self.host, tail=TAIL_LINES, member=container)  # type: ignore[attr-defined]
        async for line in lines:
            self.post_message(self.Lines([line]))
        self.post_message(self.Ended())

    def on_logs_screen_lines(self, message: Lines) -> None:
        for line in message.lines:
            if line.member not in self.members and line.member not in self.inits:
                self.members.append(line.member)
            if not self._keep_in_time_order(line) and self._shown(line):
                self.view.write(self._line_text(line), scroll_end=self.following)
        self._status()

    def _keep_in_time_order(self, line: MemberLogLine) -> bool:
        """Put `line` in the buffer by its stamp; True when it went before the end (a redraw is due).

        The stamps' keys are kept beside the buffer, so a burst of N lines costs N binary
        searches, not N parses of the whole buffer.
        """
        key = timestamp_key(line.timestamp)
        place = bisect.bisect_right(self._keys, key)  # the end, for a line newer than all kept
        if len(self.buffer) == self.buffer.maxlen:
            if place == 0:
                return False  # older than everything kept: it would drop off at once
            self.buffer.popleft()
            self._keys.pop(0)
            place -= 1
        at_end = place == len(self._keys)
        self.buffer.insert(place, line)
        self._keys.insert(place, key)
        if at_end:
            return False
        if not self._redraw_due:  # once per burst, not once per line
            self._redraw_due = True
            self.set_timer(0.05, self._redraw)
        return True

    def on_logs_screen_ended(self) -> None:
        self.ended = True
        self._status()

    # -- what is shown --------------------------------------------------------

    def _shown(self, line: MemberLogLine) -> bool:
        if self.member is not None and line.member != self.member:
            return False
        return not self.search or self.search.lower() in line.text.lower()

    def _line_text(self, line: MemberLogLine) -> Text:
        width = max((len(shown(m)) for m in self.members + self.inits), default=0)
        index = self.members.index(line.member) if line.member in self.members else 0
        text = Text()
        if self.show_times:
            text.append(f"{(line.timestamp or '-')[:23]:<23} ", style="dim")
        text.append(shown(line.member).ljust(width), style=MEMBER_STYLES[index % len(MEMBER_STYLES)])
        text.append(" | ", style="dim")
        body = Text(shown(line.text, block=True), style=STDERR_STYLE if line.stream == "stderr" else "")
        if self.search:
            body.highlight_words([self.search], style="reverse", case_sensitive=False)
        text.append_text(body)
        return text

    def shown_lines(self) -> list[str]:
        """The plain text of the lines the view holds now (for tests and copy)."""
        return [f"{line.member} | {line.text}" for line in self.buffer if self._shown(line)]

    def _redraw(self) -> None:
        self._redraw_due = False
        self.view.clear()
        for line in self.buffer:
            if self._shown(line):
                self.view.write(self._line_text(line), scroll_end=False)
        if self.following:
            self.view.scroll_end(animate=False)
        self._status()

    def _status(self) -> None:
        parts = [f"{len(self.buffer)} lines" + (" (oldest dropped)" if len(self.buffer) == BUFFER_LINES else "")]
        parts.append("ended: every member has stopped" if self.ended else
                     ("following" if self.following else "paused (f follows)"))
        parts.append(f"member: {shown(self.member or 'all')}")
        if self.search:
            parts.append(f"search: {self.search}")
        parts.append("wrap on" if self.view.wrap else "wrap off")
        self.query_one("#log-status", Static).update(Text(" · ".join(parts)))

    # -- keys -----------------------------------------------------------------

    def action_search(self) -> None:
        self.search_input.display = True
        self.set_focus(self.search_input)

    @on(Input.Changed, "#log-search")
    def _search_changed(self, event: Input.Changed) -> None:
        self.search = event.value
        self._redraw()

    @on(Input.Submitted, "#log-search")
    def _search_done(self) -> None:
        self.search_input.display = bool(self.search)
        self.set_focus(self.view)

    def action_next_member(self) -> None:
        choices: list[str | None] = [None, *self.members, *self.inits]
        was_init = self.member in self.inits
        self.member = choices[(choices.index(self.member) + 1) % len(choices)] if self.member in choices else None
        if self.member in self.inits or was_init:
            # An init container's log is not in the merged stream: read it on its own, and the
            # members' again after it.
            self.buffer.clear()
            self._keys.clear()
            self.ended = False
            self.follow_logs(self.member if self.member in self.inits else None)
        self._redraw()

    def action_toggle_follow(self) -> None:
        self.following = not self.following
        self.view.auto_scroll = self.following
        if self.following:
            self.view.scroll_end(animate=False)
        self._status()

    def action_toggle_times(self) -> None:
        self.show_times = not self.show_times
        self._redraw()

    def action_toggle_wrap(self) -> None:
        self.view.wrap = not self.view.wrap
        self._redraw()

    def action_back(self) -> None:
        if self.search:  # escape clears the search first, as in the list
            self.search_input.value = ""
            self.search_input.display = False
            self.set_focus(self.view)
            return
        self.app.pop_screen()
