"""The event log's `/` filter: which events a typed text keeps.

Written as the capsule list's filter is (formatters/capsule_rows.py): words
separated by spaces, every one must match.
- `@HOST`: events of that host;
- `kind:KIND` (or the whole kind, `failed`, `member_exited`, ...): events of that kind;
  a prefix is enough (`kind:member` keeps exits and restarts);
- any other word: found, without regard to case, in the capsule's name or the message.

Pure functions over EventRecord: no Textual, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from runtime.state.events import EVENT_KINDS
from runtime.views import EventRecord


@dataclass(frozen=True)
class EventFilter:
    text: str = ""
    hosts: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    words: tuple[str, ...] = field(default=())

    def __bool__(self) -> bool:
        return bool(self.hosts or self.kinds or self.words)

    def matches(self, event: EventRecord) -> bool:
        if any(event.host != host for host in self.hosts):
            return False
        if any(not event.kind.startswith(kind) for kind in self.kinds):
            return False
        where = f"{event.capsule}\n{event.message}".lower()
        return all(word in where for word in self.words)


def parse_event_filter(text: str) -> EventFilter:
    hosts, kinds, words = [], [], []
    for word in text.split():
        if word.startswith("@") and len(word) > 1:
            hosts.append(word[1:])
        elif word.lower().startswith("kind:") and len(word) > 5:
            kinds.append(word[5:].lower())
        elif word.lower() in EVENT_KINDS:
            kinds.append(word.lower())
        else:
            words.append(word.lower())
    return EventFilter(text.strip(), tuple(hosts), tuple(kinds), tuple(words))
