"""Creates that go on while the user does something else: the create screen hands its capsules here.

ctrl+s on the create screen closes it at once. The capsules' rows are in the list
from the start, Starting (create writes each row before it builds: runtime.create_flow),
and go Running (or Failed) there. `CreateJobs`, one per app (`app.creates`), runs each
create in an app worker (group "create", so it outlives the screen that asked),
keeps the latest progress line of each capsule for the line under the list
(widgets/create_progress.py), and ends with a notification: Running on which
host, or failed and why — and, when the failure left a Failed row in the list,
what that row is.

Quitting while one runs asks first (`quit`): what is in flight, and that yes stops
it — a build that is cut short removes what it made and its row says it was
interrupted; a capsule already built, waiting to run, stays listed. On the way out
`stop_all` cancels what is left and waits for that clean-up, within STOP_SECONDS,
before the app closes the service's connections (CapsuleApp.on_unmount).

The text of a create that failed is kept as the draft: `c` opens it again to fix.
Nothing here imports the runtime at module level (the app starts without it).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rich.text import Text

from capsule_tui.formatters.safe_text import shown

if TYPE_CHECKING:
    from textual.app import App
    from textual.worker import Worker

    from translate.translation import Translation

# Removing what a cut-short build made takes a few engine calls; a hung host must not hold the exit.
STOP_SECONDS = 30.0
FAILED_TIMEOUT = 20  # seconds a failure's notification stays: it carries the reason to read


@dataclass(frozen=True)
class Draft:
    text: str
    file: str


@dataclass
class CreateJob:
    names: list[str]
    draft: Draft
    lines: dict[str, str] = field(default_factory=dict)  # capsule → the latest thing it is doing
    worker: Worker | None = None


class CreateJobs:
    def __init__(self, app: App) -> None:
        self.app = app
        self.jobs: list[CreateJob] = []
        self.stopping = False
        self._draft: Draft | None = None
        self._listeners: list[Callable[[bool], None]] = []

    # -- what the list's progress line reads -----------------------------------

    def listen(self, callback: Callable[[bool], None]) -> None:
        """`callback(rows)` after every step; `rows`: the store's rows changed too (a capsule's
        first step means its Starting row is written; the end, that it settled)."""
        self._listeners.append(callback)

    def unlisten(self, callback: Callable[[bool], None]) -> None:
        with contextlib.suppress(ValueError):
            self._listeners.remove(callback)

    def _changed(self, rows: bool = False) -> None:
        for callback in list(self._listeners):
            callback(rows)

    def progress_text(self) -> Text:
        """One line per capsule being created: its name and the latest step (engine words, escaped)."""
        text = Text()
        for job in self.jobs:
            for name in job.names:
                text.append(f"creating {shown(name)}", style="bold")
                text.append(f": {shown(job.lines.get(name, 'placing'))}\n")
            for name, line in job.lines.items():
                if name not in job.names:  # the application's own steps (its Services)
                    text.append(f"{shown(line)}\n", style="dim")
        text.rstrip()
        return text

    def take_draft(self) -> Draft | None:
        draft, self._draft = self._draft, None
        return draft

    # -- running ------------------------------------------------------------------

    def start(self, translation: Translation, text: str, file: str) -> None:
        job = CreateJob([c.name for c in translation.capsules], Draft(text, file))
        self.jobs.append(job)
        self._changed()
        names = ", ".join(job.names) or ("the services" if translation.services else "the ConfigMaps and Secrets")
        self.app.notify(shown(f"creating {names}: its row in the list goes Starting → Running; "
                              f"progress shows under the list"), title="create")
        job.worker = self.app.run_worker(self._run(job, translation), name=f"create {names}", group="create",
                                         description=f"creating {names}", exit_on_error=False)

    async def _run(self, job: CreateJob, translation: Translation) -> None:
        from runtime.create_flow import CreateErrors
        from runtime.errors import CapsuleError

        def on_progress(capsule: str, event: Any) -> None:
            container = getattr(event, "container", "")
            who = f"{getattr(event, 'kind', '')} {container}: " if container else ""
            first = capsule not in job.lines
            job.lines[capsule] = f"{who}{getattr(event, 'text', event)}"
            self._changed(rows=first)

        backend = self.app.backend  # type: ignore[attr-defined]
        try:
            results = await backend.create(translation, on_progress)
        except CreateErrors as exc:
            results = exc.results
        except CapsuleError as exc:  # one capsule (or the input) failed
            await self._failed(job, job.names[0] if len(job.names) == 1 else "", exc)
            return
        except Exception as exc:  # noqa: BLE001 - a bug: said, not a crash of the UI
            await self._failed(job, "", exc)
            return
        finally:
            self.jobs.remove(job)
            self._changed(rows=True)
        done = [f"{r.name} {r.status} on {r.host}" for r in results if r.error is None]
        # Resolved, so stored (by the backend, as capsule create -f stores them), whatever the builds did.
        stored = [f"{o.kind.lower()}/{o.name} in namespace {o.namespace}" for o in translation.config_objects]
        if done or stored:
            said = [f"created {', '.join(done)}"] if done else []
            said += [f"stored {', '.join(stored)}"] if stored else []
            self.app.notify(shown("; ".join(said)), title="create")
        for result in results:
            if result.error is not None:
                await self._failed(job, result.name, result.error)

    async def _failed(self, job: CreateJob, name: str, error: BaseException) -> None:
        """Say why, what the Failed row left in the list is (when one is), and keep the text to fix."""
        message = str(error) or type(error).__name__
        host = None
        if name:
            with contextlib.suppress(Exception):  # the reason matters more than the note on the row
                host = await self.app.backend.failed_create_host(name)  # type: ignore[attr-defined]
        if host is not None:
            message += (f". The Failed row {name} on {host} in the list only records this failed create: "
                        f"nothing of it runs (ctrl+d removes the row; creating {name} again replaces it)")
        self._draft = job.draft
        message += ". c opens the YAML again to fix it"
        self.app.notify(message, title=f"create of {name} failed" if name else "create failed",
                        severity="error", timeout=FAILED_TIMEOUT)

    # -- quitting -------------------------------------------------------------------

    def quit(self) -> None:
        """`q` / ctrl+c: at once when nothing is being created; else ask, saying what is in flight."""
        from capsule_tui.screens.confirm_delete import ConfirmScreen

        if not self.jobs or self.stopping:
            self.app.exit()
            return
        names = ", ".join(n for job in self.jobs for n in job.names)
        note = ("y stops it: what a build has made so far is removed, and its row in the list says it was "
                "interrupted; a capsule already built stays and is listed. n goes back, and the create goes on.")

        def answered(yes: bool | None) -> None:
            if yes:
                self.app.run_worker(self._stop_then_exit(), group="quit", description="stopping the creates",
                                    exit_on_error=False)

        self.app.push_screen(ConfirmScreen(shown(f"Quit while creating {names}?"), self.progress_text(), note,
                                           yes="Stop and quit (y)"), answered)

    async def _stop_then_exit(self) -> None:
        names = ", ".join(n for job in self.jobs for n in job.names)
        if names:  # (it may have ended while the question was asked)
            self.app.notify(shown(f"stopping the create of {names}: removing what it made…"), title="quit")
        await self.stop_all()
        self.app.exit()

    async def stop_all(self) -> None:
        """Cancel every create and wait (STOP_SECONDS at most) until each has cleaned up."""
        self.stopping = True
        workers = [job.worker for job in self.jobs if job.worker is not None]
        for worker in workers:
            worker.cancel()

        async def ended(worker: Worker) -> None:
            with contextlib.suppress(Exception):  # WorkerCancelled, WorkerFailed: it has ended
                await worker.wait()

        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(asyncio.gather(*(ended(w) for w in workers)), STOP_SECONDS)
