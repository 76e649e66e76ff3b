"""runtime/event_loop.py: a cancelled future woken late by a socket reader is not reported
as an error; every other exception in a callback still is (asyncio's default handler)."""

from __future__ import annotations

import asyncio
import logging

import pytest

from runtime import event_loop


async def late_wakeup() -> None:
    """What anyio's socket read leaves behind when it is abandoned in the turn its data came."""
    future = asyncio.get_running_loop().create_future()
    future.cancel()
    asyncio.get_running_loop().call_soon(future.set_result, None)
    await asyncio.sleep(0.01)


async def real_error() -> None:
    def broken() -> None:
        raise ValueError("a real bug")

    asyncio.get_running_loop().call_soon(broken)
    await asyncio.sleep(0.01)


def asyncio_errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "asyncio" and r.levelno >= logging.ERROR]


def test_plain_asyncio_reports_the_late_wakeup(caplog: pytest.LogCaptureFixture) -> None:
    asyncio.run(late_wakeup())  # what `capsule create` printed, now and then, under its real error
    assert any("Future.set_result" in m for m in asyncio_errors(caplog))


def test_the_late_wakeup_is_dropped(caplog: pytest.LogCaptureFixture) -> None:
    event_loop.run(late_wakeup())
    assert asyncio_errors(caplog) == []


def test_any_other_callback_error_is_still_reported(caplog: pytest.LogCaptureFixture) -> None:
    event_loop.run(real_error())
    assert any("Exception in callback" in m for m in asyncio_errors(caplog))


def test_run_returns_what_the_coroutine_returns() -> None:
    async def answer() -> int:
        return 42

    assert event_loop.run(answer()) == 42


async def test_the_terminal_ui_drops_the_late_wakeup_too(caplog: pytest.LogCaptureFixture) -> None:
    from support.tui_fakes import StubBackend
    from support.tui_pilot import SIZE, RecordingApp, loaded

    app = RecordingApp(StubBackend(), poll_seconds=3600)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app, pilot)
        await late_wakeup()
        await real_error()
    errors = asyncio_errors(caplog)
    assert not any("Future.set_result" in m for m in errors)
    assert any("Exception in callback" in m for m in errors)  # the real one still is
