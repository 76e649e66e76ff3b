"""Volume and network calls of the engine client.

A mixin of `EngineClient`. Volumes and networks are created, listed and removed here
(capsule makes a network per namespace for the Services of an application).
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

    async def create_network(self, name: str, *, driver: str = "bridge", attachable: bool = False,
                             labels: Mapping[str, str] | None = None) -> str:
        """Create a network and return its id; a name already taken gives Conflict.

        CheckDuplicate: engines before API 1.44 would otherwise make a second network of
        the same name, and every later use of the name would be ambiguous.
        """
        body = {"Name": name, "Driver": driver, "Attachable": attachable, "CheckDuplicate": True,
                "Labels": dict(labels or {})}
        data = await self._http.call_json("POST", "/networks/create", json_body=body)
        return str((data or {}).get("Id", ""))

    async def remove_network(self, network: str) -> None:
        """Remove a network; one that containers still use gives Conflict."""
        await self._http.call("DELETE", f"/networks/{network}", not_found=NetworkNotFound)
