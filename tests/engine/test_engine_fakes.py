"""The engine client against fake engines: answers and failures a real engine won't give on demand.

An `httpx.MockTransport` behind the real client (the transport seam) plays the
engine for version negotiation and error mapping; a small TLS server on
127.0.0.1 plays a TLS engine so that certificate checks run for real. Also here:
the stream decoders, host URL parsing, registry credentials, and the import rule
(runtime never pulls in textual, and the docker package only when pulling).
"""

from __future__ import annotations

import asyncio
import base64
import json
import ssl
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from runtime.engine.client import EngineClient, as_timeouts
from runtime.engine.errors import (
    ApiVersionTooOld,
    Conflict,
    ConnectionLost,
    ContainerNotFound,
    EngineError,
    EngineRequestError,
    EngineServerError,
    EngineTimeout,
    HostConfigError,
    HostTlsError,
    HostUnreachable,
    ImageNotFound,
    ImagePullError,
    NetworkNotFound,
    NotFound,
    VolumeNotFound,
)
from runtime.engine.models import OutputChunk
from runtime.engine.registry_auth import RegistryAuthError, auth_for_image, registry_auth_header, registry_of
from runtime.engine.streams import StreamFormatError, demux, json_stream, log_lines
from runtime.engine.transport import TlsConfig, parse_host_url

Handler = Callable[[httpx.Request], httpx.Response]


class FakeEngine:
    """Answers /version like an engine of `api`, and everything else through `routes`."""

    def __init__(self, api: str = "1.41", routes: dict[tuple[str, str], Handler | Exception] | None = None,
                 min_api: str = "1.12") -> None:
        self.api = api
        self.min_api = min_api
        self.routes = routes or {}
        self.requests: list[httpx.Request] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.path == "/version" and ("GET", "/version") not in self.routes:
            return httpx.Response(200, json={"ApiVersion": self.api, "MinAPIVersion": self.min_api, "Version": "fake"})
        path = request.url.path.split("/", 2)[2] if request.url.path.startswith("/v1.") else request.url.path[1:]
        answer = self.routes.get((request.method, "/" + path))
        if answer is None:
            return httpx.Response(404, json={"message": f"page not found: {request.url.path}"})
        if isinstance(answer, Exception):
            raise answer
        return answer(request)

    async def connect(self, url: str = "unix:///var/run/docker.sock") -> EngineClient:
        return await EngineClient.connect(url, name="fake", transport=httpx.MockTransport(self.handle))


def answer(status: int, body: Any = None, **kwargs: Any) -> Handler:
    if isinstance(body, (dict, list)):
        return lambda request: httpx.Response(status, json=body, **kwargs)
    return lambda request: httpx.Response(status, content=body or b"", **kwargs)


def frame(stream: int, data: bytes) -> bytes:
    return bytes([stream, 0, 0, 0]) + len(data).to_bytes(4, "big") + data


async def chunks_of(*parts: bytes) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


# -- version negotiation ----------------------------------------------------------


@pytest.mark.parametrize(("engine_api", "spoken"), [("1.41", "1.41"), ("1.43", "1.43"), ("1.47", "1.45")])
async def test_negotiates_min_of_engine_and_our_version(engine_api: str, spoken: str) -> None:
    fake = FakeEngine(engine_api, {("GET", "/containers/json"): answer(200, [])})
    async with await fake.connect() as engine:
        assert engine.api_version == spoken
        assert await engine.list_containers() == []
    assert fake.requests[0].url.path == "/version"
    assert fake.requests[1].url.path == f"/v{spoken}/containers/json"


async def test_engine_older_than_api_1_41_is_refused() -> None:
    fake = FakeEngine("1.40")
    with pytest.raises(ApiVersionTooOld) as caught:
        await fake.connect()
    assert "1.41" in str(caught.value) and "Upgrade Docker" in str(caught.value) and "'fake'" in str(caught.value)
    assert len(fake.requests) == 1


async def test_engine_requiring_a_newer_api_than_ours_is_refused() -> None:
    with pytest.raises(EngineError, match="Upgrade capsule"):
        await FakeEngine("1.50", min_api="1.46").connect()


async def test_answer_without_api_version_is_not_an_engine() -> None:
    fake = FakeEngine(routes={("GET", "/version"): answer(200, {"hello": "world"})})
    with pytest.raises(EngineError, match="is it a Docker engine"):
        await fake.connect()


# -- error mapping -------------------------------------------------------------------

_PORT_TAKEN = "driver failed programming external connectivity on endpoint x: Bind for 0.0.0.0:8080 failed: " \
              "port is already allocated"


@pytest.mark.parametrize(
    ("method", "path", "status", "message", "call", "expected"),
    [
        ("GET", "/containers/c1/json", 404, "No such container: c1", lambda e: e.inspect("c1"), ContainerNotFound),
        ("POST", "/containers/create", 404, "No such image: foo:1",
         lambda e: e.create_container({"Image": "foo:1"}), ImageNotFound),
        ("GET", "/volumes/v1", 404, "get v1: no such volume", lambda e: e.inspect_volume("v1"), VolumeNotFound),
        ("GET", "/networks/n1", 404, "network n1 not found", lambda e: e.inspect_network("n1"), NetworkNotFound),
        ("POST", "/containers/create", 409, 'Conflict. The container name "/web" is already in use',
         lambda e: e.create_container({"Image": "x"}, "web"), Conflict),
        # What a swarm manager answers for an overlay a container of another host still uses.
        ("DELETE", "/networks/n1", 400, "rpc error: code = FailedPrecondition desc = network 54waf is in use by "
         "task y8dcv", lambda e: e.remove_network("n1"), Conflict),
        ("POST", "/containers/create", 400, "invalid reference format",
         lambda e: e.create_container({"Image": "UPPER"}), EngineRequestError),
        ("POST", "/containers/c1/start", 500, _PORT_TAKEN, lambda e: e.start("c1"), EngineServerError),
    ],
)
async def test_error_answers_map_to_typed_errors(
    method: str, path: str, status: int, message: str, call: Any, expected: type[EngineError]
) -> None:
    fake = FakeEngine(routes={(method, path): answer(status, {"message": message})})
    async with await fake.connect() as engine:
        with pytest.raises(expected) as caught:
            await call(engine)
    error = caught.value
    assert type(error) is expected
    assert error.host == "fake" and error.engine_message == message
    assert "'fake'" in str(error) and message in str(error)
    if status == 400:
        assert not isinstance(error, NotFound)
        assert (expected is Conflict) == ("in use by task" in message)
    if "port is already allocated" in message:
        assert "choose another hostPort" in str(error)


async def test_error_answer_that_is_not_json_keeps_its_text() -> None:
    fake = FakeEngine(routes={("POST", "/containers/c1/stop"): answer(500, b"engine fell over\n")})
    async with await fake.connect() as engine:
        with pytest.raises(EngineServerError) as caught:
            await engine.stop("c1")
    assert caught.value.engine_message == "engine fell over"


async def test_not_modified_is_success() -> None:
    fake = FakeEngine(routes={("POST", "/containers/c1/start"): answer(304),
                              ("POST", "/containers/c1/stop"): answer(304)})
    async with await fake.connect() as engine:
        await engine.start("c1")
        await engine.stop("c1", timeout=0)


def _tls_failure() -> httpx.ConnectError:
    try:
        raise ssl.SSLCertVerificationError("certificate verify failed: self-signed certificate")
    except ssl.SSLError as cause:
        try:
            raise httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED]") from cause
        except httpx.ConnectError as error:
            return error


@pytest.mark.parametrize(
    ("failure", "expected", "words"),
    [
        (httpx.ConnectTimeout("timed out"), HostUnreachable, "within 3 s"),
        (httpx.ConnectError("[Errno 111] Connection refused"), HostUnreachable, "Connection refused"),
        (_tls_failure(), HostTlsError, "TLS"),
    ],
)
async def test_connect_failures_are_host_unreachable(failure: Exception, expected: type, words: str) -> None:
    fake = FakeEngine(routes={("GET", "/version"): failure})
    with pytest.raises(expected) as caught:
        await fake.connect("tcp://127.0.0.1:2375")
    assert words in str(caught.value) and "'fake' (tcp://127.0.0.1:2375)" in str(caught.value)


@pytest.mark.parametrize(
    ("failure", "expected"),
    [
        (httpx.ReadTimeout("timed out"), EngineTimeout),
        (httpx.PoolTimeout("no connection"), EngineTimeout),
        (httpx.RemoteProtocolError("Server disconnected"), ConnectionLost),
        (httpx.ReadError("connection reset"), ConnectionLost),
    ],
)
async def test_failures_during_a_call(failure: Exception, expected: type) -> None:
    fake = FakeEngine(routes={("GET", "/containers/json"): failure})
    async with await fake.connect() as engine:
        with pytest.raises(expected) as caught:
            await engine.list_containers()
    assert caught.value.host == "fake" and "'fake'" in str(caught.value)
    assert isinstance(caught.value, EngineError) and not isinstance(caught.value, httpx.HTTPError)


# -- streamed answers -------------------------------------------------------------------


async def test_pull_error_inside_a_200_stream() -> None:
    body = b'{"status":"Pulling from app","id":"1"}\r\n{"errorDetail":{"message":"manifest for app:1 not found"},' \
           b'"error":"manifest for app:1 not found"}\r\n'
    fake = FakeEngine(routes={("POST", "/images/create"): answer(200, body)})
    events = []
    async with await fake.connect() as engine:
        with pytest.raises(ImageNotFound) as caught:
            async for event in engine.pull_image("app:1"):
                events.append(event)
    assert events == [{"status": "Pulling from app", "id": "1"}]
    assert caught.value.engine_message == "manifest for app:1 not found"
    request = fake.requests[-1]
    assert (request.url.params["fromImage"], request.url.params["tag"]) == ("app", "1")
    assert "X-Registry-Auth" not in request.headers


async def test_pull_sends_credentials_and_maps_other_failures() -> None:
    body = b'{"error":"toomanyrequests: slow down","errorDetail":{"message":"toomanyrequests: slow down"}}'
    fake = FakeEngine(routes={("POST", "/images/create"): answer(200, body)})
    auth = {"username": "me", "password": "s3cret", "serveraddress": "127.0.0.1:5000"}
    async with await fake.connect() as engine:
        with pytest.raises(ImagePullError) as caught:
            _ = [e async for e in engine.pull_image("127.0.0.1:5000/team/app", auth)]
    assert "s3cret" not in str(caught.value)
    request = fake.requests[-1]
    assert request.url.params["tag"] == "latest"  # no tag: latest, never "all tags"
    header = request.headers["X-Registry-Auth"]
    assert json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4))) == auth


async def test_logs_demultiplexed_from_odd_chunks() -> None:
    payload = frame(1, b"out one\nout t") + frame(2, b"err one\n") + frame(1, b"wo\n")

    def logs(request: httpx.Request) -> httpx.Response:
        assert request.url.params["follow"] == "0" and request.url.params["tail"] == "all"
        return httpx.Response(200, stream=httpx.ByteStream(payload))

    fake = FakeEngine(routes={("GET", "/containers/c1/json"): answer(200, {"Config": {"Tty": False}}),
                              ("GET", "/containers/c1/logs"): logs})
    async with await fake.connect() as engine:
        lines = [(line.stream, line.text) async for line in engine.logs("c1")]
    assert lines == [("stdout", "out one"), ("stderr", "err one"), ("stdout", "out two")]


async def test_events_stream_and_filters() -> None:
    def events(request: httpx.Request) -> httpx.Response:
        assert json.loads(request.url.params["filters"]) == {"type": ["container"], "label": ["a=b", "c"]}
        return httpx.Response(200, content=b'{"Action":"create"}\n{"Action":"start"}\n')

    fake = FakeEngine(routes={("GET", "/events"): events})
    async with await fake.connect() as engine:
        got = [e["Action"] async for e in engine.events(filters={"type": "container", "label": ["a=b", "c"]})]
    assert got == ["create", "start"]


async def test_wait_error_and_archive_stat() -> None:
    stat = base64.b64encode(json.dumps({"name": "f", "size": 3}).encode()).decode()
    fake = FakeEngine(routes={
        ("POST", "/containers/c1/wait"): answer(200, {"StatusCode": 0, "Error": {"Message": "lost track"}}),
        ("GET", "/containers/c1/archive"): answer(200, b"TAR", headers={"X-Docker-Container-Path-Stat": stat}),
    })
    async with await fake.connect() as engine:
        with pytest.raises(EngineError, match="lost track"):
            await engine.wait("c1")
        assert await engine.get_archive("c1", "/f") == (b"TAR", {"name": "f", "size": 3})


async def test_demux_frames_split_anywhere() -> None:
    stream = frame(1, b"hello ") + frame(2, b"oops\n") + frame(1, b"world\n")
    byte_by_byte = [stream[i:i + 1] for i in range(len(stream))]
    got = [chunk async for chunk in demux(chunks_of(*byte_by_byte))]
    assert got == [OutputChunk("stdout", b"hello "), OutputChunk("stderr", b"oops\n"),
                   OutputChunk("stdout", b"world\n")]
    with pytest.raises(StreamFormatError):
        _ = [c async for c in demux(chunks_of(b"plain tty text, not frames"))]
    with pytest.raises(StreamFormatError):
        _ = [c async for c in demux(chunks_of(frame(1, b"cut short")[:-2]))]


async def test_log_lines_reassemble_and_split_timestamps() -> None:
    frames = chunks_of(frame(1, b"2024-01-02T03:04:05.123456789Z first\n2024-01-02T03:04:06Z sec"),
                       frame(1, "ond \u00e9\r\n".encode()))
    lines = [line async for line in log_lines(demux(frames), timestamps=True)]
    assert [(line.text, line.timestamp) for line in lines] == [
        ("first", "2024-01-02T03:04:05.123456789Z"), ("second \u00e9", "2024-01-02T03:04:06Z")]


async def test_json_stream_handles_any_separation() -> None:
    text = '{"a": 1}{"b": "\u00e9"}\r\n  {"c": [1, 2]}\n'.encode()
    pieces = [text[i:i + 3] for i in range(0, len(text), 3)]  # splits inside the two-byte é too
    assert [doc async for doc in json_stream(chunks_of(*pieces))] == [{"a": 1}, {"b": "\u00e9"}, {"c": [1, 2]}]
    with pytest.raises(StreamFormatError):
        _ = [doc async for doc in json_stream(chunks_of(b'{"cut": '))]


# -- host URLs and timeouts ----------------------------------------------------------------


def test_host_urls() -> None:
    assert parse_host_url("unix:///var/run/docker.sock").uds == "/var/run/docker.sock"
    assert parse_host_url("tcp://10.0.0.5").base_url == "http://10.0.0.5:2375"
    context = ssl.create_default_context()
    secure = parse_host_url("tcp://10.0.0.5", tls=context)
    assert (secure.base_url, secure.uses_tls) == ("https://10.0.0.5:2376", True)
    assert parse_host_url("https://engine.example:8443/").base_url == "https://engine.example:8443"
    over_ssh = parse_host_url("ssh://me@box:2222/run/user/1000/docker.sock")
    assert (over_ssh.ssh.user, over_ssh.ssh.host, over_ssh.ssh.port, over_ssh.ssh.socket) == (
        "me", "box", 2222, "/run/user/1000/docker.sock")
    assert parse_host_url("ssh://box").ssh.socket == "/var/run/docker.sock"
    for bad in ("ssh://me:secret@box", "ssh://", "ssh://box:0", "unix://relative.sock", "tcp://:2375", "npipe:////./pipe/docker_engine"):
        with pytest.raises(HostConfigError) as caught:
            parse_host_url(bad, host="box")
        assert "'box'" in str(caught.value)


def test_tls_files_are_checked(tmp_path: Path) -> None:
    missing = tmp_path / "ca.pem"
    with pytest.raises(HostConfigError, match="ca.pem"):
        TlsConfig(ca_cert=missing).ssl_context("box")
    (tmp_path / "cert.pem").write_text("not a certificate")
    with pytest.raises(HostConfigError, match="together"):
        TlsConfig(client_cert=tmp_path / "cert.pem").ssl_context("box")
    (tmp_path / "key.pem").write_text("not a key")
    with pytest.raises(HostConfigError, match="cannot load its TLS files"):
        TlsConfig(client_cert=tmp_path / "cert.pem", client_key=tmp_path / "key.pem").ssl_context("box")


def test_timeouts() -> None:
    default = as_timeouts(None)
    assert (default.connect, default.read) == (3.0, 30.0)
    assert as_timeouts(5).to_httpx().as_dict() == {"connect": 5, "read": 5, "write": 5, "pool": 5}
    assert as_timeouts(None).to_httpx(read=None).read is None


# -- a TLS engine (fake answers, real certificates) -------------------------------------------


async def _serve_tls(ca: Path, cert: Path, key: Path) -> asyncio.AbstractServer:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=str(ca))
    context.load_cert_chain(str(cert), str(key))
    context.verify_mode = ssl.CERT_REQUIRED

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                path = head.split(b" ")[1]
                body = json.dumps({"ApiVersion": "1.41", "Version": "tls"}).encode() if path == b"/version" else b"OK"
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError):
            pass
        finally:
            writer.close()

    return await asyncio.start_server(handle, "127.0.0.1", 0, ssl=context)


async def test_tls_engine_checks_certificates_both_ways(tmp_path: Path) -> None:
    from support.certs import make_test_pki

    pki = make_test_pki(tmp_path / "pki", "127.0.0.1", "tls-engine")
    stranger = make_test_pki(tmp_path / "other", "127.0.0.1", "tls-engine")
    server = await _serve_tls(pki.ca_cert, pki.server_cert, pki.server_key)
    url = f"tcp://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    try:
        good = TlsConfig(pki.client.ca, pki.client.cert, pki.client.key)
        async with await EngineClient.connect(url, name="secure", tls=good) as engine:
            assert await engine.ping() is True
        untrusted_client = TlsConfig(pki.untrusted_client.ca, pki.untrusted_client.cert, pki.untrusted_client.key)
        with pytest.raises(HostTlsError) as refused:
            await EngineClient.connect(url, name="secure", tls=untrusted_client, timeout=5)
        with pytest.raises(HostTlsError):  # no client certificate at all
            await EngineClient.connect(url, name="secure", tls=TlsConfig(pki.client.ca), timeout=5)
        untrusted_server = TlsConfig(stranger.client.ca, pki.client.cert, pki.client.key)
        with pytest.raises(HostTlsError) as unverified:
            await EngineClient.connect(url, name="secure", tls=untrusted_server, timeout=5)
        with pytest.raises(HostUnreachable) as plain:  # a TLS engine spoken to in plain HTTP
            await EngineClient.connect(url.replace("tcp", "http"), name="secure", timeout=5)
    finally:
        server.close()
        await server.wait_closed()
    assert "'secure'" in str(refused.value) and "client certificate" in str(refused.value)
    assert "certificate is not trusted" in str(unverified.value)
    assert "TLS" in str(plain.value) and not isinstance(plain.value, HostTlsError)


# -- registry credentials and import rules ------------------------------------------------------


def test_registry_credentials_from_docker_config(tmp_path: Path) -> None:
    login = base64.b64encode(b"robot:hunter2").decode()
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"auths": {"127.0.0.1:5000": {"auth": login}}}))
    auth = auth_for_image("127.0.0.1:5000/team/app:2", config_path=str(config))
    assert auth is not None and (auth["username"], auth["password"]) == ("robot", "hunter2")
    assert "hunter2" not in repr(auth) and "hunter2" not in f"{auth}"
    header = registry_auth_header("127.0.0.1:5000/team/app:2", config_path=str(config))
    assert header is not None and json.loads(base64.urlsafe_b64decode(header))["password"] == "hunter2"
    assert auth_for_image("127.0.0.1:6000/other:1", config_path=str(config)) is None
    assert registry_of("busybox:1.36") == "docker.io"


def test_broken_credential_helper_is_a_clear_error(tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"credsStore": "capsule-test-missing-helper"}))
    with pytest.raises(RegistryAuthError, match="credential helper"), pytest.warns(UserWarning):
        auth_for_image("127.0.0.1:5000/team/app:2", config_path=str(config))


def test_runtime_imports_neither_textual_nor_docker() -> None:
    code = (
        "import sys, runtime.engine.client, runtime.engine.registry_auth\n"
        "print(sorted(m for m in ('textual', 'docker') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
