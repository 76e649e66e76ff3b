"""Make sure every image a capsule needs is on its host, per pull policy.

Policies are Kubernetes' (the readers fill in its defaults: Always for `:latest` or no
tag, else IfNotPresent):
- Never: the image must already be on the host, else a clear error saying how to fix;
- IfNotPresent: pull only when the host lacks it;
- Always: pull every time. A failed pull fails, even when an older copy is on the
  host (as the kubelet does), but the reason says so and how to use that copy.
The sandbox image is infrastructure and is always IfNotPresent. Distinct images are
pulled concurrently; credentials come from the user's Docker config
(`runtime.engine.registry_auth`) and are never shown; pull progress goes to `on_progress`.

This module must not create containers or volumes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from runtime.build.model import KIND_PULL, ProgressCallback, ProgressEvent, emit
from runtime.concurrently import all_or_nothing
from runtime.engine.client import EngineClient
from runtime.engine.errors import EngineError, ImageNotFound
from runtime.engine.registry_auth import RegistryAuthError, auth_for_image
from runtime.errors import BuildFailed
from translate.spec import Capsule

# When one image is wanted under several policies, the most demanding one wins.
_STRENGTH = {"Never": 0, "IfNotPresent": 1, "Always": 2}


def wanted_images(capsule: Capsule, sandbox_image: str) -> dict[str, str]:
    """image → the pull policy to apply to it, for the sandbox and every container."""
    wanted: dict[str, str] = {sandbox_image: "IfNotPresent"}
    for container in capsule.all_containers:
        policy = container.image_pull_policy
        current = wanted.get(container.image)
        if current is None or _STRENGTH[policy] > _STRENGTH[current]:
            wanted[container.image] = policy
    return wanted


async def ensure_images(
    engine: EngineClient,
    images: dict[str, str],
    *,
    host: str,
    timeout: float | None = None,
    on_progress: ProgressCallback | None = None,
) -> None:
    """Have every image of `images` (image → policy) on the host, or raise BuildFailed."""
    work = [ensure_image(engine, image, policy, host=host, on_progress=on_progress) for image, policy in images.items()]
    try:
        async with asyncio.timeout(timeout):
            await all_or_nothing(work)
    except TimeoutError:
        names = ", ".join(sorted(images))
        raise BuildFailed(
            f"pulling images ({names}) on host {host} took longer than {timeout:g} s; check the host's "
            f"connection to the registry, or load the images there beforehand",
            host=host,
        ) from None


async def ensure_image(
    engine: EngineClient, image: str, policy: str, *, host: str, on_progress: ProgressCallback | None = None
) -> None:
    present = await engine.inspect_image(image) is not None
    if present and policy != "Always":
        return
    if policy == "Never":
        raise BuildFailed(
            f"image {image} not found on host {host} and imagePullPolicy is Never; build or load it there, "
            f"or set imagePullPolicy: IfNotPresent",
            host=host,
        )
    await emit(on_progress, ProgressEvent(KIND_PULL, image, f"pulling {image} on host {host}"))
    try:
        credentials = await asyncio.to_thread(auth_for_image, image)
        async for event in engine.pull_image(image, credentials):
            text = _progress_text(event)
            if text:
                await emit(on_progress, ProgressEvent(KIND_PULL, image, text))
    except RegistryAuthError as exc:
        raise BuildFailed(str(exc), host=host) from exc
    except EngineError as exc:
        raise BuildFailed(_pull_reason(image, host, exc, present), host=host) from exc
    await emit(on_progress, ProgressEvent(KIND_PULL, image, f"pulled {image}"))


def _pull_reason(image: str, host: str, exc: EngineError, present: bool) -> str:
    detail = _one_line(exc.engine_message or str(exc))
    if present:
        return (
            f"pulling image {image} on host {host} failed ({detail}); imagePullPolicy is Always, so the copy "
            f"already on the host is not used; set imagePullPolicy: IfNotPresent to use it"
        )
    if isinstance(exc, ImageNotFound):
        return f"image {image} not found on host {host} and pulling it failed ({detail})"
    return f"pulling image {image} on host {host} failed ({detail})"


def _progress_text(event: dict) -> str:
    parts: Iterable[str] = (str(event.get(k) or "") for k in ("id", "status", "progress"))
    words = [p for p in parts if p]
    if not words:
        return ""
    if event.get("id"):
        return f"{words[0]}: {' '.join(words[1:])}"
    return " ".join(words)


def _one_line(text: str) -> str:
    return " ".join(text.split())
