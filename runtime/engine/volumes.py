"""Volume and network calls of the engine client.

A mixin of `EngineClient`. Volumes are created, listed and removed here; networks
are only read (capsule joins existing networks, it does not manage them).
It must not decide volume names or labels (the capsule runtime does).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from runtime.engine.containers import Filters, encode_filters
from runtime.engine.errors import NetworkNotFound, VolumeNotFound
from runtime.engine.http import EngineHttp


class VolumeCalls:
    _http: EngineHttp

    async def create_volume(
        self,
        name: str,
        driver: str = "local",
        driver_opts: Mapping[str, str] | None = None,
        labels: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """Create a named volume and return its details.

        The engine returns the existing volume when the name is taken, so callers
        that must not share one check its labels.
        """
        body = {"Name": name, "Driver": driver, "DriverOpts": dict(driver_opts or {}), "Labels": dict(labels or {})}
        return await self._http.call_json("POST", "/volumes/create", json_body=body)

    async def inspect_volume(self, name: str) -> dict[str, Any]:
        return await self._http.call_json("GET", f"/volumes/{name}", not_found=VolumeNotFound)

    async def list_volumes(self, filters: Filters | None = None) -> list[dict[str, Any]]:
        """Volumes on the host; `filters` like {"label": ["capsule.name=web"]}."""
        data = await self._http.call_json("GET", "/volumes", params={"filters": encode_filters(filters)})
        return list((data or {}).get("Volumes") or [])

    async def remove_volume(self, name: str, force: bool = False) -> None:
        """Remove a volume; one still used by a container gives Conflict."""
        await self._http.call("DELETE", f"/volumes/{name}", params={"force": force}, not_found=VolumeNotFound)


class NetworkCalls:
    _http: EngineHttp

    async def inspect_network(self, network: str) -> dict[str, Any]:
        return await self._http.call_json("GET", f"/networks/{network}", not_found=NetworkNotFound)

    async def list_networks(self, filters: Filters | None = None) -> list[dict[str, Any]]:
        data = await self._http.call_json("GET", "/networks", params={"filters": encode_filters(filters)})
        return list(data or [])
