"""The watcher against a real engine: healing after a sandbox restart, liveness restarts,
killed members, resuming from the last seen event, and the `capsule watch` command.

Each test runs the watcher as an asyncio task limited to its own capsule (`names=`),
so it never acts on other containers of the engine, with a fresh CAPSULE_HOME.
Everything is checked through the docker package and real traffic between members.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from runtime.engine.client import EngineClient
from runtime.hosts.settings import HostSettings
from runtime.observe.discovery import observe_capsule
from runtime.observe.status import FAILED, derive_status
from runtime.service import CapsuleService
from runtime.watch.cursor import WatchCursor
from runtime.watch.watcher import REVIVE_DELAY, WatchAction, Watcher
from support.capsule_cli import free_port, remove_capsule_leftovers
from support.healing import (
    BUSYBOX,
    HTTPD,
    SLEEPER,
    build,
    fetch,
    healed,
    host_port_answer,
    in_current_namespace,
)
from translate.spec import Capsule, Container, Port, Probe


@pytest.fixture
def name(unique_name: str, docker_engine: Any) -> Iterator[str]:
    yield unique_name
    remove_capsule_leftovers(docker_engine.client, unique_name)


class RunningWatcher:
    """A watcher task for one capsule, with the actions it reported."""

    def __init__(self, url: str, capsule: str, **options: Any) -> None:
        self.service = CapsuleService(hosts=[HostSettings("local", url)])
        self.actions: list[WatchAction] = []
        self.watcher = Watcher(self.service.ctx, on_action=self.actions.append, names=[capsule], probe_tick=0.2,
                               **options)
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.task = asyncio.ensure_future(self.watcher.run())
        # Following once the cursor is written (before the event stream is opened, which replays from it).
        await until(lambda: self.watcher.cursor.since("local") is not None and self.started(), 10, "watcher start")

    def started(self) -> bool:
        if self.task is not None and self.task.done():
            self.task.result()  # raise what stopped it
        return True

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
        await self.service.aclose()

    def kinds(self) -> list[str]:
        return [a.kind for a in self.actions]


@pytest.fixture
async def watch(docker_engine: Any, capsule_home: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Any]:
    monkeypatch.delenv("CAPSULE_WEBHOOK_URL", raising=False)
    running: list[RunningWatcher] = []

    async def start(capsule: str, **options: Any) -> RunningWatcher:
        watcher = RunningWatcher(docker_engine.url, capsule, **options)
        running.append(watcher)
        await watcher.start()
        return watcher

    yield start
    for watcher in running:
        await watcher.stop()


async def until(check: Any, timeout: float, what: str, every: float = 0.1) -> float:
    """Seconds it took until check() was true; fails the test after `timeout`."""
    began = time.monotonic()
    while True:
        value = check()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return time.monotonic() - began
        if time.monotonic() - began > timeout:
            raise AssertionError(f"{what}: not within {timeout} s")
        await asyncio.sleep(every)


def started_at(docker_engine: Any, container: str) -> str:
    return docker_engine.client.containers.get(container).attrs["State"]["StartedAt"]


def events(service: CapsuleService, capsule: str, kind: str) -> list[str]:
    return [e.message for e in service.ctx.store.events(capsule) if e.kind == kind]


# ---------------------------------------------------------------- sandbox restart


async def test_sandbox_restart_members_reach_each_other_again_within_10_s(
    engine: EngineClient, docker_engine: Any, name: str, watch: Any
) -> None:
    port = free_port()
    await build(engine, Capsule(name, (Container("web", BUSYBOX, command=HTTPD, ports=(Port(8080, port),)),
                                       Container("client", BUSYBOX, command=SLEEPER))))
    await until(lambda: fetch(docker_engine, f"{name}.client")[0] == 0, 10, "web answering before the restart")
    sandbox = docker_engine.client.containers.get(name)

    # The pitfall, without a watcher: after the restart the members keep the old namespace
    # (only `lo`), so the capsule's published port and its new address no longer reach them.
    sandbox.restart(timeout=1)
    await asyncio.sleep(1)  # a window in which nothing may re-join them: no watcher runs yet
    assert not in_current_namespace(docker_engine, name, "client")
    assert host_port_answer(port) is None

    # The watcher's startup sweep re-joins them ...
    running = await watch(name)
    await until(lambda: healed(docker_engine, name, port), 10, "healing by the startup sweep")
    # ... and with the watcher running, a restart is healed within 10 s.
    web_before = started_at(docker_engine, f"{name}.web")
    sandbox.restart(timeout=1)
    restarted = time.monotonic()
    took = await until(lambda: healed(docker_engine, name, port), 10, "healing after the sandbox restart")
    assert time.monotonic() - restarted < 10 and took < 10
    sandbox_started = started_at(docker_engine, name)
    assert started_at(docker_engine, f"{name}.web") > sandbox_started > web_before
    assert started_at(docker_engine, f"{name}.client") > sandbox_started
    # The watcher reports once the restart calls have returned, a moment after traffic flows.
    await until(lambda: running.kinds().count("rejoined") == 2, 5, "the second 'rejoined' report")
    rejoined = events(running.service, name, "member_restarted")
    assert any("member web restarted to re-join" in m for m in rejoined), rejoined


# ---------------------------------------------------------------- liveness and kills


def sick_capsule(name: str, policy: str) -> Capsule:
    liveness = Probe(exec_command=("sh", "-c", "test ! -e /tmp/sick"), period_seconds=1, failure_threshold=2)
    return Capsule(name, (Container("app", BUSYBOX, command=SLEEPER, liveness_probe=liveness),),
                   restart_policy=policy)


async def test_failing_exec_liveness_probe_restarts_the_member_under_always(
    engine: EngineClient, docker_engine: Any, name: str, watch: Any
) -> None:
    await build(engine, sick_capsule(name, "Always"))
    running = await watch(name, probe_grace=1)
    app = docker_engine.client.containers.get(f"{name}.app")
    first_start = app.attrs["State"]["StartedAt"]
    await asyncio.sleep(1.5)
    assert "restarted" not in running.kinds()  # a passing probe leaves it alone
    assert app.exec_run(["touch", "/tmp/sick"])[0] == 0
    await until(lambda: "restarted" in running.kinds(), 10, "liveness restart")
    app.reload()
    assert app.attrs["State"]["Running"] and app.attrs["State"]["StartedAt"] > first_start
    assert app.exec_run(["test", "-e", "/tmp/sick"])[0] == 1  # the restarted member is healthy again
    restarts = events(running.service, name, "member_restarted")
    assert any("liveness probe exec sh -c test ! -e /tmp/sick failed 2 times in a row" in m for m in restarts), restarts


async def test_failing_liveness_probe_under_never_stops_the_member_and_the_capsule_fails(
    engine: EngineClient, docker_engine: Any, name: str, watch: Any
) -> None:
    spec = sick_capsule(name, "Never")
    built = await build(engine, spec)
    running = await watch(name, probe_grace=1)
    docker_engine.client.containers.get(f"{name}.app").exec_run(["touch", "/tmp/sick"])
    await until(lambda: "stopped" in running.kinds(), 10, "liveness stop under Never")
    await asyncio.sleep(2)  # the engine must not restart it, and neither may the watcher
    app = docker_engine.client.containers.get(f"{name}.app")
    assert app.attrs["State"]["Status"] == "exited"
    observed = await observe_capsule(engine, "local", uuid=built.uuid)
    status, reason = derive_status(observed, spec)
    assert status == FAILED and "app" in reason, reason
    assert any("restartPolicy Never does not restart it" in m for m in events(running.service, name, "failed"))
    assert "revived" not in running.kinds()


async def test_member_killed_from_outside_is_started_again_under_always(
    engine: EngineClient, docker_engine: Any, name: str, watch: Any
) -> None:
    await build(engine, Capsule(name, (Container("app", BUSYBOX, command=SLEEPER),)))
    running = await watch(name)
    docker_engine.client.containers.get(f"{name}.app").kill()
    # The engine alone would leave it down: `docker kill` counts as stopped by hand.
    await until(lambda: docker_engine.client.containers.get(f"{name}.app").status == "running", 10, "revive")
    await until(lambda: "revived" in running.kinds(), 5, "the 'revived' report")
    assert "exited" in running.kinds()
    assert any("with code 137" in m for m in events(running.service, name, "member_exited"))


async def test_member_killed_from_outside_under_never_stays_down_and_the_capsule_fails(
    engine: EngineClient, docker_engine: Any, name: str, watch: Any
) -> None:
    spec = Capsule(name, (Container("app", BUSYBOX, command=SLEEPER),), restart_policy="Never")
    built = await build(engine, spec)
    running = await watch(name)
    docker_engine.client.containers.get(f"{name}.app").kill()
    await until(lambda: "exited" in running.kinds(), 10, "the exit report")
    await asyncio.sleep(REVIVE_DELAY + 1)
    assert docker_engine.client.containers.get(f"{name}.app").status == "exited"
    assert "revived" not in running.kinds()
    status, reason = derive_status(await observe_capsule(engine, "local", uuid=built.uuid), spec)
    assert status == FAILED and "member app exited with code 137" in reason, reason
    assert events(running.service, name, "member_exited") == ["member app exited with code 137"]


async def test_a_crashing_member_shows_its_exits_and_rising_restart_count(
    engine: EngineClient, docker_engine: Any, name: str, watch: Any
) -> None:
    await build(engine, Capsule(name, (Container("app", BUSYBOX, command=("sh", "-c", "sleep 1; exit 3")),)))
    running = await watch(name)
    # The engine restarts it (policy always, with its growing back-off); each exit and each restart is told.
    await until(lambda: any(a.kind == "restarted" and "restarts)" in a.message for a in running.actions), 15,
                "a restart reported with its count")
    assert "member app exited with code 3" in [a.message for a in running.actions if a.kind == "exited"]
    restarted = events(running.service, name, "member_restarted")
    assert any(m.startswith("member app restarted (") for m in restarted), restarted
    assert "member app exited with code 3" in events(running.service, name, "member_exited")
    assert "revived" not in running.kinds()  # the engine restarted it; the watcher had nothing to do


# ---------------------------------------------------------------- resuming


async def test_watcher_resumes_from_the_last_seen_event(
    engine: EngineClient, docker_engine: Any, name: str, watch: Any
) -> None:
    await build(engine, Capsule(name, (Container("app", BUSYBOX, command=SLEEPER),), restart_policy="Never"))
    first = await watch(name)
    await first.stop()
    assert WatchCursor().since("local") is not None  # persisted in CAPSULE_HOME
    # While no watcher runs the member dies and is started again by hand: the host's
    # state then looks unchanged, so only the engine's event history tells of the exit.
    app = docker_engine.client.containers.get(f"{name}.app")
    app.kill()
    app.start()
    # Not a wait for anything: it puts the resume time clearly after the die event's
    # time, so that the replayed event can be told from one seen live.
    await asyncio.sleep(0.5)
    resumed_at = time.time()
    second = await watch(name)
    await until(lambda: "exited" in second.kinds(), 10, "the missed die event")
    exited = next(a for a in second.actions if a.kind == "exited")
    assert exited.event_time is not None and exited.event_time < resumed_at  # replayed, not seen live
    assert exited.message == "member app exited with code 137"
    assert events(second.service, name, "member_exited") == ["member app exited with code 137"]
    # A third start replays nothing twice.
    await second.stop()
    third = await watch(name)
    await asyncio.sleep(1.0)
    assert "exited" not in third.kinds()
    assert events(third.service, name, "member_exited") == ["member app exited with code 137"]


# ---------------------------------------------------------------- the command


def test_watch_command_refuses_a_second_watcher_and_stops_on_sigterm(
    docker_engine: Any, capsule_home: Path, unique_name: str
) -> None:
    env = {**os.environ, "CAPSULE_HOME": str(capsule_home), "DOCKER_HOST": docker_engine.url}
    command = [sys.executable, "-m", "capsule_tui.cli", "watch", unique_name]
    first = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert first.stderr is not None
        assert "capsule watch: following" in first.stderr.readline()
        deadline = time.monotonic() + 10
        while not (capsule_home / "watch-cursor.json").exists():
            assert time.monotonic() < deadline and first.poll() is None
            time.sleep(0.1)
        second = subprocess.run(command, env=env, capture_output=True, text=True, timeout=30)
        assert second.returncode == 1 and "another capsule watch already runs" in second.stderr
        first.send_signal(signal.SIGTERM)
        assert first.wait(timeout=15) == 0
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()


def test_watch_command_rejects_a_negative_grace(capsule_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from capsule_tui.cli import main

    assert main(["watch", "--heal-grace", "-1"]) == 2
    assert "--heal-grace and --probe-grace take a number of seconds" in capsys.readouterr().err


# ---------------------------------------------------------------- the cursor alone


def _event(container: str, action: str, nanos: int) -> dict[str, Any]:
    return {"Action": action, "Actor": {"ID": container}, "time": nanos // 10**9, "timeNano": nanos}


def test_cursor_resumes_inclusively_and_skips_what_it_handled(tmp_path: Path) -> None:
    path = tmp_path / "cursor.json"
    cursor = WatchCursor(path)
    assert cursor.since("local") is None and not cursor.seen("local", _event("a", "die", 5))
    cursor.start_at("local", 1_700_000_000_000_000_001)
    assert cursor.since("local") == "1700000000.000000001"
    die, start = _event("a", "die", 1_700_000_000_500_000_000), _event("b", "start", 1_700_000_000_500_000_000)
    cursor.advance("local", die)
    # A fresh reader (a restarted watcher) resumes at the same nanosecond: the engine
    # answers `since` inclusively, so the handled event comes again and is skipped, while
    # another event of that very nanosecond is not.
    again = WatchCursor(path)
    assert again.since("local") == "1700000000.500000000"
    assert again.seen("local", die) and not again.seen("local", start)
    assert again.seen("local", _event("c", "die", 1_700_000_000_400_000_000))
    again.advance("local", start)
    assert WatchCursor(path).seen("local", start) and WatchCursor(path).seen("local", die)
    path.write_text("{not json")
    assert WatchCursor(path).since("local") is None  # a broken file means: start from now
