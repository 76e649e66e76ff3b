"""Benchmark: the terminal UI with 1,000 capsules over 3 hosts (issue 5).

Goals: first paint within 1.5 s of launch; with 1,000 capsules over 3 hosts a
refresh is applied within 200 ms and a key press is answered within 50 ms while
a refresh happens; resident memory at most 150 MB.

The hosts are 3 in-process fake engines (tests/support/fake_engine.py) serving 1,000
capsule sandboxes between them, under the real engine client, the real
CapsuleService (discovery, store reconcile) and the real app, run headless. In the
same run:

- first paint: a fresh process launches the app (`--child`) and reports when the
  list screen has been painted, and when the 1,000 rows are on it (less the time
  the child spends making the fake hosts' 1,000 containers, which a real launch
  does not do); the baseline is the same process launching a bare Textual app
  with an empty DataTable;
- refresh applied: a new snapshot (every age changed, or one capsule more, which
  redraws the table) from message to painted screen;
- key latency while a refresh runs, two ways, and the goal is checked against the
  worse of them: (1) keys sent every 40 ms while the refresh worker asks the 3
  hosts, reconciles the store and the rows are applied and painted, each timed from
  the key event to the screen painted with the cursor moved: the worst of them;
  (2) how long the event loop is held at a stretch (sampled every millisecond)
  during a refresh without keys, plus the time a key takes when nothing else runs
  (event to painted answer) — a key waits at most about that long. pilot.press's
  own time (which adds its idle waits) is shown too;
- keys between refreshes (printed, not a goal): sort (s; C, M by CPU, MEM), open the filter, type a
  letter (most rows hidden), clear it (they come back), page down;
- memory: the peak resident size of the child process (the app alone, with its
  1,000 rows and the figures of the rows on screen) and of the bare Textual baseline;
- the live CPU and memory columns are on throughout (the fake hosts answer one-shot
  stats): every measured refresh has a usage round (the rows on screen) started beside
  it, and a round alone is timed with the longest stretch it holds the loop.

    .venv/bin/python bench/bench_tui.py [--capsules 1000] [--runs 5]

Figures move with the machine's load; compare the ratios. Exits 1 when a goal is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

GOAL_FIRST_PAINT = 1.5
GOAL_APPLY = 0.200
GOAL_KEY = 0.050
GOAL_RSS_MB = 150.0
SIZE = (160, 50)


def quiet_fake_engine():  # type: ignore[no-untyped-def]
    """A FakeEngine class with what the app's watcher needs of a host, as a real engine has it.

    - `GET /events` answers with a stream that stays open and silent (an idle engine's):
      the plain fake answers 404, and the app's watcher would then re-sweep every host
      (1,000 inspects) after each failed attempt, a load no real host causes;
    - an inspect finds its container by id, not by scanning 1,000, and a list answer is
      made once per distinct query: a real engine's work happens in its own process, not
      on the app's event loop, so the fake's should cost little;
    - every answer first yields to the event loop once, as reading a socket does: a fake
      that answers without ever suspending would run 1,000 inspects back to back on the
      loop, a stall no real host causes (the app's own work between the calls still counts).
    """
    import httpx

    from tests.support.fake_engine import FakeEngine

    class Silence(httpx.AsyncByteStream):
        async def __aiter__(self):  # type: ignore[no-untyped-def, override]
            await asyncio.Event().wait()
            yield b""

    class QuietFakeEngine(FakeEngine):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            await asyncio.sleep(0)
            if request.url.path.endswith("/events") and self.behaviour == "ok":
                self.requests.append(f"{request.method} {request.url.path}")
                return httpx.Response(200, stream=Silence(), request=request)
            return await super().handle_async_request(request)

        def _route(self, request: httpx.Request) -> httpx.Response:
            path = request.url.path
            if request.method == "GET" and path.endswith("/containers/json"):
                answers = self.__dict__.setdefault("_answers", {})
                key = (str(request.url.query), len(self.containers))
                if key not in answers:
                    answers[key] = json.dumps(self._list(request)).encode()
                return httpx.Response(200, content=answers[key], request=request,
                                      headers={"Content-Type": "application/json"})
            if request.method == "GET" and path.endswith("/stats") and "/containers/" in path:
                # A one-shot reading whose counters move: a quarter of a core busy, 7 MiB in use.
                ticks = self.__dict__.setdefault("_ticks", {})
                key = path.rsplit("/", 2)[-2]
                ticks[key] = tick = ticks.get(key, 0) + 1
                body = {"cpu_stats": {"cpu_usage": {"total_usage": tick * 500_000_000},
                                      "system_cpu_usage": tick * 4_000_000_000, "online_cpus": 2},
                        "memory_stats": {"usage": 8 << 20, "stats": {"total_inactive_file": 1 << 20}}}
                return httpx.Response(200, content=json.dumps(body).encode(), request=request,
                                      headers={"Content-Type": "application/json"})
            if request.method == "GET" and path.endswith("/json") and "/containers/" in path:
                key = path.rsplit("/", 2)[-2]
                by_id = {c.id: c for c in self.containers} if len(getattr(self, "_by_id", ())) != len(
                    self.containers) else self._by_id
                self._by_id = by_id
                if key in by_id:
                    body = json.dumps(by_id[key].inspect()).encode()
                    return httpx.Response(200, content=body, request=request,
                                          headers={"Content-Type": "application/json"})
            return super()._route(request)

    return QuietFakeEngine


def fake_backend(capsules: int, state_dir: Path):
    """A Backend over the real service, whose 3 hosts are fake engines holding `capsules`."""
    from capsule_tui.backend import Backend
    from runtime.engine.client import EngineClient
    from runtime.hosts.settings import HostSettings
    from runtime.service import CapsuleService
    from runtime.state.store import Store
    from tests.support.fake_engine import capsule_sandbox

    names = ("h1", "h2", "h3")
    engine_class = quiet_fake_engine()
    engines = {name: engine_class() for name in names}
    for number in range(capsules):
        host = names[number % len(names)]
        name = f"c{number:04d}"
        spec = {"apiVersion": "beta", "kind": "capsule",
                "metadata": {"name": name, "labels": {"app": f"app{number % 20}", "tier": "web"}},
                "spec": {"containers": [{"name": "main", "image": "busybox:1.36"}]}}
        engines[host].containers.append(capsule_sandbox(name, spec))
    hosts = [HostSettings(name, f"tcp://127.0.0.1:{23750 + i}") for i, name in enumerate(names)]

    async def connect(host: HostSettings) -> EngineClient:
        return await EngineClient.connect(host.url, name=host.name, transport=engines[host.name])

    service = CapsuleService(hosts, store=Store.open(state_dir / "state.db"), engine_factory=connect)
    return Backend(service)


# --- the child: launch, paint, report ------------------------------------------------------


async def child(mode: str, started: float, capsules: int) -> None:
    from textual.app import App
    from textual.widgets import DataTable

    if mode == "bare":
        class Bare(App[None]):
            def compose(self):
                yield DataTable()

        app: App = Bare()
    else:
        # Making 1,000 fake containers is the benchmark's own work, not the app's: timed apart.
        # What the app imports (the service, the store, the engine client) is the app's, and
        # counts: imported here, before that clock starts.
        import capsule_tui.backend  # noqa: E401, F401
        from capsule_tui.app import CapsuleApp

        setup_started = time.time()
        backend = fake_backend(capsules, Path(tempfile.mkdtemp()))
        setup = time.time() - setup_started
        app = CapsuleApp(backend, poll_seconds=3600)
    result: dict[str, float] = {"setup": setup if mode != "bare" else 0.0}
    async with app.run_test(headless=True, size=SIZE) as pilot:
        # First paint: the first screen (the list, for capsule) has been drawn once.
        painted = asyncio.Event()
        if mode != "bare":
            from capsule_tui.screens.capsule_list import CapsuleListScreen

            while not (isinstance(app.screen, CapsuleListScreen) and app.screen.is_mounted):
                await asyncio.sleep(0.001)
        app.screen.call_after_refresh(painted.set)
        await painted.wait()
        result["first_paint"] = time.time() - started - result["setup"]
        if mode != "bare":

            while not (isinstance(app.screen, CapsuleListScreen) and app.screen.table.row_count == capsules):
                await asyncio.sleep(0.005)
            await pilot.pause()
            result["rows"] = time.time() - started - result["setup"]
            result["rss_rows_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            # The live CPU and memory columns: memory is taken once the rows on screen have figures.
            deadline = time.time() + 10
            while not any(cell != "-" for cell in _usage_cells(app.screen)) and time.time() < deadline:
                await asyncio.sleep(0.01)
    result["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def _usage_cells(screen) -> list[str]:  # type: ignore[no-untyped-def]
    """The MEM cells of the rows on screen (list_usage.py samples those)."""
    return [str(screen.table.get_cell(uuid, "mem")) for uuid in screen.rows_on_screen()]


def launch(mode: str, capsules: int) -> dict[str, float]:
    started = time.time()
    done = subprocess.run([sys.executable, __file__, "--child", mode, "--started", repr(started),
                           "--capsules", str(capsules)], capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise SystemExit(f"the {mode} child failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- in this process: refresh applied, loop stalls, key time --------------------------------


async def loop_stalls(stop: asyncio.Event) -> list[float]:
    """How late each 1 ms sleep wakes: the longest is the longest a key had to wait."""
    gaps = []
    while not stop.is_set():
        before = time.perf_counter()
        await asyncio.sleep(0.001)
        gaps.append(time.perf_counter() - before - 0.001)
    return gaps


async def applied(screen, before) -> None:  # type: ignore[no-untyped-def]
    """Until a snapshot newer than `before` is on the screen: taken, every row written, and
    the last part painted. (Any newer one: a refresh the app started itself meanwhile, e.g.
    for an event, may overtake the one posted.)"""
    while screen.snapshot is before or screen.busy("apply"):
        await asyncio.sleep(0.001)
    painted = asyncio.Event()
    screen.call_after_refresh(painted.set)
    await painted.wait()


async def key_effect(app, screen, key: str) -> float:  # type: ignore[no-untyped-def]
    """Seconds from a key event to the screen painted with its effect (anything it changes:
    the sort, the filter, the focus, the cursor or the scroll)."""
    from textual import events

    def state():  # type: ignore[no-untyped-def]
        table = screen.table
        return (screen.order, screen.chosen.text, app.focused, table.cursor_row, table.scroll_y, table.row_count)

    before = state()
    painted = asyncio.Event()
    started = time.perf_counter()
    app.post_message(events.Key(key, key if len(key) == 1 else None))
    while state() == before:
        if time.perf_counter() - started > 10:
            raise SystemExit(f"bench_tui: the key {key!r} changed nothing in 10 s (focus: {app.focused})")
        await asyncio.sleep(0)
    screen.call_after_refresh(painted.set)
    await painted.wait()
    return time.perf_counter() - started


# Keys a user presses between refreshes, each timed as key_effect: sort (s, twice; C by CPU and
# M by MEM, the sampled figures of the rows on screen first; s back to the name), open
# the filter, type a letter (hides most of the 1,000 rows), clear it (they come back),
# page down twice.
BROWSING_KEYS = (("sort", "s"), ("sort", "s"), ("sort by CPU", "C"), ("sort by MEM", "M"), ("sort", "s"),
                 ("open filter", "slash"), ("filter typed", "1"),
                 ("filter cleared", "escape"), ("page down", "pagedown"), ("page down", "pagedown"))


async def keys_meanwhile(app, screen, stop: asyncio.Event) -> list[float]:  # type: ignore[no-untyped-def]
    """Keys every 40 ms until `stop`, each timed from event to painted answer."""
    answers = []
    while not stop.is_set():
        await asyncio.sleep(0.04)
        key = "down" if screen.table.cursor_row < 10 else "up"
        answers.append(await key_effect(app, screen, key))
    return answers


async def in_process(capsules: int, runs: int) -> dict[str, list[float]]:
    from capsule_tui.app import CapsuleApp
    from capsule_tui.screens.capsule_list import CapsuleListScreen
    from runtime.views import CapsuleView

    figures: dict[str, list[float]] = {"apply_in_place": [], "apply_redraw": [], "refresh_total": [],
                                       "longest_stall": [], "key_idle": [], "key_pilot": [],
                                       "keys_during_refresh": []}
    backend = fake_backend(capsules, Path(tempfile.mkdtemp()))
    app = CapsuleApp(backend, poll_seconds=3600)
    async with app.run_test(headless=True, size=SIZE) as pilot:
        while not (isinstance(app.screen, CapsuleListScreen) and app.screen.table.row_count == capsules):
            await pilot.pause(0.01)
        screen = app.screen
        for run in range(runs):
            # A refresh under way: how long is the loop held at a stretch?
            stop = asyncio.Event()
            probe = asyncio.ensure_future(loop_stalls(stop))
            started = time.perf_counter()
            before = screen.snapshot
            sample = screen.sample_usage(screen.rows_on_screen())  # the usage columns' round, beside it
            worker = screen.refresh_capsules()
            await worker.wait()
            await applied(screen, before)
            figures["refresh_total"].append(time.perf_counter() - started)
            await sample.wait()
            stop.set()
            figures["longest_stall"].append(max(await probe))
            # The same again with keys pressed meanwhile (not timed for the stall above).
            stop = asyncio.Event()
            keys = asyncio.ensure_future(keys_meanwhile(app, screen, stop))
            before = screen.snapshot
            sample = screen.sample_usage(screen.rows_on_screen())
            worker = screen.refresh_capsules()
            await worker.wait()
            await applied(screen, before)
            stop.set()
            figures["keys_during_refresh"].extend(await keys)
            await sample.wait()
            # A usage round alone: how long, and the longest stretch it holds the loop.
            stop = asyncio.Event()
            probe = asyncio.ensure_future(loop_stalls(stop))
            started = time.perf_counter()
            await screen.sample_usage(screen.rows_on_screen()).wait()
            figures.setdefault("usage_round", []).append(time.perf_counter() - started)
            stop.set()
            figures.setdefault("usage_stall", []).append(max(await probe))
            # Applying a snapshot: every age changed (in place), then one capsule more (redraw).
            snapshot = await backend.snapshot()
            for view in snapshot.capsules:
                view.age_seconds += 60 * (run + 1)
            before = screen.snapshot
            started = time.perf_counter()
            screen.post_message(CapsuleListScreen.Refreshed(snapshot))
            await applied(screen, before)
            figures["apply_in_place"].append(time.perf_counter() - started)
            extra = CapsuleView(name=f"zz-extra-{run}", host="h1", status="Running", reason="", ready="1/1",
                                restarts=0, ip=None, age_seconds=1, uuid=f"extra-{run}")
            snapshot = dataclasses.replace(snapshot, capsules=[*snapshot.capsules, extra])
            before = screen.snapshot
            started = time.perf_counter()
            screen.post_message(CapsuleListScreen.Refreshed(snapshot))
            await applied(screen, before)
            figures["apply_redraw"].append(time.perf_counter() - started)
            # A key when nothing else runs: event to painted answer, then through the pilot.
            await pilot.pause()
            figures["key_idle"].append(await key_effect(app, screen, "down" if run % 2 == 0 else "up"))
            row = screen.table.cursor_row
            started = time.perf_counter()
            await pilot.press("down" if run % 2 == 0 else "up")
            figures["key_pilot"].append(time.perf_counter() - started)
            assert screen.table.cursor_row != row
        # Keys between refreshes (no refresh under way; the watcher runs as in the app).
        for _ in range(runs):
            for name, key in BROWSING_KEYS:
                if key == "pagedown" and screen.table.cursor_row >= screen.table.row_count - 100:
                    screen.table.move_cursor(row=0, animate=False)  # a sort may have taken it to the end
                await asyncio.sleep(0.3)
                figures.setdefault(f"browse:{name}", []).append(await key_effect(app, screen, key))
    return figures


async def bare_table_stalls(rows: int, runs: int) -> list[float]:
    """Baseline: a bare Textual DataTable of `rows` rows, 8 columns, every age changed
    (update_cell, as the documentation shows) and painted: the longest stall of each run.

    What Textual itself costs to change and repaint a screenful of rows; the capsule
    list's refresh does that and more (asking hosts, the store, arranging rows).
    """
    from textual.app import App
    from textual.widgets import DataTable

    class Bare(App[None]):
        def compose(self):
            yield DataTable(cursor_type="row", zebra_stripes=True)

    stalls = []
    app = Bare()
    async with app.run_test(headless=True, size=SIZE) as pilot:
        table = app.query_one(DataTable)
        for key in ("mark", "name", "status", "host", "ip", "ready", "restarts", "age"):
            table.add_column(key.upper(), key=key)
        for n in range(rows):
            table.add_row("", f"capsule-{n:04d}", "Running", f"h{n % 3}", f"172.17.{n // 250}.{n % 250}", "1/1",
                          "0", "5s", key=str(n))
        await pilot.pause()
        for run in range(runs):
            stop = asyncio.Event()
            probe = asyncio.ensure_future(loop_stalls(stop))
            await asyncio.sleep(0.01)
            for n in range(rows):
                table.update_cell(str(n), "age", f"{7 + 2 * run}s")
            await pilot.pause()
            await pilot.pause()
            stop.set()
            stalls.append(max(await probe))
    return stalls


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--capsules", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--child", choices=("capsule", "bare"))
    parser.add_argument("--started", type=float)
    args = parser.parse_args()
    if args.child:
        asyncio.run(child(args.child, args.started, args.capsules))
        return 0

    paints = [launch("capsule", args.capsules) for _ in range(args.runs)]
    bare = [launch("bare", args.capsules) for _ in range(args.runs)]
    inside = asyncio.run(in_process(args.capsules, args.runs))
    bare_stall = median(asyncio.run(bare_table_stalls(args.capsules, args.runs)))

    first_paint = median([p["first_paint"] for p in paints])
    bare_paint = median([p["first_paint"] for p in bare])
    rows = median([p["rows"] for p in paints])
    rss = max(p["rss_mb"] for p in paints)
    bare_rss = max(p["rss_mb"] for p in bare)
    apply_worst = max(median(inside["apply_in_place"]), median(inside["apply_redraw"]))
    stall_and_key = median(inside["longest_stall"]) + median(inside["key_idle"])
    worst_key = max(inside["keys_during_refresh"], default=float("inf"))
    key_wait = max(stall_and_key, worst_key)
    checks = [
        ("first paint", first_paint, GOAL_FIRST_PAINT, "s"),
        ("refresh applied", apply_worst, GOAL_APPLY, "s"),
        ("key answered while refreshing", key_wait, GOAL_KEY, "s"),
        ("resident memory", rss, GOAL_RSS_MB, "MB"),
    ]
    print(f"capsule TUI, {args.capsules} capsules over 3 fake hosts, {args.runs} runs (medians)")
    print(f"  first paint            {first_paint:7.3f} s   bare Textual app {bare_paint:7.3f} s "
          f"(ratio {first_paint / bare_paint:.2f})")
    print(f"  all rows shown         {rows:7.3f} s   (includes asking the 3 hosts and filling the store)")
    print(f"  (fake hosts made in    {median([p['setup'] for p in paints]):7.3f} s, not counted above)")
    print(f"  refresh, whole         {median(inside['refresh_total']):7.3f} s   (worker: hosts, store, apply)")
    print(f"  apply in place         {median(inside['apply_in_place']):7.3f} s")
    print(f"  apply with redraw      {median(inside['apply_redraw']):7.3f} s")
    print(f"  longest loop stall     {median(inside['longest_stall']):7.3f} s   (during a refresh)   bare "
          f"DataTable, every age changed {bare_stall:.3f} s (ratio {median(inside['longest_stall']) / bare_stall:.2f})")
    print(f"  key, nothing running   {median(inside['key_idle']):7.3f} s   (key event to painted answer; "
          f"pilot.press {median(inside['key_pilot']):.3f} s)")
    during = inside["keys_during_refresh"]
    print(f"  keys during a refresh  {median(during):7.3f} s   median, {worst_key:.3f} s "
          f"worst of {len(during)} (event to painted answer)")
    print(f"  stall + idle key       {stall_and_key:7.3f} s")
    print(f"  usage round            {median(inside['usage_round']):7.3f} s   (CPU and MEM of the rows on "
          f"screen; longest loop stall in it {median(inside['usage_stall']):.3f} s)")
    print(f"  resident memory (peak) {rss:7.1f} MB  bare Textual app {bare_rss:7.1f} MB")
    browsing = {name.split(":", 1)[1]: values for name, values in inside.items() if name.startswith("browse:")}
    print("  keys between refreshes (key event to painted effect; median, worst): " + ", ".join(
        f"{name} {median(values):.3f}/{max(values):.3f} s" for name, values in browsing.items()))
    missed = [(name, value, goal, unit) for name, value, goal, unit in checks if value > goal]
    for name, value, goal, unit in checks:
        verdict = "ok" if value <= goal else "MISSED"
        print(f"goal {name}: {value:.3f} {unit} (goal {goal} {unit}) {verdict}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
