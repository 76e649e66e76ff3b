"""Find which host runs a capsule, and see its containers there, in one call per host.

The operations on a running capsule (logs, exec, top, cp, run, start, stop ...) act
on what a host runs now, so they ask the hosts, not the store: every host is asked
at once for the containers labelled with the capsule's name (one filtered
`GET /containers/json` each; the list entry has the state, id and labels the
operations need).

This module must not write to the store and must not change containers. It raises
the engine client's errors for the caller (the service) to translate.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from runtime.engine.client import EngineClient
from runtime.engine.errors import EngineError, EngineTimeout
from runtime.errors import CapsuleNotFound, OperationError
from runtime.hosts.connect import ANSWER_TIMEOUT
from runtime.hosts.settings import HostSettings
from runtime.labels import LABEL_MANAGED_BY, LABEL_NAME, MANAGED_BY
from runtime.observe.observed import ObservedCapsule, ObservedContainer, group_by_capsule

EngineFor = Callable[[HostSettings], Awaitable[EngineClient]]


@dataclass
class Located:
    """A capsule as its host reports it, with that host's engine client."""

    host: HostSettings
    engine: EngineClient
    capsule: ObservedCapsule


async def listed_capsule(engine: EngineClient, host: str, name: str) -> ObservedCapsule | None:
    """The capsule `name` on this engine, from list entries alone (None when none of it is there).

    Cheaper than runtime.observe.discovery.observe_capsule, which inspects every
    container: enough for an operation, which needs ids, states and labels.
    """
    entries = await engine.list_containers(
        all=True, filters={"label": [f"{LABEL_NAME}={name}", f"{LABEL_MANAGED_BY}={MANAGED_BY}"]}
    )
    capsules = group_by_capsule(host, [ObservedContainer.from_list_entry(e) for e in entries])
    # Only one capsule of a name can exist per host (the sandbox name is unique);
    # a leftover of a half-removed one has no sandbox, so prefer the whole one.
    capsules.sort(key=lambda c: c.sandbox is None)
    return capsules[0] if capsules else None


async def locate_capsule(name: str, hosts: Sequence[HostSettings], engine_for: EngineFor) -> Located:
    """The host that runs `name`, asked of every host at once; CapsuleNotFound if none does.

    When the capsule is nowhere to be seen but some host could not be asked, the
    error names that host and why, since the capsule may well be there.
    """
    async def ask(host: HostSettings) -> tuple[EngineClient, ObservedCapsule | None]:
        async def look() -> tuple[EngineClient, ObservedCapsule | None]:
            engine = await engine_for(host)
            return engine, await listed_capsule(engine, host.name, name)

        # A host that accepts and never answers must not hold the operation up.
        try:
            return await asyncio.wait_for(look(), host.connect_timeout + ANSWER_TIMEOUT)
        except TimeoutError:
            raise EngineTimeout(f"host {host.name!r} ({host.url}) did not answer within "
                                f"{host.connect_timeout + ANSWER_TIMEOUT:g} s", host=host.name, url=host.url) from None

    answers = await asyncio.gather(*(ask(h) for h in hosts), return_exceptions=True)
    found = [(h, a[0], a[1]) for h, a in zip(hosts, answers, strict=True) if isinstance(a, tuple) and a[1] is not None]
    failures = [(h, a) for h, a in zip(hosts, answers, strict=True) if isinstance(a, BaseException)]
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
    return Located(host, engine, capsule)
