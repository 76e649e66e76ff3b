"""runtime/event_loop.py: a cancelled future woken late by a socket reader is not reported
as an error; every other exception in a callback still is (asyncio's default handler)."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import threading

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


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_a_stop_signal_cancels_the_coroutine_as_ctrl_c_does(signum: int) -> None:
    cleaned_up: list[bool] = []

    async def long_job() -> None:
        try:
            os.kill(os.getpid(), signum)  # delivered to the loop's handler, not the default (death)
            await asyncio.sleep(30)
        finally:
            cleaned_up.append(True)

    with pytest.raises(event_loop.Interrupted) as raised:
        event_loop.run(long_job())
    assert raised.value.signum == signum and cleaned_up == [True]
    assert signal.getsignal(signum) == signal.SIG_DFL  # the handler does not outlive the run


def test_run_works_from_a_thread_too() -> None:
    """The store's thread sends webhooks with run(): signals stay with the main thread there."""
    async def answer() -> int:
        return 7

    results: list[object] = []
    worker = threading.Thread(target=lambda: results.append(event_loop.run(answer())))
    worker.start()
    worker.join(10)
    assert results == [7]
