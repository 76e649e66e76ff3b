"""Container calls of the engine client: lifecycle, inspection, logs and file copy.

A mixin of `EngineClient` (see runtime/engine/client.py, which documents the public
API); it relies only on `self._http`, the host's `EngineHttp`. Answers come back
as the engine's own JSON (plain dicts) or as the value types of engine_models.

It must not build container configurations (that is the capsule runtime's job)
and must not look at HTTP status codes (engine_http maps them to errors).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from runtime.engine.errors import ContainerNotFound, EngineError, ImageNotFound, NotFound
from runtime.engine.http import EngineHttp
from runtime.engine.models import LogLine
from runtime.engine.streams import demux, log_lines, raw_chunks

Filters = Mapping[str, str | Sequence[str]]
Since = datetime | int | float | str


def encode_filters(filters: Filters | None) -> str | None:
    """The engine's filter syntax: JSON of name → list of values."""
    if not filters:
        return None
    return json.dumps(
        {key: [value] if isinstance(value, str) else list(value) for key, value in filters.items()}
    )


def encode_time(moment: Since | None) -> str | None:
    """Unix seconds for datetimes and numbers; strings (RFC 3339, "10m") pass through."""
    if moment is None:
        return None
    if isinstance(moment, datetime):
        return f"{moment.timestamp():.9f}"
    return str(moment)


def _extend(read: float | None, extra: float) -> float | None:
    return None if read is None else read + extra


class ContainerCalls:
    _http: EngineHttp

    async def create_container(self, config: Mapping[str, Any], name: str | None = None) -> str:
        """Create a container from an Engine API container config; returns its id."""
        data = await self._http.call_json(
            "POST", "/containers/create", params={"name": name}, json_body=dict(config), not_found=ImageNotFound
        )
        return str(data["Id"])

    async def start(self, container: str) -> None:
        """Start a container; starting a running one is not an error."""
        await self._http.call("POST", f"/containers/{container}/start", not_found=ContainerNotFound)

    async def stop(self, container: str, timeout: int = 10) -> None:
        """SIGTERM, then SIGKILL after `timeout` seconds; stopping a stopped one is not an error."""
        await self._http.call(
            "POST",
            f"/containers/{container}/stop",
            params={"t": timeout},
            # The engine answers only once the container is down.
            read_timeout=_extend(self._http.timeouts.read, timeout),
            not_found=ContainerNotFound,
        )

    async def kill(self, container: str, signal: str | int = "SIGKILL") -> None:
        """Send a signal; a container that is not running gives Conflict."""
        await self._http.call(
            "POST", f"/containers/{container}/kill", params={"signal": signal}, not_found=ContainerNotFound
        )

    async def restart(self, container: str, timeout: int = 10) -> None:
        await self._http.call(
            "POST",
            f"/containers/{container}/restart",
            params={"t": timeout},
            read_timeout=_extend(self._http.timeouts.read, timeout),
            not_found=ContainerNotFound,
        )

    async def pause(self, container: str) -> None:
        await self._http.call("POST", f"/containers/{container}/pause", not_found=ContainerNotFound)

    async def unpause(self, container: str) -> None:
        await self._http.call("POST", f"/containers/{container}/unpause", not_found=ContainerNotFound)

    async def remove(self, container: str, *, force: bool = False, volumes: bool = False) -> None:
        """Remove a container (`force` kills it first; `volumes` drops its anonymous volumes)."""
        await self._http.call(
            "DELETE",
            f"/containers/{container}",
            params={"force": force, "v": volumes},
            not_found=ContainerNotFound,
        )

    async def rename(self, container: str, new_name: str) -> None:
        """Give a container another name (running or not); a taken name gives Conflict."""
        await self._http.call(
            "POST", f"/containers/{container}/rename", params={"name": new_name}, not_found=ContainerNotFound
        )

    async def inspect(self, container: str) -> dict[str, Any]:
        return await self._http.call_json("GET", f"/containers/{container}/json", not_found=ContainerNotFound)

    async def list_containers(self, all: bool = True, filters: Filters | None = None) -> list[dict[str, Any]]:
        """Containers as `docker ps` sees them; `filters` like {"label": ["capsule.name=web"]}."""
        data = await self._http.call_json(
            "GET", "/containers/json", params={"all": all, "filters": encode_filters(filters)}
        )
        return list(data or [])

    async def wait(self, container: str, condition: str = "not-running", timeout: float | None = None) -> int:
        """Wait for `condition` ("not-running", "next-exit", "removed"); returns the exit code.

        `timeout` bounds the wait (EngineTimeout when it passes); None waits as long as it takes.
        """
        data = await self._http.call_json(
            "POST",
            f"/containers/{container}/wait",
            params={"condition": condition},
            read_timeout=timeout,
            not_found=ContainerNotFound,
        )
        error = (data.get("Error") or {}).get("Message")
        if error:
            raise EngineError(
                f"host {self._http.label}: waiting for container {container} failed: {error}",
                host=self._http.name, url=self._http.endpoint.url, engine_message=error,
            )
        return int(data["StatusCode"])

    async def top(self, container: str, ps_args: str | None = None) -> dict[str, Any]:
        """The processes in a running container: {"Titles": [...], "Processes": [[...], ...]}."""
        return await self._http.call_json(
            "GET", f"/containers/{container}/top", params={"ps_args": ps_args}, not_found=ContainerNotFound
        )

    async def logs(
        self,
        container: str,
        *,
        follow: bool = False,
        tail: int | str = "all",
        timestamps: bool = False,
        since: Since | None = None,
        stdout: bool = True,
        stderr: bool = True,
    ) -> AsyncIterator[LogLine]:
        """A container's output, line by line, stdout and stderr told apart.

        With `follow` the iterator keeps going until the container stops (or the
        caller stops iterating). Containers with a TTY have only stdout. Errors
        (e.g. ContainerNotFound) are raised on the first iteration.
        """
        tty = bool((await self.inspect(container)).get("Config", {}).get("Tty"))
        params = {
            "follow": follow,
            "stdout": stdout,
            "stderr": stderr,
            "tail": tail,
            "timestamps": timestamps,
            "since": encode_time(since),
        }
        async with self._http.stream(
            "GET",
            f"/containers/{container}/logs",
            params=params,
            read_timeout=None if follow else ...,
            not_found=ContainerNotFound,
        ) as response:
            chunks = response.aiter_bytes()
            frames = raw_chunks(chunks) if tty else demux(chunks)
            async for line in log_lines(frames, timestamps=timestamps):
                yield line

    async def put_archive(self, container: str, path: str, data: bytes) -> None:
        """Unpack a tar archive into the directory `path` of the container (it must exist)."""
        await self._http.call(
            "PUT",
            f"/containers/{container}/archive",
            params={"path": path},
            content=data,
            headers={"Content-Type": "application/x-tar"},
            # 404 also means "no such path"; the engine's wording picks ContainerNotFound.
            not_found=NotFound,
        )

    async def get_archive(self, container: str, path: str) -> tuple[bytes, dict[str, Any]]:
        """A tar archive of `path` in the container, and the engine's stat of that path."""
        response = await self._http.call(
            "GET", f"/containers/{container}/archive", params={"path": path}, not_found=NotFound
        )
        return response.content, _path_stat(response.headers.get("X-Docker-Container-Path-Stat"))

    async def stat_path(self, container: str, path: str) -> dict[str, Any] | None:
        """The engine's stat of `path` in the container (name, size, mode, ...), None when it does not exist.

        `HEAD /containers/{id}/archive`: the same stat as get_archive, without the content.
        Raises ContainerNotFound when the container itself is gone.
        """
        try:
            response = await self._http.call(
                "HEAD", f"/containers/{container}/archive", params={"path": path}, not_found=NotFound
            )
        except ContainerNotFound:
            raise
        except NotFound:
            return None
        return _path_stat(response.headers.get("X-Docker-Container-Path-Stat"))


def _path_stat(header: str | None) -> dict[str, Any]:
    """The engine's X-Docker-Container-Path-Stat header: base64 of a JSON object ({} when unreadable)."""
    if not header:
        return {}
    try:
        return json.loads(base64.b64decode(header))
    except (ValueError, binascii.Error):
        return {}
