"""Benchmark: the terminal UI with 1,000 capsules over 3 hosts (issue 5).

Goals: first paint within 1.5 s of launch; with 1,000 capsules over 3 hosts a
refresh is applied within 200 ms and a key press is answered within 50 ms while
a refresh happens; resident memory at most 150 MB.

The hosts are 3 in-process fake engines (runtime/fake_engine.py) serving 1,000
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
- key latency while a refresh runs: how long the event loop is held at a stretch
  (sampled every millisecond) while the refresh worker asks the 3 hosts and
  reconciles the store, plus the time a key takes when nothing else runs — a key
  waits at most that long;
- memory: the peak resident size of the child process (the app alone, with its
  1,000 rows) and of the bare Textual baseline.

    .venv/bin/python bench/bench_tui.py [--capsules 1000] [--runs 5]

Figures move with the machine's load; compare the ratios. Exits 1 when a goal is missed.
"""

from __future__ import annotations

import argparse
import asyncio
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


def fake_backend(capsules: int, state_dir: Path):
    """A Backend over the real service, whose 3 hosts are fake engines holding `capsules`."""
    from capsule_tui.backend import Backend
    from runtime.engine_client import EngineClient
    from runtime.fake_engine import FakeEngine, capsule_sandbox
    from runtime.hosts import HostSettings
    from runtime.service import CapsuleService
    from runtime.store import Store

    names = ("h1", "h2", "h3")
    engines = {name: FakeEngine() for name in names}
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
        from capsule_tui.app import CapsuleApp

        # Making 1,000 fake containers is the benchmark's own work, not the app's: timed apart.
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
    result["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


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


async def in_process(capsules: int, runs: int) -> dict[str, list[float]]:
    from capsule_tui.app import CapsuleApp
    from capsule_tui.screens.capsule_list import CapsuleListScreen
    from runtime.views import CapsuleView

    figures: dict[str, list[float]] = {"apply_in_place": [], "apply_redraw": [], "refresh_total": [],
                                       "longest_stall": [], "key_idle": []}
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
            worker = screen.refresh_capsules()
            await worker.wait()
            await pilot.pause()
            figures["refresh_total"].append(time.perf_counter() - started)
            stop.set()
            figures["longest_stall"].append(max(await probe))
            # Applying a snapshot: every age changed (in place), then one capsule more (redraw).
            snapshot = await backend.snapshot()
            for view in snapshot.capsules:
                view.age_seconds += 60 * (run + 1)
            started = time.perf_counter()
            screen.post_message(CapsuleListScreen.Refreshed(snapshot))
            await pilot.pause()
            figures["apply_in_place"].append(time.perf_counter() - started)
            extra = CapsuleView(name=f"zz-extra-{run}", host="h1", status="Running", reason="", ready="1/1",
                                restarts=0, ip=None, age_seconds=1, uuid=f"extra-{run}")
            snapshot.capsules.append(extra)
            started = time.perf_counter()
            screen.post_message(CapsuleListScreen.Refreshed(snapshot))
            await pilot.pause()
            figures["apply_redraw"].append(time.perf_counter() - started)
            # A key when nothing else runs.
            row = screen.table.cursor_row
            started = time.perf_counter()
            await pilot.press("down" if run % 2 == 0 else "up")
            figures["key_idle"].append(time.perf_counter() - started)
            assert screen.table.cursor_row != row
    return figures


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

    first_paint = median([p["first_paint"] for p in paints])
    bare_paint = median([p["first_paint"] for p in bare])
    rows = median([p["rows"] for p in paints])
    rss = max(p["rss_mb"] for p in paints)
    bare_rss = max(p["rss_mb"] for p in bare)
    apply_worst = max(median(inside["apply_in_place"]), median(inside["apply_redraw"]))
    key_wait = median(inside["longest_stall"]) + median(inside["key_idle"])
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
    print(f"  longest loop stall     {median(inside['longest_stall']):7.3f} s   (during a refresh)")
    print(f"  key, nothing running   {median(inside['key_idle']):7.3f} s")
    print(f"  resident memory (peak) {rss:7.1f} MB  bare Textual app {bare_rss:7.1f} MB")
    missed = [(name, value, goal, unit) for name, value, goal, unit in checks if value > goal]
    for name, value, goal, unit in checks:
        verdict = "ok" if value <= goal else "MISSED"
        print(f"goal {name}: {value:.3f} {unit} (goal {goal} {unit}) {verdict}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
