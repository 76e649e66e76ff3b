"""One call to one engine: send it, and turn every way it can fail into an EngineError.

`EngineHttp` wraps a host's pooled httpx client. It prefixes paths with the
negotiated API version, applies the right read timeout, reads the engine's error
message out of failed answers, and maps transport failures (refused, timed out,
TLS refused, connection lost) onto the classes in `engine_errors`. It also does
the connection upgrade ("hijack") that exec with stdin needs.

With engine_failures (which words the errors), this is the only place that
sees HTTP status codes or httpx exceptions; nothing outside `runtime/engine_*`
should ever receive an httpx object from it.
It must not know about containers or images beyond picking a NotFound class.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from types import EllipsisType
from typing import Any

import httpcore
import httpx

from runtime.engine.errors import EngineError, NotFound, host_label
from runtime.engine.failures import answer_failure, transport_failure
from runtime.engine.streams import StreamFormatError
from runtime.engine.transport import Endpoint, Timeouts

Params = Mapping[str, str | int | float | bool | None]


class EngineHttp:
    """The call machinery for one host; owned by EngineClient, closed with it."""

    def __init__(self, client: httpx.AsyncClient, endpoint: Endpoint, *, name: str, timeouts: Timeouts) -> None:
        self._client = client
        self.endpoint = endpoint
        self.name = name
        self.timeouts = timeouts
        self.prefix = ""  # "/v1.41" once the version is negotiated

    @property
    def label(self) -> str:
        return host_label(self.name, self.endpoint.url)

    async def aclose(self) -> None:
        await self._client.aclose()

    def _error(self, cls: type[EngineError], message: str, engine_message: str | None = None) -> EngineError:
        return cls(message, host=self.name, url=self.endpoint.url, engine_message=engine_message)

    def _timeout(self, read: float | None | EllipsisType) -> httpx.Timeout:
        return self.timeouts.to_httpx(read=read)

    # -- mapping failures -------------------------------------------------

    def transport_error(self, exc: Exception) -> EngineError:
        """The EngineError for a failure below HTTP (see engine_failures)."""
        return transport_failure(exc, name=self.name, url=self.endpoint.url, connect_timeout=self.timeouts.connect)

    def status_error(self, status: int, body: bytes, not_found: type[NotFound]) -> EngineError:
        """The EngineError for an answer with a failure status (see engine_failures)."""
        return answer_failure(status, body, not_found, name=self.name, url=self.endpoint.url)

    # -- making calls -----------------------------------------------------

    def path(self, path: str, *, versioned: bool = True) -> str:
        return f"{self.prefix}{path}" if versioned else path

    async def call(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        json_body: Any = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        read_timeout: float | None | EllipsisType = ...,
        not_found: type[NotFound] = NotFound,
        versioned: bool = True,
    ) -> httpx.Response:
        """Send one call and read the whole answer; 2xx and 304 (no change) succeed."""
        try:
            response = await self._client.request(
                method,
                self.path(path, versioned=versioned),
                params=_clean(params),
                json=json_body,
                content=content,
                headers=headers,
                timeout=self._timeout(read_timeout),
            )
        except (httpx.HTTPError, OSError) as exc:  # OSError: ssl alerts can escape httpx
            raise self.transport_error(exc) from exc
        if response.status_code >= 400:
            raise self.status_error(response.status_code, response.content, not_found)
        return response

    async def call_json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = await self.call(method, path, **kwargs)
        if response.status_code in (204, 304) or not response.content:
            return None
        try:
            return response.json()
        except ValueError as exc:
            raise self._error(
                EngineError, f"host {self.label} answered {path} with something that is not JSON: {exc}."
            ) from exc

    @asynccontextmanager
    async def stream(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
        read_timeout: float | None | EllipsisType = None,
        not_found: type[NotFound] = NotFound,
    ) -> AsyncIterator[httpx.Response]:
        """Open a streamed answer; failures while reading it are mapped too."""
        request = self._client.build_request(
            method,
            self.path(path),
            params=_clean(params),
            json=json_body,
            headers=headers,
            timeout=self._timeout(read_timeout),
        )
        try:
            response = await self._client.send(request, stream=True)
        except (httpx.HTTPError, OSError) as exc:  # OSError: ssl alerts can escape httpx
            raise self.transport_error(exc) from exc
        try:
            if response.status_code >= 400:
                body = await response.aread()
                raise self.status_error(response.status_code, body, not_found)
            yield response
        except (httpx.HTTPError, OSError) as exc:  # OSError: ssl alerts can escape httpx
            raise self.transport_error(exc) from exc
        except StreamFormatError as exc:
            raise self._error(
                EngineError, f"host {self.label} sent a stream capsule cannot decode ({exc}); is it a Docker engine?"
            ) from exc
        finally:
            await response.aclose()

    @asynccontextmanager
    async def upgrade(
        self, path: str, *, json_body: Any, not_found: type[NotFound] = NotFound
    ) -> AsyncIterator[Any]:
        """POST with `Upgrade: tcp` and yield the raw two-way stream the engine hands over.

        The yielded object has `read(max_bytes, timeout)`, `write(data, timeout)` and
        `get_extra_info("socket")`; the connection is closed when the block ends.
        """
        headers = {"Connection": "Upgrade", "Upgrade": "tcp"}
        try:
            async with self._client.stream(
                "POST", self.path(path), json=json_body, headers=headers, timeout=self._timeout(None)
            ) as response:
                if response.status_code >= 400:
                    raise self.status_error(response.status_code, await response.aread(), not_found)
                network_stream = response.extensions.get("network_stream")
                if response.status_code != 101 or network_stream is None:
                    raise self._error(
                        EngineError,
                        f"host {self.label} did not hand over the connection for {path} "
                        f"(answered {response.status_code}); its engine or a proxy in between "
                        f"does not support attaching stdin.",
                    )
                yield network_stream
        except StreamFormatError as exc:
            raise self._error(
                EngineError, f"host {self.label} sent a stream capsule cannot decode ({exc}); is it a Docker engine?"
            ) from exc
        except (httpx.HTTPError, httpcore.NetworkError, httpcore.TimeoutException, OSError) as exc:
            # httpcore and OS errors come from raw reads/writes after the upgrade.
            raise self.transport_error(exc) from exc


def _clean(params: Params | None) -> dict[str, str] | None:
    """Drop unset query parameters and spell booleans the way the engine parses them."""
    if not params:
        return None
    cleaned: dict[str, str] = {}
    for key, value in params.items():
        if value is None:
            continue
        cleaned[key] = ("1" if value else "0") if isinstance(value, bool) else str(value)
    return cleaned
