"""The stats call of the engine client: one reading of a container's resource use.

A mixin of `EngineClient` (runtime/engine/client.py). `one-shot=true` (API 1.41,
the oldest this client speaks) makes the engine answer with the first reading its
stats collector takes (it reads every container once a second: an answer comes
within a second), instead of waiting for a second one to fill `precpu_stats`:
with it those fields are empty, so a CPU figure takes two readings of the caller's
own (runtime/usage/). The answer is the engine's JSON.

It must not compute figures (runtime/usage/figures.py does) nor know capsules.
"""

from __future__ import annotations

from typing import Any

from runtime.engine.errors import ContainerNotFound
from runtime.engine.http import EngineHttp

STATS_READ_SECONDS = 5.0  # a one-shot answer is a few cgroup files read: seconds mean a host in trouble


class StatsCalls:
    _http: EngineHttp

    async def stats(self, container: str, *, read_timeout: float = STATS_READ_SECONDS) -> dict[str, Any]:
        """One reading of `container`'s CPU, memory, network and block I/O counters (one-shot).

        A container that is not running answers with zeros; ContainerNotFound when it is gone.
        """
        data = await self._http.call_json(
            "GET", f"/containers/{container}/stats", params={"stream": False, "one-shot": True},
            read_timeout=read_timeout, not_found=ContainerNotFound,
        )
        return data if isinstance(data, dict) else {}
