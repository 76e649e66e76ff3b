"""Image calls of the engine client: inspect, pull (with progress) and tag.

A mixin of `EngineClient`. Pulls need care: the engine reports a failure either
as an error answer before any progress, or INSIDE a successful streamed answer
as a JSON line with "error"; both become ImageNotFound (the image does not
exist, or the registry will not say it does) or ImagePullError, carrying the
engine's message.

Credentials are passed in as a dict (see registry_auth for reading them from
the user's Docker config) and go only into the X-Registry-Auth header; this
module never logs or formats them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

from runtime.engine.errors import EngineError, EngineRequestError, EngineServerError, ImageNotFound, ImagePullError
from runtime.engine.http import EngineHttp
from runtime.engine.registry_auth import encode_auth_header, split_image_ref
from runtime.engine.streams import json_stream

# How registries and the engine word "there is no such image (for you)".
_NOT_FOUND_WORDS = ("not found", "manifest unknown", "pull access denied", "does not exist", "no such image")


class ImageCalls:
    _http: EngineHttp

    async def inspect_image(self, ref: str) -> dict[str, Any] | None:
        """The image's details, or None when the host does not have it."""
        try:
            return await self._http.call_json("GET", f"/images/{ref}/json", not_found=ImageNotFound)
        except ImageNotFound:
            return None

    async def tag(self, ref: str, repo: str, tag: str = "latest") -> None:
        """Give an image on the host another name `repo:tag`."""
        await self._http.call(
            "POST", f"/images/{ref}/tag", params={"repo": repo, "tag": tag}, not_found=ImageNotFound
        )

    async def pull_image(
        self, ref: str, auth: Mapping[str, Any] | None = None, *, timeout: float | None = None
    ) -> AsyncIterator[dict[str, Any]]:
        """Pull `ref` onto the host, yielding the engine's progress events as they come.

        `auth` is a registry auth config ({"username", "password", "serveraddress"}
        or {"identitytoken", ...}). `timeout` is the longest silence accepted from
        the engine while it pulls (None: no limit). Raises ImageNotFound or
        ImagePullError with the engine's message; the pull is complete when the
        iteration ends without one.
        """
        repository, tag = split_image_ref(ref)
        headers = {}
        if auth:
            headers["X-Registry-Auth"] = encode_auth_header(auth)
        failure: str | None = None
        missing = False
        try:
            async with self._http.stream(
                "POST",
                "/images/create",
                params={"fromImage": repository, "tag": tag},
                headers=headers,
                read_timeout=timeout,
                not_found=ImageNotFound,
            ) as response:
                async for event in json_stream(response.aiter_bytes()):
                    if not isinstance(event, dict):
                        continue
                    if event.get("error") or event.get("errorDetail"):
                        failure = (event.get("errorDetail") or {}).get("message") or str(event.get("error"))
                        break
                    yield event
        except (EngineRequestError, EngineServerError) as exc:
            failure = exc.engine_message or str(exc)
            missing = isinstance(exc, ImageNotFound)
        if failure is not None:
            raise self._pull_error(ref, failure, missing=missing)

    def _pull_error(self, ref: str, engine_message: str, *, missing: bool = False) -> EngineError:
        lowered = engine_message.lower()
        if missing or any(words in lowered for words in _NOT_FOUND_WORDS):
            return ImageNotFound(
                f"image {ref!r} not found for host {self._http.label}: {engine_message}. Check the name and "
                f"tag; for a private registry, log in with `docker login` on this machine.",
                host=self._http.name, url=self._http.endpoint.url, engine_message=engine_message,
            )
        return ImagePullError(
            f"host {self._http.label} could not pull image {ref!r}: {engine_message}. Check that the host "
            f"reaches the registry, or make the image available there another way.",
            host=self._http.name, url=self._http.endpoint.url, engine_message=engine_message,
        )
