"""Where the watcher stopped reading each host's events, kept across restarts.

`$CAPSULE_HOME/watch-cursor.json` (else the user's state dir) holds, per host, the
time (in nanoseconds, the engine's `timeNano`) of the last engine event the watcher
handled and the keys of the events it handled at that very time. A restarted
watcher asks the engine for events `since` that time, which the engine answers
inclusively, and skips the ones already handled: nothing the engine still keeps
is lost, nothing is handled twice. (An engine keeps its last 256 events only;
events older than that are gone, and the watcher's startup sweep covers them.)

The file is replaced atomically (write, then rename), so a watcher killed while
writing leaves the old cursor, never a broken one. `watch_lock` makes sure one
watcher runs per CAPSULE_HOME: two would both heal and double every event.
This module does no engine I/O.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from runtime.errors import WatcherBusy
from runtime.paths import private_dir, private_opener, state_dir


def cursor_path() -> Path:
    return state_dir() / "watch-cursor.json"


def event_key(raw: dict[str, Any]) -> str:
    actor = raw.get("Actor") or {}
    return f"{actor.get('ID') or raw.get('id') or ''}:{raw.get('Action') or raw.get('status') or ''}"


def event_nanos(raw: dict[str, Any]) -> int:
    if raw.get("timeNano"):
        return int(raw["timeNano"])
    return int(raw.get("time") or 0) * 1_000_000_000


class WatchCursor:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path or cursor_path()
        self._hosts: dict[str, dict[str, Any]] = {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if isinstance(data, dict):
                self._hosts = {k: v for k, v in data.items() if isinstance(v, dict) and "nanos" in v}
        except (OSError, ValueError):
            self._hosts = {}  # no cursor yet (or unreadable): start from now

    def since(self, host: str) -> str | None:
        """The engine's `since` for this host ("seconds.nanoseconds"), None on the first run."""
        entry = self._hosts.get(host)
        if entry is None:
            return None
        seconds, nanos = divmod(int(entry["nanos"]), 1_000_000_000)
        return f"{seconds}.{nanos:09d}"

    def seen(self, host: str, raw: dict[str, Any]) -> bool:
        entry = self._hosts.get(host)
        if entry is None:
            return False
        nanos = event_nanos(raw)
        return nanos < int(entry["nanos"]) or (nanos == int(entry["nanos"]) and event_key(raw) in entry["keys"])

    def advance(self, host: str, raw: dict[str, Any]) -> None:
        """Note the event as handled, and save."""
        nanos = event_nanos(raw)
        entry = self._hosts.get(host)
        if entry is None or nanos > int(entry["nanos"]):
            self._hosts[host] = {"nanos": nanos, "keys": [event_key(raw)]}
        elif nanos == int(entry["nanos"]):
            entry["keys"].append(event_key(raw))
        else:
            return
        self._save()

    def start_at(self, host: str, nanos: int) -> None:
        """On a first run: remember `now`, so a watcher stopped before any event resumes from here."""
        if host not in self._hosts:
            self._hosts[host] = {"nanos": nanos, "keys": []}
            self._save()

    def _save(self) -> None:
        private_dir(self.path.parent)
        temporary = self.path.with_name(self.path.name + f".{os.getpid()}.tmp")
        with open(temporary, "w", encoding="utf-8", opener=private_opener) as out:  # 0600, as every state file
            out.write(json.dumps(self._hosts, indent=1))
        os.replace(temporary, self.path)


@contextlib.contextmanager
def watch_lock(path: Path | None = None) -> Iterator[None]:
    """Hold the one-watcher lock; WatcherBusy at once if another process holds it."""
    lock = path or state_dir() / "watch.lock"
    private_dir(lock.parent)
    with open(lock, "a+", opener=private_opener) as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise WatcherBusy(f"another capsule watch already runs for {lock.parent} (lock {lock}); "
                              f"stop it first, or set CAPSULE_HOME to watch with another state") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
