"""The typed errors of the Docker Engine client.

Everything the engine client raises is an `EngineError`. Each error names the host
(the inventory name and its URL) and, where the engine answered, carries the
engine's own message verbatim (`engine_message`), because that message is usually
the only thing that tells the user what really went wrong ("port is already
allocated", "No such image: foo:1"). `str(error)` is written for people: what
happened, on which host, and what to do about it.

This module must not import httpx or know about HTTP status codes: mapping
transport failures and responses onto these classes is `engine_http`'s job, so
nothing above the client ever has to look at HTTP details.
"""

from __future__ import annotations

import asyncio
import os


class EngineError(Exception):
    """Base of every error raised by the engine client.

    `host` is the host's inventory name, `url` its engine URL, `engine_message`
    the message the engine itself returned (None when it never answered).
    """

    def __init__(
        self,
        message: str,
        *,
        host: str = "",
        url: str = "",
        engine_message: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.host = host
        self.url = url
        self.engine_message = engine_message

    def __str__(self) -> str:
        return self.message


class HostConfigError(EngineError):
    """The host's URL or TLS settings are unusable (bad scheme, unreadable certificate)."""


class HostUnreachable(EngineError):
    """The engine could not be reached: connection refused, socket missing, connect timeout."""


class HostTlsError(HostUnreachable):
    """The TLS handshake with the engine failed (untrusted server, client certificate refused)."""


class SshRefused(HostUnreachable):
    """An ssh:// host's SSH server refused our keys, or we refused its host key: retrying will not help."""


class ConnectionLost(HostUnreachable):
    """The connection broke while a call was under way, so its outcome is unknown."""


class EngineTimeout(EngineError):
    """The engine accepted the connection but did not answer within the read timeout."""


class ApiVersionTooOld(EngineError):
    """The engine speaks an Engine API older than the oldest one capsule supports."""


class EngineRequestError(EngineError):
    """The engine refused the request as invalid (a 4xx answer without a more specific class)."""


class NotFound(EngineRequestError):
    """The object the call names does not exist on the host."""


class ContainerNotFound(NotFound):
    """No container with that id or name on the host."""


class ImageNotFound(NotFound):
    """The image is neither on the host nor available from its registry."""


class VolumeNotFound(NotFound):
    """No volume with that name on the host."""


class NetworkNotFound(NotFound):
    """No network with that id or name on the host."""


class Conflict(EngineRequestError):
    """The call conflicts with the host's state: a name in use, a container not running."""


class EngineServerError(EngineError):
    """The engine failed to carry out the call (a 5xx answer), e.g. a port already allocated."""


class ImagePullError(EngineError):
    """Pulling an image failed for a reason other than the image not existing."""


def host_label(host: str, url: str) -> str:
    """How errors name a host: `'local' (unix:///var/run/docker.sock)`."""
    if host and url:
        return f"{host!r} ({url})"
    return repr(host) if host else url or "the Docker host"


def short_error(exc: BaseException) -> str:
    """A host failure in a few words ("connection refused"), for status reasons.

    Any exception: the engine client's, a timeout of the caller's own, or an OSError
    from below (its errno's words, not asyncio's wording).
    """
    if isinstance(exc, (asyncio.TimeoutError, TimeoutError)):
        return "no answer in time"
    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None:
            break
        if isinstance(seen, OSError) and seen.errno:
            return os.strerror(seen.errno).lower()
        seen = seen.__cause__ or seen.__context__
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."
