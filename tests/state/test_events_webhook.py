"""Events and webhooks: recorded in the log, POSTed to a real local HTTP server, never fatal."""

from __future__ import annotations

import json
import logging
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from runtime.state.events import EVENT_KINDS, Notifier, redact, secret_values
from runtime.state.store import Store
from runtime.state.webhook import WebhookSender, configured_webhook_url, safe_url
from support.capsule_cli import free_port
from translate.secrets import MASK, SecretStore


class Receiver:
    """An HTTP server on 127.0.0.1 that records the JSON bodies POSTed to it."""

    def __init__(self, fail_first: int = 0, status: int = 204) -> None:
        self.bodies: list[dict] = []
        self.attempts = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length))
                receiver.attempts += 1
                if receiver.attempts <= fail_first:
                    self.send_response(503)
                else:
                    receiver.bodies.append(body)
                    self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook?token=s3cr3t-token"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


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
    values = secret_values(secrets)
    assert values == ["abcdefgh", "abcd"]
    assert redact("x abcdefgh y abcd z ab", values) == f"x {MASK} y {MASK} z ab"
    assert safe_url("https://user:pw@example.test:8443/hook?token=t") == "https://example.test:8443/hook"
