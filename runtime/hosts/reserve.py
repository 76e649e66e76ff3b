"""What the scheduler leaves free on every host: the inventory's `reserve:`.

A module of its own so that reading the host inventory (every command does) does
not import the scheduler and its host facts.
Must stay free of I/O and of imports beyond the standard library.
"""

from __future__ import annotations

from dataclasses import dataclass

MiB = 1024 * 1024


@dataclass(frozen=True)
class Reserve:
    """What the scheduler leaves free on every host for the engine and the system."""

    cpu: float = 0.0
    memory: int = 256 * MiB
