"""A tiny container registry (Registry HTTP API v2) on 127.0.0.1, for pull tests.

No registry can be reached from the test machines, yet pulls must be tested
through a real engine: the engine treats 127.0.0.0/8 registries as plain-HTTP
("insecure") ones, so this in-process server is pulled from like any registry.

It serves one real image (`capsule-test/tiny:1`: a single file and a label), one
broken image (`capsule-test/broken:1`, whose layer is missing, so the engine
fails in the middle of its streamed answer), and "manifest unknown" for anything
else. With a username and password it demands HTTP basic auth, and it records
every Authorization header it saw so tests can check what the engine sent.

Must not: listen on anything but 127.0.0.1, or serve past `stop()`.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MANIFEST_TYPE = "application/vnd.docker.distribution.manifest.v2+json"


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _tiny_layer() -> tuple[bytes, bytes]:
    """(gzipped layer, uncompressed tar) holding /hello.txt."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        data = b"hello from the fake registry\n"
        info = tarfile.TarInfo("hello.txt")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    tar_bytes = raw.getvalue()
    return gzip.compress(tar_bytes, mtime=0), tar_bytes


class FakeRegistry:
    """Start with `with FakeRegistry(labels=...) as registry:`; `registry.address` is host:port."""

    def __init__(self, *, labels: dict[str, str] | None = None, username: str | None = None,
                 password: str | None = None) -> None:
        self.authorizations: list[str | None] = []
        self.blobs: dict[str, bytes] = {}
        self.manifests: dict[str, bytes] = {}
        self._expected_auth = None
        if username is not None:
            import base64

            token = base64.b64encode(f"{username}:{password}".encode()).decode()
            self._expected_auth = f"Basic {token}"
        layer_gz, layer_tar = _tiny_layer()
        self._add_image("capsule-test/tiny", "1", layer_gz, _digest(layer_tar), labels or {}, store_layer=True)
        self._add_image("capsule-test/broken", "1", layer_gz, _digest(layer_tar), labels or {}, store_layer=False)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> FakeRegistry:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _add_image(self, name: str, tag: str, layer_gz: bytes, diff_id: str, labels: dict[str, str],
                   store_layer: bool) -> None:
        config = json.dumps({
            "architecture": "amd64",
            "os": "linux",
            "config": {"Cmd": ["/hello.txt"], "Labels": labels},
            "rootfs": {"type": "layers", "diff_ids": [diff_id]},
        }).encode()
        layer_digest = _digest(layer_gz)
        manifest = json.dumps({
            "schemaVersion": 2,
            "mediaType": MANIFEST_TYPE,
            "config": {"mediaType": "application/vnd.docker.container.image.v1+json",
                       "size": len(config), "digest": _digest(config)},
            "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                        "size": len(layer_gz), "digest": layer_digest}],
        }).encode()
        self.blobs[f"{name}/{_digest(config)}"] = config
        if store_layer:
            self.blobs[f"{name}/{layer_digest}"] = layer_gz
        self.manifests[f"{name}/{tag}"] = manifest
        self.manifests[f"{name}/{_digest(manifest)}"] = manifest

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        registry = self

        class Handler(BaseHTTPRequestHandler):
            def _send(self, code: int, body: bytes, content_type: str = "application/json",
                      extra: dict[str, str] | None = None) -> None:
                self.send_response(code)
                self.send_header("Content-Type", content_type)
                self.send_header("Docker-Distribution-API-Version", "registry/2.0")
                self.send_header("Content-Length", str(len(body)))
                for key, value in (extra or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def _error(self, code: int, error: str, message: str) -> None:
                self._send(code, json.dumps({"errors": [{"code": error, "message": message}]}).encode())

            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                authorization = self.headers.get("Authorization")
                registry.authorizations.append(authorization)
                if registry._expected_auth and authorization != registry._expected_auth:
                    self._send(401, b'{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}',
                               extra={"WWW-Authenticate": 'Basic realm="capsule-test"'})
                    return
                path = self.path.split("?", 1)[0]
                if path == "/v2/":
                    self._send(200, b"{}")
                elif "/manifests/" in path:
                    name, _, ref = path[len("/v2/"):].partition("/manifests/")
                    manifest = registry.manifests.get(f"{name}/{ref}")
                    if manifest is None:
                        self._error(404, "MANIFEST_UNKNOWN", "manifest unknown")
                    else:
                        self._send(200, manifest, MANIFEST_TYPE, {"Docker-Content-Digest": _digest(manifest)})
                elif "/blobs/" in path:
                    name, _, digest = path[len("/v2/"):].partition("/blobs/")
                    blob = registry.blobs.get(f"{name}/{digest}")
                    if blob is None:
                        self._error(404, "BLOB_UNKNOWN", "blob unknown to registry")
                    else:
                        self._send(200, blob, "application/octet-stream", {"Docker-Content-Digest": digest})
                else:
                    self._error(404, "NAME_UNKNOWN", "repository name not known to registry")

            do_HEAD = do_GET

            def log_message(self, format: str, *args: object) -> None:
                pass  # keep test output clean

        return Handler
