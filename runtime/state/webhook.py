"""Send capsule events to the user's webhook: one JSON POST per event, with httpx.

The URL comes from `CAPSULE_WEBHOOK_URL`, else `webhook_url` in config.yaml (in
`CAPSULE_HOME`, or the user's config folder). Each POST has a 3 s timeout and up to
3 attempts with a growing pause between them. A webhook that stays down costs a
warning on stderr (through `logging`) and nothing else: the operation that made
the event has already succeeded and the event is kept in the event log.

This module must not decide what goes into a payload (`runtime.state.events` does, and
keeps secrets out) and must never raise to its caller.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import os
from typing import Any
from urllib.parse import urlsplit

import httpx

from runtime.paths import config_file_path

log = logging.getLogger("capsule.webhook")

DEFAULT_TIMEOUT = 3.0
DEFAULT_ATTEMPTS = 3
DEFAULT_BACKOFF = 0.25  # seconds before the second attempt; doubled for each next one
# Answers worth trying again; any other 4xx means the request itself is wrong.
_RETRY_STATUSES = frozenset({408, 425, 429})


def configured_webhook_url() -> str | None:
    """The webhook URL the user configured, or None."""
    url = os.environ.get("CAPSULE_WEBHOOK_URL")
    if url:
        return url.strip() or None
    path = config_file_path()
    if not path.is_file():
        return None
    try:
        import yaml

        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except Exception as exc:  # OSError, UnicodeDecodeError, yaml.YAMLError: all mean "unusable"
        log.warning("capsule: ignoring %s: cannot read it (%s); fix the YAML to use its webhook_url", path, exc)
        return None
    value = data.get("webhook_url") if isinstance(data, dict) else None
    if value is not None and not isinstance(value, str):
        log.warning("capsule: %s: webhook_url must be a URL string; ignoring it", path)
        return None
    return value or None


def safe_url(url: str) -> str:
    """The URL without credentials or query, for messages (tokens often live there)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


def _is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class WebhookSender:
    """POSTs JSON payloads to one URL; `send` reports success and never raises."""

    def __init__(
        self,
        url: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        attempts: int = DEFAULT_ATTEMPTS,
        backoff: float = DEFAULT_BACKOFF,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.url = url
        self.timeout = timeout
        self.attempts = max(1, attempts)
        self.backoff = backoff
        self._transport = transport
        self._client: httpx.AsyncClient | None = None

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            # A proxy from the environment must not see traffic meant for this machine.
            self._client = httpx.AsyncClient(
                timeout=self.timeout, transport=self._transport, trust_env=not _is_loopback(self.url)
            )
        return self._client

    async def send(self, payload: dict[str, Any]) -> bool:
        problem = ""
        for attempt in range(self.attempts):
            if attempt:
                await asyncio.sleep(self.backoff * 2 ** (attempt - 1))
            try:
                response = await self._http().post(self.url, json=payload)
            except httpx.HTTPError as exc:
                problem = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                continue
            except Exception as exc:  # a bad URL and the like: retrying will not help
                problem = str(exc)
                break
            if response.status_code < 300:
                return True
            problem = f"it answered HTTP {response.status_code}"
            if 400 <= response.status_code < 500 and response.status_code not in _RETRY_STATUSES:
                break
        log.warning(
            "capsule: warning: webhook %s did not take the %s event (%s); the event is kept in the event log",
            safe_url(self.url), payload.get("kind", "?"), problem,
        )
        return False

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
