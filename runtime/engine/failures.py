"""Turning a failed engine call into the right EngineError, with a message that says what to do.

Two kinds of failure: the engine never answered (refused, no socket, TLS
refused, timed out, connection broken), and the engine answered with an error
status and its own message. The engine's message is kept verbatim in
`engine_message` and quoted in the error's text.

Only engine_http calls this; it is the one other place that knows HTTP status
codes and httpx/httpcore exceptions. It must not make calls itself.
"""

from __future__ import annotations

import json
import os
import ssl

import httpcore
import httpx

from runtime.engine.errors import (
    Conflict,
    ConnectionLost,
    ContainerNotFound,
    EngineError,
    EngineRequestError,
    EngineServerError,
    EngineTimeout,
    HostTlsError,
    HostUnreachable,
    ImageNotFound,
    NetworkNotFound,
    NotFound,
    VolumeNotFound,
    host_label,
)

# The engine's own wording decides the NotFound class where it is unambiguous:
# creating a container from a missing image answers 404 on a /containers path.
_NOT_FOUND_BY_MESSAGE: tuple[tuple[str, type[NotFound]], ...] = (
    ("no such image", ImageNotFound),
    ("no such container", ContainerNotFound),
    ("no such volume", VolumeNotFound),
    ("network", NetworkNotFound),
)

_HINTS: dict[type[EngineError], str] = {
    NotFound: "Check the name; it may have been removed outside capsule.",
    ContainerNotFound: "It may have been removed outside capsule; list the host's containers to check.",
    ImageNotFound: "Check the image name and tag, or make the image available on that host.",
    VolumeNotFound: "It may have been removed outside capsule; list the host's volumes to check.",
    NetworkNotFound: "Create the network on that host first, or choose one that exists there.",
    EngineRequestError: "The engine rejected the request; if the message points at a setting, fix it.",
}


def transport_failure(exc: Exception, *, name: str, url: str, connect_timeout: float) -> EngineError:
    """The EngineError for a failure below HTTP (no answer from the engine).

    Takes httpx errors, and the httpcore/OS errors that reads and writes on an
    upgraded (hijacked) connection raise, since those bypass httpx.
    """
    label = host_label(name, url)

    def error(cls: type[EngineError], message: str) -> EngineError:
        return cls(message, host=name, url=url)

    detail = _detail(exc)
    if _caused_by_tls(exc):
        return error(
            HostTlsError,
            f"TLS with host {label} failed: {detail}. Check that the CA matches the engine's "
            f"certificate and that the client certificate and key are the ones the engine trusts.",
        )
    if isinstance(exc, httpx.ConnectTimeout):
        return error(
            HostUnreachable,
            f"host {label} did not accept a connection within {connect_timeout:g} s. "
            f"Check that the machine is up and reachable and that its engine listens on that address.",
        )
    if isinstance(exc, httpx.ConnectError):
        return error(
            HostUnreachable,
            f"cannot connect to host {label}: {detail}. Check that Docker Engine runs there "
            f"and that the URL (socket path or address and port) is right.",
        )
    if isinstance(exc, httpx.PoolTimeout):
        return error(
            EngineTimeout,
            f"every connection to host {label} stayed busy; too many calls at once. Retry later.",
        )
    if isinstance(exc, (httpx.TimeoutException, httpcore.TimeoutException, TimeoutError)):
        return error(
            EngineTimeout,
            f"host {label} accepted the connection but did not answer in time. The engine may be "
            f"overloaded or hung; retry, or raise the read timeout for slow hosts.",
        )
    if isinstance(exc, (httpx.NetworkError, httpx.RemoteProtocolError, httpcore.NetworkError, OSError)):
        return error(
            ConnectionLost,
            f"the connection to host {label} broke during the call ({detail}); its outcome is "
            f"unknown. Check the host, then look at its state before retrying.",
        )
    return error(EngineError, f"call to host {label} failed: {detail}.")


def answer_failure(status: int, body: bytes, not_found: type[NotFound], *, name: str, url: str) -> EngineError:
    """The EngineError for an answer the engine gave with a failure status."""
    label = host_label(name, url)
    engine_message = _engine_message(body) or f"HTTP status {status} without a message"
    lowered = engine_message.lower()
    cls: type[EngineError]
    if status == 404:
        cls = not_found
        for needle, by_message in _NOT_FOUND_BY_MESSAGE:
            if needle in lowered and (needle != "network" or "not found" in lowered):
                cls = by_message
                break
    elif status == 409 or (status == 400 and "is in use by" in lowered):
        # A swarm manager refuses to remove a network still attached to a task (a container
        # on some host of the swarm) with 400 FailedPrecondition; a bridge's refusal is 409.
        # Both mean the same to a caller: in use, try again once it is not.
        cls = Conflict
    elif 400 <= status < 500:
        cls = EngineRequestError
    else:
        cls = EngineServerError
    message = f"host {label}: {engine_message}"
    hint = _HINTS.get(cls, "")
    if "port is already allocated" in lowered or "address already in use" in lowered:
        hint = "Another container or program holds that host port; choose another hostPort or free it."
    if hint:
        message = f"{message}. {hint}" if not message.endswith(".") else f"{message} {hint}"
    return cls(message, host=name, url=url, engine_message=engine_message)


def _engine_message(body: bytes) -> str:
    text = body.decode("utf-8", errors="replace").strip()
    try:
        data = json.loads(text)
    except ValueError:
        return text
    if isinstance(data, dict) and isinstance(data.get("message"), str):
        return data["message"].strip()
    return text


def _detail(exc: BaseException) -> str:
    """The most specific reason in the exception chain ("Connection refused", not "All attempts failed")."""
    best = str(exc) or type(exc).__name__
    seen: BaseException | None = exc
    for _ in range(8):  # the chain is short; the bound only guards against cycles
        if seen is None:
            break
        if isinstance(seen, ssl.SSLCertVerificationError):
            return f"the engine's certificate is not trusted ({getattr(seen, 'verify_message', None) or seen})"
        if isinstance(seen, ssl.SSLError):
            return seen.reason or str(seen)  # its errno is OpenSSL's, not the OS's
        if isinstance(seen, OSError) and seen.errno is not None and seen.strerror:
            best = os.strerror(seen.errno)
        seen = seen.__cause__ or seen.__context__
    return best


def _caused_by_tls(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    for _ in range(8):  # the chain is short; the bound only guards against cycles
        if seen is None:
            return False
        if isinstance(seen, ssl.SSLError) or "SSL" in type(seen).__name__:
            return True
        seen = seen.__cause__ or seen.__context__
    return False
