"""The terminal UI runs the watcher (runtime.watch.watcher) while it is open.

Stub backends first: the watcher worker starts with the app and is cancelled when
it closes; a `capsule watch` holding the CAPSULE_HOME's lock (the real
runtime.watch.cursor.watch_lock, taken here by the test) does not crash the app, it
says so once; a heal action becomes a notification. Then, against a real engine,
the real backend: with the app open, `docker restart` of a capsule's sandbox gets
its members re-joined (they sit in the sandbox's new network namespace again).
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest

from capsule_tui.app import WATCHER_ELSEWHERE, WATCHER_RUNNING
from runtime.watch.cursor import watch_lock
from runtime.watch.watcher import WatchAction
from support.tui_fakes import StubBackend
from support.tui_pilot import SIZE, RecordingApp, loaded, until


class WatchingBackend(StubBackend):
    """A stub whose `watch` holds the real one-watcher lock, as runtime.watch.watcher.Watcher.run does."""

    def __init__(self) -> None:
        super().__init__()
        self.watch_started = 0
        self.watch_cancelled = 0
        self.on_action: Any = None
        self.names: Any = "not asked"

    async def watch(self, on_action: Any, *, names: Any = None) -> None:
        self.watch_started += 1
        self.names = names
        with watch_lock():
            self.on_action = on_action
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                self.watch_cancelled += 1
                raise


async def test_the_watcher_runs_while_the_app_is_open(capsule_home: Path) -> None:
    backend = WatchingBackend()
    app = RecordingApp(backend, poll_seconds=60, watch=True)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app, pilot)
        await until(lambda: backend.on_action is not None, pilot, what="the watcher to start")
        worker = app.watcher_worker
        assert worker is not None and worker.group == "watcher" and worker.is_running
        assert app.watcher_state == WATCHER_RUNNING and backend.watch_started == 1 and backend.names is None
        # While it runs it holds the lock: a `capsule watch` started now would be refused.
        with pytest.raises(Exception, match="another capsule watch already runs"):
            with watch_lock():
                pass
        backend.on_action(WatchAction("local", "web", "rejoined", "members web, sidecar re-joined the sandbox",
                                      time.time()))
        backend.on_action(WatchAction("local", "web", "exited", "member web exited with code 1", time.time()))
        await pilot.pause()
        notes = [text for _, text in app.notes]
        assert "web: members web, sidecar re-joined the sandbox" in notes
        assert not any("exited with code 1" in text for text in notes)  # an event, not a notification
    assert backend.watch_cancelled == 1 and backend.closed
    with watch_lock():  # released with the app
        pass


async def test_a_watcher_already_running_elsewhere_does_not_break_the_app(capsule_home: Path) -> None:
    backend = WatchingBackend()
    with watch_lock():  # `capsule watch` runs for this CAPSULE_HOME
        app = RecordingApp(backend, poll_seconds=60, watch=True)
        async with app.run_test(size=SIZE) as pilot:
            await loaded(app, pilot)
            await until(lambda: app.watcher_state == WATCHER_ELSEWHERE, pilot, what="the busy lock to be seen")
            assert backend.watch_started == 1 and backend.on_action is None
            await pilot.pause()
            said = [text for severity, text in app.notes if "capsule watch already runs" in text]
            assert len(said) == 1 and not any(severity == "error" for severity, _ in app.notes)
            await pilot.press("question_mark")  # the app still works
            await pilot.press("escape")
            assert app.is_running


async def test_a_backend_without_watch_runs_no_watcher(capsule_home: Path) -> None:
    app = RecordingApp(StubBackend(), poll_seconds=60, watch=True)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app, pilot)
        assert app.watcher_worker is None and all(w.group != "watcher" for w in app.workers)


async def test_the_watcher_can_be_limited_to_some_capsules_or_left_off(capsule_home: Path) -> None:
    backend = WatchingBackend()
    app = RecordingApp(backend, poll_seconds=60, watch=["web"])
    async with app.run_test(size=SIZE) as pilot:
        await until(lambda: backend.on_action is not None, pilot, what="the watcher to start")
        assert backend.names == ["web"]
    backend = WatchingBackend()
    app = RecordingApp(backend, poll_seconds=60, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app, pilot)
        await pilot.pause()
        assert backend.watch_started == 0 and app.watcher_worker is None


# ------------------------------------------------------------------ real engine: the app heals

@pytest.mark.docker
async def test_with_the_app_open_a_sandbox_restart_is_healed_within_10_s(
    docker_engine: Any, capsule_home: Path, unique_name: str
) -> None:
    from runtime.engine.client import EngineClient
    from support.capsule_cli import free_port
    from support.healing import HTTPD, SLEEPER, build, fetch, healed, in_current_namespace
    from translate.spec import Capsule, Container, Port

    name, port = unique_name, free_port()
    try:
        async with await EngineClient.connect(docker_engine.url, name="local") as engine:
            await build(engine, Capsule(name, (Container("web", "busybox:1.36", command=HTTPD,
                                                         ports=(Port(8080, port),)),
                                               Container("client", "busybox:1.36", command=SLEEPER))))
        app = RecordingApp(poll_seconds=1, watch=[name])  # the real backend, watching this capsule only
        async with app.run_test(size=SIZE) as pilot:
            await loaded(app, pilot)
            # Following the engine's events once the watcher wrote its resume point.
            await until(lambda: (capsule_home / "watch-cursor.json").exists(), pilot, what="the watcher to follow")
            assert app.watcher_state == WATCHER_RUNNING
            await until(lambda: fetch(docker_engine, f"{name}.client")[0] == 0, pilot, what="web answering")
            docker_engine.client.containers.get(name).restart(timeout=1)
            restarted = time.monotonic()
            await until(lambda: healed(docker_engine, name, port), pilot, timeout=10,
                        what="the members re-joined after the sandbox restart")
            assert time.monotonic() - restarted < 10
            assert in_current_namespace(docker_engine, name, "web")
            await until(lambda: any("re-join" in text for _, text in app.notes), pilot, timeout=5,
                        what="the heal notification")
        assert app.watcher_worker is not None and app.watcher_worker.is_finished
    finally:
        for container in docker_engine.client.containers.list(ignore_removed=True, all=True, filters={"label": f"capsule.name={name}"}):
            container.remove(force=True)
