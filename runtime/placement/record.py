"""Why a capsule is on its host: the scheduler's decision in words, kept at create, read back later.

At create (runtime.create_flow) the claim's `Placement` becomes one line,

    placed on host-b: 2/3 hosts available: 1 insufficient memory (...); spread (least
    allocated): score 71, ahead of host-a 40; after placing cpu 0.5/2, memory 1.2 GB/8.6 GB requested

which is appended to the capsule's `created` event (so it lasts as long as the event
log, unlike the capped message history) and to its history. `recorded_placement`
reads it back for the terminal UI's detail screen. A capsule this machine found on a
host (created from another machine) has a `created` event saying so: its reason was
the creator's and is not known here, which is what the reading says, rather than
inventing one.

Pure: no I/O, no engines, no textual.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from runtime.placement.scheduler import summarize
from translate.quantity import format_bytes

if TYPE_CHECKING:
    from runtime.placement.host_facts import HostFacts
    from runtime.placement.scheduler import Demand, Placement
    from runtime.state.records import EventRecord

# In a created event: "created on host X (N containers)" + MARK + "X: why".
MARK = "; placed on "
FOUND_PREFIX = "found on host "
_STRATEGY_WORDS = {"spread": "least allocated", "binpack": "most allocated"}


def placement_reason(placement: Placement, demand: Demand, chosen: HostFacts | None = None, *,
                     pinned: bool = False) -> str:
    """One line: the chosen host, how many hosts fit (and why the others did not), the score."""
    decisions = list(placement.reasons_per_host.values())
    host = placement.host
    if pinned:
        hosts = f"--host {host} was asked for and it passes every filter"
    elif len(decisions) == 1:
        hosts = "the only host, and it passes every filter"
    elif all(d.fits for d in decisions):
        hosts = f"{len(decisions)}/{len(decisions)} hosts fit"
    else:
        hosts = summarize(decisions)
    words = _STRATEGY_WORDS.get(placement.strategy, placement.strategy)
    score = f"{placement.strategy} ({words}): score {placement.score:.0f}"
    others = [f"{d.host} {d.score:.0f}" for d in decisions if d.host != host and d.score is not None]
    if others:
        score += ", ahead of " + ", ".join(others)
    # With one candidate there was nothing to rank: a score would only look like a reason.
    parts = [hosts] if len(decisions) == 1 else [hosts, score]
    if chosen is not None and chosen.reachable and chosen.cpus:
        cpu = f"{chosen.cpu_requested + demand.cpu:.3f}".rstrip("0").rstrip(".") or "0"
        memory = format_bytes(chosen.memory_requested + demand.memory)
        parts.append(f"after placing cpu {cpu}/{chosen.cpus}, memory {memory}/{format_bytes(chosen.memory)} "
                     f"requested")
    return f"placed on {host}: " + "; ".join(parts)


def created_message(host: str, containers: int, reason: str) -> str:
    """The created event's text, with the placement reason after MARK."""
    text = f"created on host {host} ({containers} containers)"
    return f"{text}; {reason}" if reason else text


def recorded_placement(events: Iterable[EventRecord], uuid: str, host: str) -> str:
    """What is known of why the capsule `uuid` is on `host`, from its events."""
    created = [e for e in events if e.kind == "created" and e.uuid == uuid]
    if not created:
        return (f"on host {host}; no placement was recorded here (its created event is not in this "
                f"machine's event log)")
    message = created[-1].message
    if message.startswith(FOUND_PREFIX):
        return (f"created elsewhere; placed by its creator on host {host} (this machine found it there, "
                f"so why that host was chosen is not known here)")
    if MARK in message:
        return message[message.index(MARK) + 2:]
    return f"created here on host {host}, before capsule recorded why a host was chosen"
