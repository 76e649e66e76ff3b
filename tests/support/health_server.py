"""A real gRPC health server where a capsule member's would be: in the capsule's network namespace.

The offline images (busybox, pause) have no gRPC server, and busybox speaks no HTTP/2.
So the server is this machine's Python running Google's reference implementation of
the health service (grpcio's `grpc_health.v1.health.HealthServicer`, the one real
Python services register), started with `nsenter --net=/proc/<sandbox pid>/ns/net`.
Members join the sandbox's network namespace, so the server listens on the very
address and port a member's server would: the capsule's IP on its bridge, reached by
the probe from outside as any member's port is. What differs from a member (its mount
and pid namespaces) is invisible to a network probe. The test sets each service's
status through the server's standard input; the server says `listening`, then `set`
after each change, so the test never probes before the server has what it was told.

Run as a script it is the server itself: `health_server.py PORT`, then lines
`SERVICE STATUS` on standard input (`-` for the server's overall health ""); with
`--without-health`, a gRPC server that has no health service at all; with `--tls CERT
KEY`, serving TLS only, with that certificate (`self_signed` makes one).
Must not: listen anywhere but in the namespace it is started in, or outlive its test.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any


class HealthServer:
    """The server in the network namespace of the process `pid` (the capsule's sandbox)."""

    def __init__(self, pid: int, port: int, statuses: dict[str, str], *, health: bool = True,
                 tls: tuple[Path, Path] | None = None) -> None:
        command = ["nsenter", f"--net=/proc/{pid}/ns/net", "--", sys.executable, str(Path(__file__)), str(port)]
        command += [] if health else ["--without-health"]
        command += ["--tls", str(tls[0]), str(tls[1])] if tls else []
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self._expect("listening")
        for service, status in statuses.items():
            self.set(service, status)

    def set(self, service: str, status: str) -> None:
        """SERVING, NOT_SERVING, ... for `service` ("" is the server's overall health), once the server has it."""
        assert self.process.stdin is not None
        self.process.stdin.write(f"{service or '-'} {status}\n")
        self.process.stdin.flush()
        self._expect("set")

    def _expect(self, word: str) -> None:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if line.strip() != word:
            self.stop()
            raise RuntimeError(f"the gRPC health server said {line!r}, not {word!r}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> HealthServer:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def sandbox_pid(client: Any, capsule: str) -> int:
    """The pid of the capsule's sandbox (the container named like the capsule), for nsenter."""
    return int(client.containers.get(capsule).attrs["State"]["Pid"])


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate and its key for a TLS server, made with the openssl CLI; nobody's CA signed it."""
    cert, key = folder / "server.crt", folder / "server.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                    "/CN=capsule-probe-test", "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert, key


def _serve(port: int, health_service: bool, tls: tuple[str, str] | None) -> None:
    from concurrent import futures

    import grpc
    from grpc_health.v1 import health, health_pb2, health_pb2_grpc

    servicer = health.HealthServicer()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    if health_service:
        health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
    if tls:
        pair = (Path(tls[1]).read_bytes(), Path(tls[0]).read_bytes())  # (key, certificate)
        server.add_secure_port(f"0.0.0.0:{port}", grpc.ssl_server_credentials([pair]))
    else:
        server.add_insecure_port(f"0.0.0.0:{port}")
    server.start()
    print("listening", flush=True)
    for line in sys.stdin:  # until the test closes our standard input or ends us
        service, status = line.split()
        servicer.set("" if service == "-" else service, health_pb2.HealthCheckResponse.ServingStatus.Value(status))
        print("set", flush=True)
    server.stop(0)


if __name__ == "__main__":
    tls_files = sys.argv[sys.argv.index("--tls") + 1:][:2] if "--tls" in sys.argv else None
    _serve(int(sys.argv[1]), "--without-health" not in sys.argv, (tls_files[0], tls_files[1]) if tls_files else None)
