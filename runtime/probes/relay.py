"""httpGet and tcpSocket probes of a capsule whose address this machine cannot reach.

A capsule on a remote host lives on that host's networks; without a published port
(hostPort) this process cannot connect to it. When the capsule belongs to an
application, its namespace's Service proxies (runtime.services.proxy) run on the same
network of that host, and they hold `nc` and `wget`: the probe runs there, against the
capsule's address, through the engine's exec API, bounded by the probe's timeout. A
capsule of no application keeps the old answer (runtime.probes.run.probe_address: publish
the port, use an exec probe, or run `capsule watch` on that host).
"""

from __future__ import annotations

import re
import shlex

from runtime.engine.client import EngineClient
from runtime.labels import LABEL_MANAGED_BY, LABEL_NAMESPACE, LABEL_ROLE, MANAGED_BY, ROLE_SERVICE
from runtime.observe.observed import ObservedCapsule
from translate.spec import Probe

_STATUS = re.compile(r"HTTP/\d(?:\.\d)?\s+(\d{3})")
_KILLED_BY_TIMEOUT = (124, 143)  # busybox `timeout` ends a command with TERM: 143


async def relay_for(engine: EngineClient, capsule: ObservedCapsule) -> str | None:
    """A running Service proxy of the capsule's namespace on its host, or None."""
    metadata = capsule.spec.get("metadata") if isinstance(capsule.spec, dict) else None
    namespace = metadata.get("namespace") if isinstance(metadata, dict) else None
    if not isinstance(namespace, str) or not capsule.ip:
        return None
    entries = await engine.list_containers(all=False, filters={"label": [
        f"{LABEL_MANAGED_BY}={MANAGED_BY}", f"{LABEL_ROLE}={ROLE_SERVICE}", f"{LABEL_NAMESPACE}={namespace}"]})
    return str(entries[0]["Id"]) if entries else None


async def tcp_via(engine: EngineClient, relay: str, address: str, port: int, seconds: int) -> tuple[bool, str]:
    """Connect from the relay: refused or not answered in time is a failure; an open connection
    (nc then waits for the server, until `timeout` ends it) or one the server closed is a success."""
    what = f"tcp {address}:{port} (from the namespace's Service proxy)"
    command = ["timeout", str(seconds + 1), "nc", "-w", str(seconds), address, str(port)]
    result = await engine.exec_run(relay, ["sh", "-c", shlex.join(command) + " </dev/null"])
    if result.exit_code == 0 or result.exit_code in _KILLED_BY_TIMEOUT:
        return True, f"{what} accepted the connection"
    reason = (result.stderr or result.stdout or b"").decode(errors="replace").strip().splitlines()
    return False, f"{what}: {reason[-1] if reason else f'nc exited with code {result.exit_code}'}"


async def http_via(engine: EngineClient, relay: str, address: str, probe: Probe) -> tuple[bool, str]:
    """GET from the relay; 200-399 is a success, as Kubernetes counts it."""
    scheme = "https" if probe.http_scheme.upper() == "HTTPS" else "http"
    path = probe.http_path or "/"
    url = f"{scheme}://{address}:{probe.http_port}{path if path.startswith('/') else '/' + path}"
    command = ["timeout", str(max(probe.timeout_seconds, 1)), "wget", "-S", "-O", "/dev/null", "-U", "capsule-probe"]
    if scheme == "https":
        command.append("--no-check-certificate")  # as Kubernetes: certificates are not checked
    for name, value in probe.http_headers:
        command += ["--header", f"{name}: {value}"]
    command.append(url)
    result = await engine.exec_run(relay, command)
    said = (result.stderr or b"").decode(errors="replace") + (result.stdout or b"").decode(errors="replace")
    codes = _STATUS.findall(said)
    where = f"GET {url} (from the namespace's Service proxy)"
    if not codes:
        last = said.strip().splitlines()
        why = "no answer within the timeout" if result.exit_code in _KILLED_BY_TIMEOUT else (
            last[-1] if last else f"wget exited with code {result.exit_code}")
        return False, f"{where}: {why}"
    status = int(codes[0])  # the first answer: a redirect counts as it is, not where it leads
    ok = 200 <= status < 400
    return ok, f"{where} answered {status}" + ("" if ok else " (expected 200-399)")
