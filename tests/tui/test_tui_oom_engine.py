"""OOMKilled in the list's STATUS, on the real local engine: a member limited to 8 MiB that
allocates ~50 MB on each of its first runs is killed by the kernel (cgroup memory limit),
the engine restarts it (restartPolicy Always, backing off), and the list says OOMKilled
while it loops, as k9s does; once it runs again (the engine has forgotten OOMKilled: its
State.OOMKilled is false at a start) the store still records the last termination as
OOMKilled (Kubernetes' lastState.terminated.reason).

The engine's side is read through the docker package as a second client.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from runtime.state.store import Store
from support.capsule_cli import cli, remove_capsule_leftovers
from support.tui_pilot import SIZE, RecordingApp, cell, loaded, names, until

OOM_RUNS = 5  # runs killed for memory before the member settles: backoffs of 0.1 .. 1.6 s


def hungry(name: str) -> str:
    # The first OOM_RUNS runs hold ~50 MB in a shell variable (over the 8 MiB limit); then it sleeps.
    # The count lives in the member's own filesystem, which a restart keeps.
    script = (f'n=$(cat /tmp/runs 2>/dev/null || echo 0); echo $((n + 1)) > /tmp/runs; '
              f'if [ "$n" -lt {OOM_RUNS} ]; then x=$(head -c 50000000 /dev/zero | tr "\\\\0" a); fi; exec sleep 600')
    return f"""\
apiVersion: beta
kind: capsule
metadata:
  name: {name}
spec:
  containers:
    - name: hog
      image: busybox:1.36
      command: ["sh", "-c", '{script}']
      resources:
        limits:
          memory: 8Mi
"""


@pytest.fixture
def hog(docker_engine, capsule_home: Path, unique_name: str, tmp_path: Path):
    source = tmp_path / "capsule.yaml"
    source.write_text(hungry(unique_name))
    done = cli("create", "--no-wait", "-f", str(source))
    assert done.returncode == 0, done.stderr
    yield unique_name
    cli("delete", unique_name)
    remove_capsule_leftovers(docker_engine.client, unique_name)


async def test_a_member_killed_for_memory_shows_oomkilled_and_the_store_keeps_it_after_the_restart(
        docker_engine, hog: str) -> None:
    name = hog
    member = docker_engine.client.containers.get(f"{name}.hog")
    seen: list[str] = []
    app = RecordingApp(poll_seconds=0.3)
    async with app.run_test(size=SIZE) as pilot:
        screen = await loaded(app, pilot)
        await pilot.press("slash", *name, "enter")
        await until(lambda: names(screen) == [name], pilot, timeout=30, what="the row")
        uuid = screen.current_uuid()

        def status() -> str:
            text = cell(screen, uuid, "status")
            if not seen or seen[-1] != text:
                seen.append(text)
            return text

        await until(lambda: status() == "OOMKilled", pilot, timeout=60, what=f"OOMKilled (seen: {seen})")
        # The engine's own word, read independently: it restarted the member after kills for memory.
        member.reload()
        assert member.attrs["RestartCount"] >= 1
        # It settles: running; the row is Running again.
        deadline = time.monotonic() + 90
        while True:
            member.reload()
            state = member.attrs["State"]
            if state["Running"] and member.attrs["RestartCount"] >= OOM_RUNS:
                break
            assert time.monotonic() < deadline, f"the member did not settle: {state}"
            await pilot.pause(0.5)
        # (This engine still says OOMKilled of a running member; newer ones reset it at a start,
        # and the list's cheap observation of a running member does not inspect it: the store keeps it.)
        await until(lambda: status() == "Running", pilot, timeout=30, what=f"Running again (seen: {seen})")
    with Store.open() as store:
        [record] = [r for r in store.find(name)]
        [row] = [c for c in store.containers(record.uuid) if c.member == "hog"]
    assert (row.state, row.last_termination) == ("running", "OOMKilled")
    assert "OOMKilled" in seen and seen[-1] == "Running"
