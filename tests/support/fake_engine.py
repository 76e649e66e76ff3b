"""An in-process fake Docker engine, plugged under the real client as an httpx transport.

It serves the few read-only calls that host facts need (`/_ping`, `/version`,
`/info`, `/containers/json` with label filters, `/containers/{id}/json`) and can be
told to misbehave: answer slowly, refuse connections, let the connect time out,
hang, answer garbage, or fail /info with a 500.

It exists for two things only: the 100-host scheduler benchmark (100 real engines
do not fit on one machine) and error paths a real engine cannot produce on demand.
Everything else is tested against real engines; do not grow this into a Docker
emulator, and never use it where a real engine can answer.
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid as uuidlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from runtime.labels import (
    LABEL_MANAGED_BY,
    LABEL_NAME,
    LABEL_ROLE,
    LABEL_SPEC,
    LABEL_UUID,
    MANAGED_BY,
    ROLE_SANDBOX,
)

GiB = 1024**3
_VERSIONED = re.compile(r"^/v\d+\.\d+(/.*)$")
BEHAVIOURS = ("ok", "refuse", "connect-timeout", "hang", "garbage", "info-500")


@dataclass
class FakeContainer:
    name: str
    labels: dict[str, str] = field(default_factory=dict)
    state: str = "running"
    image: str = "registry.k8s.io/pause:3.10"
    # (public port, private port, "tcp" | "udp") published on the host.
    ports: list[tuple[int, int, str]] = field(default_factory=list)
    id: str = field(default_factory=lambda: uuidlib.uuid4().hex * 2)

    def list_entry(self) -> dict[str, Any]:
        return {
            "Id": self.id, "Names": [f"/{self.name}"], "Image": self.image, "State": self.state,
            "Status": self.state, "Labels": dict(self.labels),
            "Ports": [{"IP": "0.0.0.0", "PublicPort": pub, "PrivatePort": priv, "Type": proto}
                      for pub, priv, proto in self.ports],
        }

    def inspect(self) -> dict[str, Any]:
        return {
            "Id": self.id, "Name": f"/{self.name}",
            "Config": {"Image": self.image, "Labels": dict(self.labels)},
            "State": {"Status": self.state, "Running": self.state == "running", "ExitCode": 0},
            "HostConfig": {"RestartPolicy": {"Name": "no"}},
            "RestartCount": 0,
        }


def capsule_sandbox(name: str, spec: Mapping[str, Any], *, state: str = "running",
                    ports: Sequence[tuple[int, int, str]] = ()) -> FakeContainer:
    """A sandbox carrying capsule labels the way the runtime sets them."""
    labels = {
        LABEL_MANAGED_BY: MANAGED_BY, LABEL_NAME: name, LABEL_UUID: str(uuidlib.uuid4()),
        LABEL_ROLE: ROLE_SANDBOX, LABEL_SPEC: json.dumps(dict(spec)),
    }
    return FakeContainer(name, labels, state, ports=list(ports))


class FakeEngine(httpx.AsyncBaseTransport):
    """One fake host. `latency` delays every answer; `behaviour` is one of BEHAVIOURS."""

    def __init__(
        self,
        *,
        ncpu: int = 4,
        mem_total: int = 8 * GiB,
        version: str = "24.0.7",
        api_version: str = "1.43",
        containers: Sequence[FakeContainer] = (),
        latency: float = 0.0,
        behaviour: str = "ok",
    ) -> None:
        if behaviour not in BEHAVIOURS:
            raise ValueError(f"unknown behaviour {behaviour!r}; one of {', '.join(BEHAVIOURS)}")
        self.ncpu = ncpu
        self.mem_total = mem_total
        self.version = version
        self.api_version = api_version
        self.containers = list(containers)
        self.latency = latency
        self.behaviour = behaviour
        self.requests: list[str] = []  # "GET /info", for tests that check what was asked

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(f"{request.method} {request.url.path}")
        timeouts = request.extensions.get("timeout") or {}
        if self.behaviour == "refuse":
            raise httpx.ConnectError("[Errno 111] Connection refused", request=request)
        if self.behaviour == "connect-timeout":
            # What a host behind a cut link does: no answer until the connect timeout.
            await asyncio.sleep(timeouts.get("connect") or 0)
            raise httpx.ConnectTimeout("timed out", request=request)
        if self.behaviour == "hang":
            await asyncio.Event().wait()  # until cancelled
        if self.latency:
            await asyncio.sleep(self.latency)
        if self.behaviour == "garbage":
            return httpx.Response(200, content=b"\x00\xffnot an engine", request=request)
        return self._route(request)

    # -- the API ----------------------------------------------------------------

    def _route(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        match = _VERSIONED.match(path)
        if match:
            path = match.group(1)
        if request.method != "GET":
            return _json(request, 501, {"message": f"the fake engine does not serve {request.method} {path}"})
        if path == "/_ping":
            return httpx.Response(200, text="OK", request=request)
        if path == "/version":
            return _json(request, 200, {"Version": self.version, "ApiVersion": self.api_version,
                                        "MinAPIVersion": "1.12", "Os": "linux", "Arch": "amd64"})
        if path == "/info":
            if self.behaviour == "info-500":
                return _json(request, 500, {"message": "fake engine: info failed on purpose"})
            return _json(request, 200, {"NCPU": self.ncpu, "MemTotal": self.mem_total,
                                        "ServerVersion": self.version,
                                        "Containers": len(self.containers)})
        if path == "/containers/json":
            return _json(request, 200, self._list(request))
        if path.startswith("/containers/") and path.endswith("/json"):
            key = path[len("/containers/"):-len("/json")]
            for container in self.containers:
                if key in (container.id, container.name) or container.id.startswith(key):
                    return _json(request, 200, container.inspect())
            return _json(request, 404, {"message": f"No such container: {key}"})
        return _json(request, 404, {"message": f"page not found: {path}"})

    def _list(self, request: httpx.Request) -> list[dict[str, Any]]:
        show_all = request.url.params.get("all") in ("1", "true", "True")
        filters = json.loads(request.url.params.get("filters") or "{}")
        wanted = filters.get("label") or []
        found = []
        for container in self.containers:
            if not show_all and container.state != "running":
                continue
            if all(_label_matches(container.labels, w) for w in wanted):
                found.append(container.list_entry())
        return found


def _label_matches(labels: Mapping[str, str], wanted: str) -> bool:
    key, sep, value = wanted.partition("=")
    return key in labels and (not sep or labels[key] == value)


def _json(request: httpx.Request, status: int, body: Any) -> httpx.Response:
    return httpx.Response(status, content=json.dumps(body).encode(), request=request,
                          headers={"Content-Type": "application/json"})
