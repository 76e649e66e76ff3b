"""Events and webhooks: recorded in the log, POSTed to a real local HTTP server, never fatal;
a URL the policy refuses (link-local, cloud metadata, not http/https) never gets a request."""

from __future__ import annotations

import json
import logging
import time

import httpx
import pytest

from runtime.state.events import EVENT_KINDS, Notifier
from runtime.state.store import Store
from runtime.state.webhook import WebhookSender, configured_webhook_url, safe_url, url_problem
from support.capsule_cli import free_port
from support.webhook_receiver import Receiver
from translate.secrets import MASK, SecretMask, SecretStore


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("CAPSULE_HOME", str(tmp_path))
    with Store.open() as opened:
        yield opened


async def test_events_reach_a_real_webhook_in_order_and_the_log(store):
    with Receiver() as receiver:
        notifier = Notifier(store, WebhookSender(receiver.url))
        notifier.emit("created", "web", "created on host local", uuid="u1", host="local")
        notifier.emit("started", "web", "all members running", uuid="u1", host="local")
        notifier.emit("deleted", "web", "deleted by user", uuid="u1", host="local")
        await notifier.aclose()
    assert [b["kind"] for b in receiver.bodies] == ["created", "started", "deleted"]
    first = receiver.bodies[0]
    assert first["capsule"] == "web" and first["host"] == "local" and first["uuid"] == "u1"
    assert first["message"] == "created on host local" and first["source"] == "capsule"
    assert first["time"].endswith("+00:00")
    assert [e.kind for e in store.events("web")] == ["created", "started", "deleted"]
    assert [b["id"] for b in receiver.bodies] == [e.id for e in store.events("web")]


async def test_webhook_retries_after_server_errors(store):
    with Receiver(fail_first=2) as receiver:
        sender = WebhookSender(receiver.url, backoff=0.01)
        assert await sender.send({"kind": "created"}) is True
        await sender.aclose()
    assert receiver.attempts == 3
    assert receiver.bodies == [{"kind": "created"}]


async def test_webhook_gives_up_after_three_attempts_with_a_warning(store, caplog):
    with Receiver(fail_first=10) as receiver:
        sender = WebhookSender(receiver.url, backoff=0.01)
        with caplog.at_level(logging.WARNING, logger="capsule.webhook"):
            assert await sender.send({"kind": "failed"}) is False
        await sender.aclose()
    assert receiver.attempts == 3
    assert "HTTP 503" in caplog.text
    assert "s3cr3t-token" not in caplog.text  # the URL's query is left out of messages


async def test_webhook_does_not_retry_a_client_error(store):
    with Receiver(fail_first=0, status=400) as receiver:
        sender = WebhookSender(receiver.url, backoff=0.01)
        assert await sender.send({"kind": "created"}) is False
        await sender.aclose()
    assert receiver.attempts == 1


async def test_webhook_down_never_fails_the_operation(store, caplog):
    url = f"http://127.0.0.1:{free_port()}/hook"  # nothing listens there
    notifier = Notifier(store, WebhookSender(url, backoff=0.01))
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="capsule.webhook"):
        event = notifier.emit("created", "web", "created", host="local")
        await notifier.aclose()
    assert time.monotonic() - started < 5
    assert event.id > 0 and [e.kind for e in store.events("web")] == ["created"]
    assert "did not take the created event" in caplog.text


async def test_secret_values_never_reach_the_log_or_the_webhook(store):
    secrets = SecretStore()
    secrets.add("db", {"password": b"hunter2-very-secret"})
    with Receiver() as receiver:
        notifier = Notifier(store, WebhookSender(receiver.url))
        notifier.hide(secrets)
        notifier.emit("failed", "web", "engine said: exec --password=hunter2-very-secret failed", host="local")
        await notifier.aclose()
    assert "hunter2" not in json.dumps(receiver.bodies)
    assert receiver.bodies[0]["message"] == f"engine said: exec --password={MASK} failed"
    assert "hunter2" not in store.events("web")[0].message


def test_emit_without_a_running_loop_delivers_synchronously(store):
    with Receiver() as receiver:
        Notifier(store, WebhookSender(receiver.url)).emit("created", "web", "x")
    assert [b["kind"] for b in receiver.bodies] == ["created"]


def test_no_webhook_configured_records_only(store):
    notifier = Notifier.from_config(store)
    assert notifier.webhook is None
    notifier.emit("status_changed", "web", "Starting -> Running")
    assert [e.kind for e in store.events()] == ["status_changed"]


def test_unknown_kind_is_a_programming_error(store):
    with pytest.raises(ValueError, match="unknown event kind"):
        Notifier(store).emit("exploded", "web")
    assert set(EVENT_KINDS) == {
        "created", "started", "member_exited", "member_restarted", "status_changed", "deleted", "failed"
    }


def test_webhook_url_from_env_then_config_file(tmp_path, monkeypatch):
    monkeypatch.setenv("CAPSULE_HOME", str(tmp_path))
    monkeypatch.delenv("CAPSULE_WEBHOOK_URL", raising=False)
    assert configured_webhook_url() is None
    (tmp_path / "config.yaml").write_text("webhook_url: http://127.0.0.1:9/from-file\n")
    assert configured_webhook_url() == "http://127.0.0.1:9/from-file"
    monkeypatch.setenv("CAPSULE_WEBHOOK_URL", "http://127.0.0.1:9/from-env")
    assert configured_webhook_url() == "http://127.0.0.1:9/from-env"


def test_broken_config_file_is_a_warning_not_a_crash(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("CAPSULE_HOME", str(tmp_path))
    monkeypatch.delenv("CAPSULE_WEBHOOK_URL", raising=False)
    (tmp_path / "config.yaml").write_text("webhook_url: [unclosed\n")
    with caplog.at_level(logging.WARNING, logger="capsule.webhook"):
        assert configured_webhook_url() is None
    assert "config.yaml" in caplog.text


def test_redact_and_safe_url():
    secrets = SecretStore()
    secrets.add("s", {"a": b"abcdefgh", "b": b"abcd", "short": b"ab"})
    mask = SecretMask()
    mask.hide(secrets)
    assert mask("x abcdefgh y abcd z ab") == f"x {MASK} y {MASK} z ab"  # shorter than 4: by chance, not masked
    assert safe_url("https://user:pw@example.test:8443/hook?token=t") == "https://example.test:8443/hook"


# --- the URL policy: runtime/hosts/address_rules.py, as the engine URLs use it ----------------


class CountingTransport(httpx.AsyncBaseTransport):
    """Stands where the network would be: counts every request that would leave."""

    def __init__(self, status: int = 204, location: str = "") -> None:
        self.requests: list[httpx.Request] = []
        self.status, self.location = status, location

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        headers = {"Location": self.location} if self.location else {}
        return httpx.Response(self.status, headers=headers)


REFUSED_URLS = [
    "http://169.254.169.254/latest/meta-data/iam/security-credentials/",  # the metadata service
    "https://169.254.170.2/v2/credentials",  # ECS task credentials: link-local
    "http://[fd00:ec2::254]/latest/meta-data/",  # AWS, IPv6
    "http://[fe80::1%25eth0]:8080/hook",  # IPv6 link-local, with a zone
    "http://[::ffff:169.254.169.254]/",  # IPv4-mapped
    "http://2852039166/",  # 169.254.169.254 as inet_aton reads it
    "http://0xa9fea9fe/", "http://0251.0376.0251.0376/", "http://169.254.43518/",
    "http://metadata.google.internal/computeMetadata/v1/", "http://METADATA.google.internal./",
    "http://100.100.100.200/latest/meta-data/",  # Alibaba Cloud
    "ftp://example.test/hook", "file:///etc/passwd", "unix:///var/run/docker.sock", "example.test/hook",
    "http:///no-host",
]


@pytest.mark.parametrize("url", REFUSED_URLS)
async def test_a_refused_webhook_url_is_never_sent_a_request(url: str, caplog) -> None:
    transport = CountingTransport()
    sender = WebhookSender(url, transport=transport, backoff=0.01)
    with caplog.at_level(logging.WARNING, logger="capsule.webhook"):
        assert await sender.send({"kind": "created"}) is False
        assert await sender.send({"kind": "deleted"}) is False
    await sender.aclose()
    assert transport.requests == []
    assert sender.refused is not None
    assert caplog.text.count("is refused and gets no events") == 1  # said once, not once per event


def test_the_policy_in_words() -> None:
    assert url_problem("http://169.254.169.254/latest") == (
        "169.254.169.254 is a link-local or cloud metadata address, whose answers can hold this machine's cloud "
        "credentials")
    assert url_problem("ftp://example.test/") == "it is not an http:// or https:// URL"
    assert url_problem("http://example.test:99999/") == "its port is not a number from 0 to 65535"
    for accepted in ("https://hooks.example.test/x?token=t", "http://127.0.0.1:9/x", "http://localhost/x",
                     "http://[::1]:8080/", "http://192.0.2.5/hook", "http://169.254.example.test/",
                     "http://metadata.google.internal.example.test/"):
        assert url_problem(accepted) is None, accepted


def test_a_refused_configured_url_is_a_warning_and_events_are_only_recorded(store, monkeypatch, caplog) -> None:
    monkeypatch.setenv("CAPSULE_WEBHOOK_URL", "http://user:pw@169.254.169.254/hook?token=s3cr3t-token")
    sent: list[object] = []

    async def no_network(client, request, **kwargs):  # any POST at all would land here
        sent.append(request)
        raise AssertionError("a request was made to a refused webhook")

    monkeypatch.setattr(httpx.AsyncClient, "send", no_network)
    with caplog.at_level(logging.WARNING, logger="capsule.webhook"):
        notifier = Notifier.from_config(store)
    assert notifier.webhook is None
    notifier.emit("created", "web", "created on host local", host="local")
    assert sent == [] and [e.kind for e in store.events("web")] == ["created"]
    assert caplog.messages == [
        "capsule: warning: webhook http://169.254.169.254/hook is refused and gets no events: 169.254.169.254 is "
        "a link-local or cloud metadata address, whose answers can hold this machine's cloud credentials; set "
        "CAPSULE_WEBHOOK_URL to your receiver's https:// URL"]
    assert "s3cr3t" not in caplog.text and "user:pw" not in caplog.text


def test_a_refused_url_in_the_config_file_names_the_file(tmp_path, monkeypatch, caplog) -> None:
    monkeypatch.setenv("CAPSULE_HOME", str(tmp_path))
    monkeypatch.delenv("CAPSULE_WEBHOOK_URL", raising=False)
    (tmp_path / "config.yaml").write_text("webhook_url: http://metadata.google.internal/computeMetadata/v1\n")
    with caplog.at_level(logging.WARNING, logger="capsule.webhook"), Store.open() as opened:
        assert Notifier.from_config(opened).webhook is None
    assert f"set webhook_url in {tmp_path / 'config.yaml'} to your receiver's https:// URL" in caplog.text


async def test_plain_http_to_another_machine_is_sent_with_one_warning_without_secrets(store, monkeypatch,
                                                                                      caplog) -> None:
    monkeypatch.setenv("CAPSULE_WEBHOOK_URL", "http://user:pw@192.0.2.5:8080/hook?token=s3cr3t-token")
    transport = CountingTransport()
    with caplog.at_level(logging.WARNING, logger="capsule.webhook"):
        notifier = Notifier.from_config(store)
        assert notifier.webhook is not None
        notifier.webhook._transport = transport  # where the network would be
        notifier.emit("created", "web", "created")
        notifier.emit("deleted", "web", "deleted")
        await notifier.aclose()
    assert [str(r.url) for r in transport.requests] == ["http://user:pw@192.0.2.5:8080/hook?token=s3cr3t-token"] * 2
    assert caplog.messages == [
        "capsule: warning: webhook http://192.0.2.5:8080/hook is plain http: events cross the network "
        "unencrypted, readable and changeable on the way; use https:// (plain http is fine only to a loopback "
        "address)"]


@pytest.mark.parametrize("url", ["https://hooks.example.test/x?token=t", "http://127.0.0.1:9/x",
                                 "http://localhost:9/x", "http://[::1]:9/x"])
def test_https_and_loopback_http_need_no_warning(url: str, store, monkeypatch, caplog) -> None:
    monkeypatch.setenv("CAPSULE_WEBHOOK_URL", url)
    with caplog.at_level(logging.WARNING, logger="capsule.webhook"):
        assert Notifier.from_config(store).webhook is not None
    assert caplog.text == ""


async def test_a_redirect_is_not_followed_to_another_address() -> None:
    transport = CountingTransport(status=307, location="http://169.254.169.254/latest/meta-data/")
    sender = WebhookSender("https://hooks.example.test/x", transport=transport, attempts=1)
    assert await sender.send({"kind": "created"}) is False
    await sender.aclose()
    assert [r.url.host for r in transport.requests] == ["hooks.example.test"]


def test_safe_url_shows_scheme_host_port_and_path_only() -> None:
    assert safe_url("http://u:p@[fe80::1%25eth0]:8080/hook?t=1#x") == "http://[fe80::1%25eth0]:8080/hook"
    assert safe_url("http://example.test:99999/hook?t=1") == "http://example.test:?/hook"
    assert safe_url("example.test/hook?t=1") == "example.test/hook"
