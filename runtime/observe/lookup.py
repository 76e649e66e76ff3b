"""Find which host runs a capsule, and see its containers there, in one call per host.

The operation commands (logs, exec, top, cp, run, start, stop ...) act on what a
host runs now, so they ask the hosts, not the store: every configured host is
asked at once for the containers labelled with the capsule's name (one filtered
`GET /containers/json` each; the list entry has the state, id and labels the
operations need). The engine of the host that has it stays open for the caller.

This module must not write to the store and must not change containers.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from runtime.engine.errors import EngineError
from runtime.hosts.settings import HostSettings, configured_hosts, connect_engine
from runtime.observe.observed import (
    LABEL_MANAGED_BY,
    LABEL_NAME,
    MANAGED_BY,
    ObservedCapsule,
    ObservedContainer,
    group_by_capsule,
)
from runtime.ops.errors import CapsuleNotFound, OperationError


@dataclass
class Located:
    """A capsule as its host reports it, with an open engine client for that host."""

    host: HostSettings
    engine: Any  # EngineClient
    capsule: ObservedCapsule


async def observe_capsule(engine: Any, host: str, name: str) -> ObservedCapsule | None:
    """The capsule `name` on this engine (None when it has none of its containers)."""
    entries = await engine.list_containers(
        all=True, filters={"label": [f"{LABEL_NAME}={name}", f"{LABEL_MANAGED_BY}={MANAGED_BY}"]}
    )
    capsules = group_by_capsule(host, [ObservedContainer.from_list_entry(e) for e in entries])
    # Only one capsule of a name can exist per host (the sandbox name is unique);
    # a leftover of a half-removed one has no sandbox, so prefer the whole one.
    capsules.sort(key=lambda c: c.sandbox is None)
    return capsules[0] if capsules else None


async def _ask(host: HostSettings, name: str) -> tuple[Any, ObservedCapsule | None]:
    engine = await connect_engine(host)
    try:
        return engine, await observe_capsule(engine, host.name, name)
    except BaseException:
        await engine.aclose()
        raise


@asynccontextmanager
async def locate_capsule(name: str, hosts: list[HostSettings] | None = None) -> AsyncIterator[Located]:
    """Open the host that runs `name`; CapsuleNotFound if none does.

    When the capsule is nowhere to be seen but some host could not be asked, the
    error names that host and why, since the capsule may well be there.
    """
    hosts = hosts if hosts is not None else configured_hosts()
    answers = await asyncio.gather(*(_ask(h, name) for h in hosts), return_exceptions=True)
    engines = [a[0] for a in answers if isinstance(a, tuple)]
    try:
        found = [(h, a[0], a[1]) for h, a in zip(hosts, answers) if isinstance(a, tuple) and a[1] is not None]
        failures = [(h, a) for h, a in zip(hosts, answers) if isinstance(a, BaseException)]
        for _, error in failures:
            if not isinstance(error, EngineError):
                raise error
        if len(found) > 1:
            where = ", ".join(h.name for h, _, _ in found)
            raise OperationError(
                f"capsule {name!r} exists on several hosts ({where}); delete the extra ones with capsule delete"
            )
        if not found:
            if failures:
                reasons = "; ".join(str(error) for _, error in failures)
                if len(failures) == len(hosts):
                    raise OperationError(f"cannot look for capsule {name!r}: no host answered; {reasons}")
                raise OperationError(f"capsule {name!r} not found on the hosts that answered; {reasons}")
            raise CapsuleNotFound(name)
        host, engine, capsule = found[0]
        yield Located(host, engine, capsule)
    finally:
        await asyncio.gather(*(e.aclose() for e in engines), return_exceptions=True)
