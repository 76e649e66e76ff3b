"""One gRPC health check: grpc.health.v1.Health/Check, as the kubelet's grpc probe asks it.

grpclib speaks the protocol (HTTP/2 in asyncio, on the caller's event loop, no threads)
and ships the health service's messages, so nothing here encodes protobuf by hand.
Only runtime.probes.run imports this module, and only when a gRPC probe runs: grpclib
and protobuf are paid for by capsules that have one. Like the kubelet, a gRPC
probe talks plaintext HTTP/2 to the port, or with `tls` (Kubernetes' `mode: TLS`) TLS
without checking the server's certificate. This module must not choose the address
(runtime.probes.run does) nor bound the time (run_probe's timeout does).
"""

from __future__ import annotations

import ssl

from grpclib.client import Channel
from grpclib.const import Status
from grpclib.exceptions import GRPCError, ProtocolError, StreamTerminatedError
from grpclib.health.v1.health_grpc import HealthStub
from grpclib.health.v1.health_pb2 import HealthCheckRequest, HealthCheckResponse

_SERVING = HealthCheckResponse.SERVING


async def health_check(address: str, port: int, service: str, seconds: float,
                       tls: bool = False) -> tuple[bool, str | None]:
    """(True, None) when the server answers SERVING; else (False, what came back).

    A connection that cannot be made raises the OSError (the caller words it, as for
    the other probes); a failed TLS handshake is a failure said here. `seconds` goes to
    the server as the call's deadline.
    """
    channel = Channel(address, port, ssl=_unchecked_tls() if tls else None)
    try:
        answer = await HealthStub(channel).Check(HealthCheckRequest(service=service), timeout=seconds)
    except GRPCError as exc:
        return False, _grpc_error(exc, service)
    except ssl.SSLError as exc:
        return False, f"TLS handshake failed ({exc.reason or exc}); does the server on this port speak TLS?"
    except (ProtocolError, StreamTerminatedError) as exc:
        expected = "a gRPC server with TLS" if tls else "a plaintext gRPC server"
        return False, f"not a gRPC answer ({type(exc).__name__}: {exc}); is this port {expected}?"
    finally:
        channel.close()
    if answer.status == _SERVING:
        return True, None
    return False, f"answered {HealthCheckResponse.ServingStatus.Name(answer.status)} (expected SERVING)"


def _unchecked_tls() -> ssl.SSLContext:
    # As the kubelet's mode TLS: encrypted, but any certificate will do (a probe has no CA to trust).
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.set_alpn_protocols(["h2"])
    return context


def _grpc_error(exc: GRPCError, service: str) -> str:
    if exc.status is Status.UNIMPLEMENTED:
        return "the server does not implement the gRPC health protocol (UNIMPLEMENTED)"
    if exc.status is Status.NOT_FOUND:
        return f"the server knows no service {service!r} (NOT_FOUND)"
    return f"failed with {exc.status.name}" + (f": {exc.message}" if exc.message else "")
