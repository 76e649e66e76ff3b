"""runAsNonRoot: refuse a container that would run as root, before anything is made.

The user a container runs as is its runAsUser, else the image's own USER, which only
the host's engine knows (image inspect: Config.User). Like the kubelet, the check
refuses an image whose user is root ("", "root", "0", or "0:<group>") and one whose
user is a name: capsule cannot tell which id a name stands for without running the
image, so it cannot verify the user is not root. runAsUser 0 with runAsNonRoot is
refused earlier, by runtime/build/container_config.py, without the engine.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from runtime.build.container_config import BuildContext
from runtime.engine.client import EngineClient
from runtime.errors import BuildRefused
from translate.spec import Container


async def check_non_root(engine: EngineClient, ctx: BuildContext, containers: Iterable[Container]) -> None:
    """Raise BuildRefused for the first container whose runAsNonRoot the image's user breaks.

    The images must be on the host already (after ensure_images).
    """
    for container in containers:
        security = container.security_context
        if not security.run_as_non_root or security.run_as_user is not None:
            continue
        info = await engine.inspect_image(container.image) or {}
        user = str((info.get("Config") or {}).get("User") or "")
        problem = image_user_problem(user)
        if problem:
            raise BuildRefused(
                f"capsule {ctx.capsule.name}, container {container.name}: securityContext.runAsNonRoot is "
                f"set, but image {container.image} {problem}; set runAsUser to a non-zero user id, or "
                f"remove runAsNonRoot",
                capsule=ctx.capsule.name,
                host=ctx.host,
            )


async def with_image_users(engine: EngineClient, ctx: BuildContext, containers: Iterable[Container]) -> BuildContext:
    """The context with the image's user of each container that sets runAsGroup without
    runAsUser: Kubernetes runs it as the image's user in that group, and Docker needs the
    user written out to set the group. The images must be on the host already."""
    users: dict[str, str] = {}
    for container in containers:
        security = container.security_context
        if security.run_as_group is None or security.run_as_user is not None:
            continue
        info = await engine.inspect_image(container.image) or {}
        users[container.name] = str((info.get("Config") or {}).get("User") or "").partition(":")[0].strip() or "0"
    return dataclasses.replace(ctx, image_users={**ctx.image_users, **users}) if users else ctx


def image_user_problem(user: str) -> str | None:
    """Why an image whose USER is `user` breaks runAsNonRoot, as a verb phrase; None if it does not."""
    name = user.partition(":")[0].strip()
    if name in ("", "root", "0"):
        return "runs as root" + ("" if user else " (it sets no USER)")
    if not name.isdigit():
        return f"has the non-numeric user {name!r}, so capsule cannot verify the user is not root"
    if int(name) == 0:
        return "runs as root"
    return None
