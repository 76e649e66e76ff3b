"""Creating from the terminal UI on the real local engine (issue 13, items 3 and 14).

The create runs on behind the list: its row is seen Starting, then Running; a pull
that fails says what the Failed row is; a name in use is said by the preview;
quitting mid-create asks, and yes leaves nothing on the engine. Every claim about
containers is checked through the docker package as a second client.
"""

from __future__ import annotations

from textual.widgets import Static

from capsule_tui.screens.capsule_list import CapsuleListScreen
from capsule_tui.screens.confirm_delete import ConfirmScreen
from capsule_tui.screens.create_capsule import CreateCapsuleScreen
from capsule_tui.widgets.create_progress import CreateProgress
from support.engines import remove_test_objects
from support.tui_pilot import SIZE, RecordingApp, capsule_yaml, loaded, until


def slow_capsule(name: str, seconds: int, image: str = "busybox:1.36") -> str:
    """A capsule whose init container takes `seconds`: it is Starting at least that long."""
    return f"""\
apiVersion: beta
kind: capsule
metadata:
  name: {name}
spec:
  initContainers:
    - name: wait
      image: busybox:1.36
      command: ["sleep", "{seconds}"]
  containers:
    - name: main
      image: {image}
      command: ["sleep", "600"]
"""


def status_of(screen: CapsuleListScreen, name: str) -> str | None:
    return next((v.status for v in (screen.snapshot.capsules if screen.snapshot else []) if v.name == name), None)


async def create_from_the_screen(app: RecordingApp, pilot, text: str, name: str) -> CapsuleListScreen:
    screen = await loaded(app, pilot)
    await pilot.press("c")
    create = app.screen
    assert isinstance(create, CreateCapsuleScreen)
    create.editor.load_text(text)
    validation = create.query_one("#validation", Static)
    await until(lambda: f"✓ valid: 1 capsule ({name})" in str(validation.render()), pilot, what="a valid capsule")
    await pilot.press("ctrl+s")
    return screen


async def test_a_capsule_created_from_the_ui_is_seen_starting_then_running(docker_engine, capsule_home,
                                                                          unique_name) -> None:
    """Issue 13, item 3: create was modal until Running; the capsule was never seen Starting."""
    label = f"capsule.name={unique_name}"
    try:
        # No polling to speak of: the row comes from the create's own word (CreateProgress.RowsChanged).
        app = RecordingApp(poll_seconds=60)
        async with app.run_test(size=SIZE) as pilot:
            screen = await create_from_the_screen(app, pilot, slow_capsule(unique_name, 4), unique_name)
            # Handed to the list at once, long before the init container's 4 s are over.
            await until(lambda: app.screen is screen, pilot, timeout=3, what="the list, at once")
            await until(lambda: status_of(screen, unique_name) == "Starting", pilot, timeout=3,
                        what="the row Starting")
            progress = screen.query_one(CreateProgress)
            assert progress.display and f"creating {unique_name}" in str(progress.render())
            await until(lambda: status_of(screen, unique_name) == "Running", pilot, timeout=60,
                        what="the row Running")
            await until(lambda: any(m == f"created {unique_name} Running on local" for _, m in app.notes), pilot,
                        timeout=10, what="the notification")
            assert not progress.display
            assert not [m for s, m in app.notes if s == "error"], app.notes
        assert len(docker_engine.client.containers.list(ignore_removed=True, filters={"label": label})) == 2  # sandbox + member
    finally:
        remove_test_objects(docker_engine.client, name_prefix=unique_name)


async def test_a_failed_pull_says_what_its_failed_row_is_and_leaves_nothing_on_the_engine(
        docker_engine, capsule_home, unique_name) -> None:
    """Issue 13, item 14: a failed pull left a Failed row in the list that nothing explained."""
    label = f"capsule.name={unique_name}"
    image = f"capsule-test/{unique_name}-not-there:1"  # no registry is reachable: the pull fails
    try:
        app = RecordingApp(poll_seconds=0.5)
        async with app.run_test(size=SIZE) as pilot:
            text = capsule_yaml(unique_name).replace("busybox:1.36", image)
            screen = await create_from_the_screen(app, pilot, text, unique_name)
            await until(lambda: any(s == "error" for s, _ in app.notes), pilot, timeout=60, what="the failure")
            [failure] = [m for s, m in app.notes if s == "error"]
            assert image in failure, failure
            assert (f"The Failed row {unique_name} on local in the list only records this failed create: "
                    f"nothing of it runs") in failure
            assert "c opens the YAML again" in failure
            await until(lambda: status_of(screen, unique_name) == "Failed", pilot, timeout=10, what="the Failed row")
            assert docker_engine.client.containers.list(ignore_removed=True, all=True, filters={"label": label}) == []
            # `c` opens the failed YAML again, to fix.
            await pilot.press("c")
            assert isinstance(app.screen, CreateCapsuleScreen) and image in app.screen.editor.text
    finally:
        remove_test_objects(docker_engine.client, name_prefix=unique_name)


async def test_the_preview_says_the_name_is_taken_on_which_host(docker_engine, capsule_home, unique_name) -> None:
    """Issue 13, item 14: a duplicate name passed the preview and failed only at ctrl+s."""
    from runtime.service import CapsuleService
    from translate.translation import translate_text

    try:
        async with CapsuleService() as service:
            await service.create(translate_text(capsule_yaml(unique_name), "made.yaml"), wait=False)
        app = RecordingApp(poll_seconds=0.5)
        async with app.run_test(size=SIZE) as pilot:
            await loaded(app, pilot)
            await pilot.press("c")
            create = app.screen
            create.editor.load_text(capsule_yaml(unique_name))
            placement = create.query_one("#placement", Static)
            await until(lambda: "taken" in str(placement.render()), pilot, timeout=15, what="the name taken")
            assert (f"{unique_name}: the name is taken: capsule {unique_name} already exists on host local"
                    in str(placement.render()))
            create.editor.load_text(capsule_yaml(f"{unique_name}-2"))
            await until(lambda: f"{unique_name}-2 → local" in str(placement.render()), pilot, timeout=15,
                        what="a free name placed")
    finally:
        remove_test_objects(docker_engine.client, name_prefix=unique_name)


async def test_quitting_mid_create_asks_and_yes_leaves_nothing_half_made(docker_engine, capsule_home,
                                                                        unique_name) -> None:
    """Issue 13, item 3: q quit mid-create without a word."""
    from runtime.service import CapsuleService

    label = f"capsule.name={unique_name}"
    try:
        app = RecordingApp(poll_seconds=0.5)
        async with app.run_test(size=SIZE) as pilot:
            screen = await create_from_the_screen(app, pilot, slow_capsule(unique_name, 60), unique_name)
            await until(lambda: app.screen is screen, pilot, timeout=3, what="the list")
            # The init container runs: the sandbox and it are on the engine.
            await until(lambda: len(docker_engine.client.containers.list(ignore_removed=True, filters={"label": label})) >= 2, pilot,
                        timeout=30, what="the build under way")
            await pilot.press("q")
            assert isinstance(app.screen, ConfirmScreen)
            assert f"Quit while creating {unique_name}?" in str(app.screen.query_one("#confirm-question").render())
            await pilot.press("y")
            await until(lambda: not app.is_running, pilot, timeout=40, what="the app to end")
        assert docker_engine.client.containers.list(ignore_removed=True, all=True, filters={"label": label}) == []
        assert docker_engine.client.volumes.list(filters={"label": label}) == []
        async with CapsuleService() as service:
            [row] = [v for v in await service.list() if v.name == unique_name]
        assert row.status == "Failed" and "was interrupted" in row.reason, row
    finally:
        remove_test_objects(docker_engine.client, name_prefix=unique_name)


def pod_with_secret(name: str) -> str:
    return f"""\
apiVersion: v1
kind: Pod
metadata: {{name: {name}}}
spec:
  containers:
    - name: app
      image: busybox:1.36
      command: ["sleep", "600"]
      env:
        - name: TOKEN
          valueFrom: {{secretKeyRef: {{name: {name}-db, key: token}}}}
"""


def secret_doc(name: str) -> str:
    return f"---\napiVersion: v1\nkind: Secret\nmetadata: {{name: {name}-db}}\nstringData: {{token: tui-s3cret-77}}\n"


async def test_the_preview_names_a_missing_reference_and_create_stores_the_secret_as_the_cli(
        docker_engine, capsule_home, unique_name) -> None:
    """Issue 12 item 15: the TUI's create stored no ConfigMap or Secret, and its preview did not say a
    reference would resolve nowhere until ctrl+s failed."""
    from support.capsule_cli import cli

    try:
        app = RecordingApp(poll_seconds=0.5)
        async with app.run_test(size=SIZE) as pilot:
            await loaded(app, pilot)
            await pilot.press("c")
            create = app.screen
            create.editor.load_text(pod_with_secret(unique_name))
            references = create.query_one("#references", Static)
            await until(lambda: "resolve nowhere" in str(references.render()), pilot, timeout=15,
                        what="the missing reference said")
            assert (f"env[TOKEN].valueFrom.secretKeyRef: refers to Secret 'default/{unique_name}-db', which is "
                    "neither in the input nor created before") in str(references.render())
            # With the Secret in the text: nothing missing, and ctrl+s creates and stores it.
            create.editor.load_text(pod_with_secret(unique_name) + secret_doc(unique_name))
            placement = create.query_one("#placement", Static)
            await until(lambda: f"{unique_name} → local" in str(placement.render())
                        and str(references.render()) == "", pilot, timeout=15, what="placed, nothing missing")
            await pilot.press("ctrl+s")
            await until(lambda: any("stored secret/" in m for _, m in app.notes), pilot, timeout=60,
                        what="the notification")
            assert not [m for s, m in app.notes if s == "error"], app.notes
            assert any(m == f"created {unique_name} Running on local; stored secret/{unique_name}-db in namespace "
                       "default" for _, m in app.notes), app.notes
        # Stored as capsule create -f stores it: the command line lists it and a later input resolves it.
        listed = cli("list", "secrets", "-o", "json")
        assert f'"name": "{unique_name}-db"' in listed.stdout and "tui-s3cret" not in listed.stdout
        env = docker_engine.client.containers.get(f"{unique_name}.app").attrs["Config"]["Env"]
        assert "TOKEN=tui-s3cret-77" in env
    finally:
        remove_test_objects(docker_engine.client, name_prefix=unique_name)
