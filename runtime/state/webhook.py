"""Send capsule events to the user's webhook: one JSON POST per event, with httpx.

The URL comes from `CAPSULE_WEBHOOK_URL`, else `webhook_url` in config.yaml (in
`CAPSULE_HOME`, or the user's config folder). Each POST has a 3 s timeout and up to
3 attempts with a growing pause between them. A webhook that stays down costs a
warning on stderr (through `logging`) and nothing else: the operation that made
the event has already succeeded and the event is kept in the event log.

The URL policy (`url_problem`, with runtime/hosts/address_rules.py, the rules the
engine URLs follow too): only http:// and https://; never a link-local or cloud
metadata address (169.254.0.0/16, fe80::/10, fd00:ec2::254, metadata.google.internal,
...), whose answers can hold the machine's cloud credentials. Literal addresses and
known names only: no name is resolved. A refused URL is a warning, like every webhook
problem, and no request is ever made to it. Plain http to anything but a loopback
address is sent, with one warning (the events cross the network readable). Messages
show a URL as scheme://host:port/path only: no credentials, no query.

This module must not decide what goes into a payload (`runtime.state.events` does, and
keeps secrets out) and must never raise to its caller.
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any
from urllib.parse import urlsplit

import httpx

from runtime.hosts.address_rules import is_link_local_or_metadata, is_loopback
from runtime.paths import config_file_path

log = logging.getLogger("capsule.webhook")

DEFAULT_TIMEOUT = 3.0
DEFAULT_ATTEMPTS = 3
DEFAULT_BACKOFF = 0.25  # seconds before the second attempt; doubled for each next one
# Answers worth trying again; any other 4xx means the request itself is wrong.
_RETRY_STATUSES = frozenset({408, 425, 429})


def configured_webhook_url() -> str | None:
    """The webhook URL the user configured, or None."""
    return _configured()[0]


def _configured() -> tuple[str | None, str]:
    """The configured URL and where it is set (for messages: what to change)."""
    url = os.environ.get("CAPSULE_WEBHOOK_URL")
    if url:
        return url.strip() or None, "CAPSULE_WEBHOOK_URL"
    path = config_file_path()
    where = f"webhook_url in {path}"
    if not path.is_file():
        return None, where
    try:
        import yaml

        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except Exception as exc:  # OSError, UnicodeDecodeError, yaml.YAMLError: all mean "unusable"
        log.warning("capsule: ignoring %s: cannot read it (%s); fix the YAML to use its webhook_url", path, exc)
        return None, where
    value = data.get("webhook_url") if isinstance(data, dict) else None
    if value is not None and not isinstance(value, str):
        log.warning("capsule: %s: webhook_url must be a URL string; ignoring it", path)
        return None, where
    return value or None, where


def configured_sender() -> WebhookSender | None:
    """A sender for the configured webhook; None when there is none or the policy refuses it (a warning)."""
    url, where = _configured()
    if url is None:
        return None
    sender = WebhookSender(url, where=where)
    if sender.refused is not None:
        sender.say_refused()
        return None
    if plain_http_to_another_machine(url):
        log.warning(
            "capsule: warning: webhook %s is plain http: events cross the network unencrypted, readable and "
            "changeable on the way; use https:// (plain http is fine only to a loopback address)", safe_url(url),
        )
    return sender


def url_problem(url: str) -> str | None:
    """Why events are never sent to this URL, or None when the policy accepts it."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return "it is not an http:// or https:// URL"
    if not parts.hostname:
        return "it names no host"
    try:
        parts.port  # noqa: B018 - read for its check
    except ValueError:
        return "its port is not a number from 0 to 65535"
    if is_link_local_or_metadata(parts.hostname):
        return (f"{parts.hostname} is a link-local or cloud metadata address, whose answers can hold this "
                f"machine's cloud credentials")
    return None


def plain_http_to_another_machine(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme.lower() == "http" and not is_loopback(parts.hostname or "")


def safe_url(url: str) -> str:
    """The URL as scheme://host:port/path, for messages: no credentials, no query (tokens often live there)."""
    parts = urlsplit(url)
    if not parts.netloc:
        return f"{parts.scheme}:{parts.path}" if parts.scheme else parts.path
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = f":{parts.port}" if parts.port is not None else ""
    except ValueError:
        port = ":?"
    return f"{parts.scheme}://{host}{port}{parts.path}"


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
        where: str = "",
    ) -> None:
        self.url = url
        self.where = where  # where the URL is set, for messages ("CAPSULE_WEBHOOK_URL")
        self.refused = url_problem(url)  # set: nothing is ever sent
        self._said_refused = False
        self.timeout = timeout
        self.attempts = max(1, attempts)
        self.backoff = backoff
        self._transport = transport
        self._client: httpx.AsyncClient | None = None

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            # A proxy from the environment must not see traffic meant for this machine. No redirects:
            # a receiver must not send the events (or us) on to an address the policy refuses.
            self._client = httpx.AsyncClient(
                timeout=self.timeout, transport=self._transport, follow_redirects=False,
                trust_env=not is_loopback(urlsplit(self.url).hostname or ""),
            )
        return self._client

    def say_refused(self) -> None:
        """The policy's refusal as a warning, once per sender."""
        if self.refused is None or self._said_refused:
            return
        self._said_refused = True
        fix = f"set {self.where} to" if self.where else "give"
        log.warning("capsule: warning: webhook %s is refused and gets no events: %s; %s your receiver's "
                    "https:// URL", safe_url(self.url), self.refused, fix)

    async def send(self, payload: dict[str, Any]) -> bool:
        if self.refused is not None:
            self.say_refused()
            return False
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
