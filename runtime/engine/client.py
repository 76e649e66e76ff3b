"""The async Docker Engine API client for one host.

    async with await EngineClient.connect("unix:///var/run/docker.sock") as engine:
        cid = await engine.create_container({"Image": "busybox:1.36", "Cmd": ["sleep", "60"]}, "web")
        await engine.start(cid)

`connect` reaches the host, negotiates the API version from /version (the
engine's, capped at ours; engines older than API 1.41 are refused) and from then
on prefixes every path with it. The calls live in small mixins by subject:
containers (engine_containers), exec (engine_exec), images (engine_images),
volumes and networks (engine_volumes), swarm (engine_swarm), stats (engine_stats); system calls and
events are here.
Every failure is an EngineError subclass (engine_errors) naming the host.

This module must not import textual or the docker package, and must not know
what a capsule is: it speaks the Engine API, nothing above it.
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator
from types import TracebackType
from typing import Any

import httpx

from runtime.engine.containers import ContainerCalls, Filters, Since, encode_filters, encode_time
from runtime.engine.errors import ApiVersionTooOld, ConnectionLost, EngineError, HostTlsError, HostUnreachable
from runtime.engine.exec import ExecCalls
from runtime.engine.http import EngineHttp
from runtime.engine.images import ImageCalls
from runtime.engine.ssh.keep import SshKeep
from runtime.engine.stats import StatsCalls
from runtime.engine.streams import json_stream
from runtime.engine.swarm import SwarmCalls
from runtime.engine.transport import Timeouts, TlsConfig, build_client
from runtime.engine.volumes import NetworkCalls, VolumeCalls

MIN_API_VERSION = (1, 41)  # Docker Engine 20.10, the engine Debian 12 ships
MAX_API_VERSION = (1, 45)  # the newest API whose answers this client was written against


def parse_api_version(text: str) -> tuple[int, int]:
    major, _, minor = text.strip().partition(".")
    return int(major), int(minor or 0)


def format_api_version(version: tuple[int, int]) -> str:
    return f"{version[0]}.{version[1]}"


def as_timeouts(timeout: Timeouts | float | None) -> Timeouts:
    """A single number sets every phase (like httpx); None keeps the defaults."""
    if timeout is None:
        return Timeouts()
    if isinstance(timeout, Timeouts):
        return timeout
    return Timeouts(connect=timeout, read=timeout, write=timeout, pool=timeout)


class EngineClient(ContainerCalls, ExecCalls, ImageCalls, VolumeCalls, NetworkCalls, SwarmCalls, StatsCalls):
    """A connected Docker host. Make one with `await EngineClient.connect(url)`."""

    def __init__(self, http: EngineHttp, version_info: dict[str, Any], api_version: tuple[int, int]) -> None:
        self._http = http
        self.version_info = version_info
        self.api_version = format_api_version(api_version)
        http.prefix = f"/v{self.api_version}"

    @classmethod
    async def connect(
        cls,
        url: str,
        *,
        name: str = "local",
        tls: TlsConfig | ssl.SSLContext | None = None,
        timeout: Timeouts | float | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        api_version: tuple[int, int] | None = None,
        ssh_keep: SshKeep | None = None,
    ) -> EngineClient:
        """Reach the engine at `url` and agree on an API version.

        Raises HostConfigError (bad URL or TLS files), HostUnreachable,
        EngineTimeout, or ApiVersionTooOld; the connection is closed on failure.

        With `api_version` (for one short look; MIN_API_VERSION is understood by
        every engine capsule accepts), the host is not asked first: one round trip
        less, `version_info` is empty, and the first call is the one that fails if
        the host cannot be reached or refuses that version (EngineRequestError).
        """
        timeouts = as_timeouts(timeout)
        client, endpoint = build_client(url, name=name, tls=tls, timeouts=timeouts, transport=transport,
                                        ssh_keep=ssh_keep)
        http = EngineHttp(client, endpoint, name=name, timeouts=timeouts)
        if api_version is not None:
            return cls(http, {}, api_version)
        try:
            try:
                info = await http.call_json("GET", "/version", versioned=False)
            except ConnectionLost as exc:
                raise _closed_on_first_call(http) from exc
            return cls(http, info, _negotiate(http, info))
        except BaseException:
            await http.aclose()
            raise

    @property
    def name(self) -> str:
        """The host's name in the inventory ("local" by default)."""
        return self._http.name

    @property
    def url(self) -> str:
        return self._http.endpoint.url

    def __repr__(self) -> str:
        return f"EngineClient(name={self.name!r}, url={self.url!r}, api={self.api_version})"

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> EngineClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    # -- system -----------------------------------------------------------

    async def ping(self) -> bool:
        """True when the engine answers; otherwise the EngineError says why."""
        await self._http.call("GET", "/_ping")
        return True

    async def version(self) -> dict[str, Any]:
        return await self._http.call_json("GET", "/version")

    async def info(self) -> dict[str, Any]:
        """Engine facts: NCPU, MemTotal, ServerVersion, Containers, ..."""
        return await self._http.call_json("GET", "/info")

    async def events(
        self,
        since: Since | None = None,
        until: Since | None = None,
        filters: Filters | None = None,
    ) -> AsyncIterator[dict[str, Any]]:
        """The engine's events as they happen (from `since`, up to `until` if given).

        Without `until` the iterator runs until the caller stops iterating.
        """
        params = {"since": encode_time(since), "until": encode_time(until), "filters": encode_filters(filters)}
        async with self._http.stream("GET", "/events", params=params, read_timeout=None) as response:
            async for event in json_stream(response.aiter_bytes()):
                if isinstance(event, dict):
                    yield event


def _closed_on_first_call(http: EngineHttp) -> EngineError:
    """Why a host that accepted the connection might close it before answering anything."""
    if http.endpoint.uses_tls:
        # A TLS engine that does not accept our client certificate (or wants one)
        # often just closes the connection after the handshake instead of alerting.
        return HostTlsError(
            f"host {http.label} closed the connection right after the TLS handshake: it most likely does "
            f"not accept our client certificate. Give the client certificate and key that its CA signed.",
            host=http.name, url=http.endpoint.url,
        )
    return HostUnreachable(
        f"host {http.label} accepted the connection but closed it without answering. Check the URL and "
        f"port; an engine that requires TLS does this to plain connections (give its TLS files).",
        host=http.name, url=http.endpoint.url,
    )


def _negotiate(http: EngineHttp, info: Any) -> tuple[int, int]:
    """The API version to speak: the engine's own, capped at ours."""
    if not isinstance(info, dict) or not isinstance(info.get("ApiVersion"), str):
        raise EngineError(
            f"host {http.label} answered /version without an API version; is it a Docker engine?",
            host=http.name, url=http.endpoint.url,
        )
    try:
        engine_api = parse_api_version(info["ApiVersion"])
        engine_min = parse_api_version(info.get("MinAPIVersion") or "1.12")
    except ValueError as exc:
        raise EngineError(
            f"host {http.label} reports an API version capsule cannot read ({info['ApiVersion']!r}).",
            host=http.name, url=http.endpoint.url,
        ) from exc
    if engine_api < MIN_API_VERSION:
        raise ApiVersionTooOld(
            f"host {http.label} runs Docker Engine {info.get('Version', '?')} with API {info['ApiVersion']}; "
            f"capsule needs API {format_api_version(MIN_API_VERSION)} (Docker Engine 20.10) or newer. "
            f"Upgrade Docker on that host.",
            host=http.name, url=http.endpoint.url, engine_message=info["ApiVersion"],
        )
    chosen = min(engine_api, MAX_API_VERSION)
    if engine_min > chosen:
        raise EngineError(
            f"host {http.label} accepts only API {format_api_version(engine_min)} or newer, but capsule "
            f"speaks at most {format_api_version(MAX_API_VERSION)}. Upgrade capsule.",
            host=http.name, url=http.endpoint.url,
        )
    return chosen
