"""`capsule run --capsule NAME IMAGE`: describe the extra member and add it to the capsule.

Turns the few things `run` takes (image, name, env, command) into a spec
`Container`, picks a free member name when none is given (from the image, as
Docker Compose names services), and hands it to the builder's `add_container`,
which joins it to the sandbox's namespaces with the capsule's labels, so that
delete, status and the lifecycle commands treat it as a member.

This module must not print; validation errors are BadRequests saying what to fix.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from runtime.build.add_member import add_container
from runtime.build.model import BuildOptions
from runtime.errors import BadRequest
from runtime.observe.observed import ObservedCapsule, ObservedContainer
from translate.fields import dns1123_problem
from translate.spec import Container, EnvVar, default_pull_policy

PULL_CHOICES = {"always": "Always", "missing": "IfNotPresent", "never": "Never"}


def name_from_image(image: str, taken: set[str]) -> str:
    """`registry/busybox:1.36` → `busybox` (then `busybox-2`, ... while taken)."""
    base = image.split("@", 1)[0].rsplit("/", 1)[-1].split(":", 1)[0].lower()
    base = re.sub(r"[^a-z0-9-]+", "-", base).strip("-")[:55].strip("-") or "member"
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}-{n}"
    return name


def member_spec(
    capsule: ObservedCapsule,
    image: str,
    *,
    name: str | None = None,
    env: Sequence[str] = (),
    command: Sequence[str] = (),
    pull: str | None = None,
) -> Container:
    """The Container to add; `command` replaces the image's CMD (as `docker run IMAGE CMD`)."""
    taken = {c.member for c in capsule.containers}
    if name is None:
        name = name_from_image(image, taken)
    elif problem := dns1123_problem(name):
        raise BadRequest(f"--name {name!r}: the member name {problem}")
    variables = []
    for pair in env:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise BadRequest(f"-e {pair!r}: expected KEY=VALUE, e.g. -e MODE=debug")
        variables.append(EnvVar(key, value))
    policy = PULL_CHOICES[pull] if pull else default_pull_policy(image)
    return Container(name=name, image=image, image_pull_policy=policy, args=tuple(command), env=tuple(variables))


async def run_in_capsule(
    engine: Any, capsule: ObservedCapsule, container: Container, *, sandbox_image: str, on_progress: Any = None
) -> ObservedContainer:
    """Create and start `container` in the capsule (all or nothing, see runtime.build.add_member)."""
    return await add_container(
        engine, capsule, container, options=BuildOptions(sandbox_image=sandbox_image), on_progress=on_progress
    )
