"""Hosts the user already configured for Docker, offered without copying them.

Two sources: the engine named by `DOCKER_HOST` (with `DOCKER_TLS_VERIFY` and
`DOCKER_CERT_PATH`, as the docker CLI reads them), and the user's docker contexts,
read with the docker package's context API (`docker.context.ContextAPI`, imported
lazily: it pulls in the docker package, which `capsule translate` never needs).

A host from these sources that capsule cannot or will not use (an ssh:// URL,
plain tcp to another machine) is still offered, with `refused` saying why, so that
`capsule hosts list` explains it instead of silently dropping it.

This module must not write anything, neither docker's files nor capsule's.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runtime.hosts.settings import LOCAL_HOST_NAME, HostSettings
from runtime.hosts.url_policy import settings_problem

_NOT_DNS = re.compile(r"[^a-z0-9-]+")


@dataclass(frozen=True)
class OfferedHost:
    """A host as `capsule hosts list` shows it: where it comes from, and whether it is usable."""

    settings: HostSettings
    source: str  # "inventory", "local engine", "DOCKER_HOST", "docker context NAME"
    refused: str | None = None  # why it is listed but never used


def _refusal(settings: HostSettings) -> str | None:
    problem = settings_problem(settings)
    if problem is None:
        return None
    return (f"{problem.message} ({problem.hint}; to use it anyway: "
            f"capsule hosts add NAME {settings.url} --insecure)"
            if "insecure" in problem.hint else f"{problem.message} ({problem.hint})")


def docker_host(environ: Mapping[str, str]) -> OfferedHost | None:
    """The engine DOCKER_HOST names, as the docker CLI would reach it."""
    url = environ.get("DOCKER_HOST")
    if not url:
        return None
    tls: dict[str, str] = {}
    if environ.get("DOCKER_TLS_VERIFY") not in (None, "", "0"):
        folder = Path(environ.get("DOCKER_CERT_PATH") or Path.home() / ".docker")
        tls = {"tls_ca": str(folder / "ca.pem"), "tls_cert": str(folder / "cert.pem"),
               "tls_key": str(folder / "key.pem")}
    settings = HostSettings(LOCAL_HOST_NAME, url, **tls)
    return OfferedHost(settings, "DOCKER_HOST", _refusal(settings))


def context_host_name(context: str) -> str:
    """A docker context name as a host name (a DNS-1123 label)."""
    name = _NOT_DNS.sub("-", context.lower()).strip("-")[:63].strip("-")
    return name or "context"


def _docker_config_dir() -> Path:
    return Path(os.environ.get("DOCKER_CONFIG") or Path.home() / ".docker")


def _load_contexts() -> list[Any]:
    """docker.context.Context objects for the user's contexts, "default" left out."""
    folder = _docker_config_dir()
    meta_dir = folder / "contexts" / "meta"
    if not meta_dir.is_dir():
        return []  # no contexts: skip importing the docker package (~0.3 s)
    from docker.context import Context, ContextAPI
    from docker.utils.config import find_config_file

    if find_config_file() is not None and Path(find_config_file()).parent == folder:
        contexts = ContextAPI.contexts()
    else:
        # The docker package finds contexts beside config.json, and without one it
        # looks in the current folder; `docker context create` writes no config.json,
        # so read the same meta files through the same Context class ourselves.
        contexts = []
        for meta_file in sorted(meta_dir.glob("*/meta.json")):
            meta = json.loads(meta_file.read_text())
            context = Context(meta["Name"], orchestrator=meta.get("Metadata", {}).get("StackOrchestrator"),
                              endpoints=meta.get("Endpoints"))
            tls = folder / "contexts" / "tls" / meta_file.parent.name / "docker"
            context.tls_cfg = _tls_files(tls)
            contexts.append(context)
    return sorted((c for c in contexts if c is not None and c.name != "default"), key=lambda c: c.name)


def _tls_files(folder: Path) -> dict[str, Any]:
    if not folder.is_dir():
        return {}
    from docker.tls import TLSConfig

    files = {f.name.split(".")[0]: str(f) for f in folder.iterdir()}
    if not all(k in files for k in ("ca", "cert", "key")):
        return {}
    return {"docker": TLSConfig(client_cert=(files["cert"], files["key"]), ca_cert=files["ca"])}


def context_hosts(environ: Mapping[str, str] | None = None) -> list[OfferedHost]:
    """One offered host per docker context (environ is unused: docker reads os.environ)."""
    try:
        contexts = _load_contexts()
    except Exception as exc:  # a broken context file must not break every command
        folder = _docker_config_dir() / "contexts"
        broken = HostSettings("docker-contexts", f"file://{folder}")
        return [OfferedHost(broken, "docker contexts", f"cannot read docker contexts in {folder}: {exc}")]
    offered = []
    for context in contexts:
        url = context.Host or ""
        tls = context.TLSConfig
        cert, key = (tls.cert if tls is not None and tls.cert else (None, None))
        settings = HostSettings(context_host_name(context.name), url,
                                tls_ca=tls.ca_cert if tls is not None else None,
                                tls_cert=cert, tls_key=key)
        source = f"docker context {context.name}"
        offered.append(OfferedHost(settings, source, _refusal(settings)))
    return offered
