"""Import, placement and why, delete by uuid, hosts add/remove and Services on the real local engine.

The app runs over the real backend (CapsuleService in the test's CAPSULE_HOME);
every claim about containers is checked through the docker package as a second
client.
"""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Static

from capsule_tui.screens.capsule_detail import CapsuleDetailScreen
from capsule_tui.screens.capsule_list import CapsuleListScreen
from capsule_tui.screens.confirm_delete import ConfirmDeleteScreen, ConfirmScreen
from capsule_tui.screens.create_capsule import CreateCapsuleScreen
from capsule_tui.screens.service_list import ServiceListScreen
from support.tui_pilot import SIZE, RecordingApp, loaded, names, until
from translate.translation import translate_paths


def manifest(name: str) -> str:
    """A Kubernetes Deployment with a ConfigMap: two documents, one capsule."""
    return f"""\
apiVersion: v1
kind: ConfigMap
metadata:
  name: {name}-settings
data:
  GREETING: hello from the import
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  labels:
    app: tui-import
spec:
  replicas: 1
  revisionHistoryLimit: 3
  selector:
    matchLabels:
      app: tui-import
  template:
    metadata:
      labels:
        app: tui-import
    spec:
      containers:
        - name: main
          image: busybox:1.36
          command: ["sh", "-c", "echo $GREETING; exec sleep 600"]
          envFrom:
            - configMapRef:
                name: {name}-settings
"""


async def test_import_a_manifest_see_where_and_why_then_delete_it(docker_engine, capsule_home, unique_name,
                                                                 tmp_path: Path) -> None:
    source = tmp_path / "deployment.yaml"
    source.write_text(manifest(unique_name))
    # The Deployment's one replica, named as Kubernetes names a Deployment's pods.
    [name] = [c.name for c in translate_paths([str(source)]).capsules]
    assert name.startswith(f"{unique_name}-")
    label = f"capsule.name={name}"
    app = RecordingApp(poll_seconds=0.5)
    async with app.run_test(size=SIZE) as pilot:
        screen = await loaded(app, pilot)
        await pilot.press("i")
        imported = app.screen
        assert isinstance(imported, CreateCapsuleScreen)
        await pilot.press(*str(source), "enter")
        validation = imported.query_one("#validation", Static)
        await until(lambda: f"✓ valid: 1 capsule ({name})" in str(validation.render()), pilot, timeout=15,
                    what="the translation")
        fields = str(imported.query_one("#outcomes", Static).render())
        assert "line 16   spec.revisionHistoryLimit: is ignored" in fields
        assert "line 27   spec.template.spec.containers[0].image" in fields
        placement = imported.query_one("#placement", Static)
        await until(lambda: f"{name} → local" in str(placement.render()), pilot, timeout=15,
                    what="the placement preview")
        await pilot.press("ctrl+s")
        await until(lambda: isinstance(app.screen, CapsuleListScreen), pilot, timeout=5, what="the list")
        await until(lambda: any(m.startswith(f"created {name} Running on local") for _, m in app.notes), pilot,
                    timeout=90, what="the create")
        assert len(docker_engine.client.containers.list(ignore_removed=True, filters={"label": label})) == 2  # sandbox + member
        # The detail says where and why, as the create recorded it.
        await pilot.press("slash", *name, "enter")
        await until(lambda: names(screen) == [name], pilot, timeout=15, what="the row")
        await pilot.press("enter")
        detail = app.screen
        assert isinstance(detail, CapsuleDetailScreen)
        await until(lambda: detail.placement is not None, pilot, timeout=15, what="the placement")
        assert str(detail.query_one("#detail-placement", Static).render()) == (
            "placed on local\n  the only host, and it passes every filter")
        member = docker_engine.client.containers.get(f"{name}.main")
        assert "GREETING=hello from the import" in member.attrs["Config"]["Env"]
        await pilot.press("escape", "ctrl+d")
        assert isinstance(app.screen, ConfirmDeleteScreen)
        await pilot.press("y")
        await until(lambda: any(m == f"deleted {name} on local" for _, m in app.notes), pilot, timeout=60,
                    what="the delete")
        assert not [m for s, m in app.notes if s == "error"], app.notes
    assert docker_engine.client.containers.list(ignore_removed=True, all=True, filters={"label": label}) == []


async def test_add_the_local_engine_as_a_second_host_refuse_plain_tcp_then_remove_it(
        docker_engine, capsule_home: Path, tmp_path: Path) -> None:
    from capsule_tui.screens.host_form import HostFormScreen

    app = RecordingApp(poll_seconds=0.5)
    async with app.run_test(size=SIZE) as pilot:
        screen = await loaded(app, pilot)
        await pilot.press("h")
        hosts = app.screen
        await until(lambda: hosts.facts is not None, pilot, timeout=15, what="the host facts")
        await pilot.press("a")
        form = app.screen
        assert isinstance(form, HostFormScreen)
        error = form.query_one("#host-form-error", Static)
        # Plain tcp to a non-loopback address: refused by runtime.hosts.url_policy, shown inline.
        form.input_for("name").value = "remote"
        form.input_for("url").value = "tcp://10.99.0.1:2375"
        await pilot.press("ctrl+s")
        await until(lambda: "plain tcp to 10.99.0.1 is refused" in str(error.render()), pilot, what="the refusal")
        assert app.screen is form and not (capsule_home / "hosts.yaml").exists()
        # The same engine under a second name, through a link to its socket (another URL, so the
        # inventory also writes down the implicit local host, as `capsule hosts add` does).
        link = tmp_path / "docker.sock"
        link.symlink_to(docker_engine.socket_path)
        form.input_for("name").value = "local2"
        form.input_for("url").value = f"unix://{link}"
        form.input_for("labels").value = "disk=ssd"
        await pilot.press("ctrl+s")
        await until(lambda: app.screen is hosts, pilot, timeout=15, what="the form to close")
        inventory = (capsule_home / "hosts.yaml").read_text()
        assert "name: local2" in inventory and "name: local\n" in inventory  # the implicit local one kept
        await until(lambda: str(hosts.table.get_cell("local2", "state")) == "reachable", pilot, timeout=15,
                    what="local2 reachable")
        assert str(hosts.table.get_cell("local2", "engine")) == docker_engine.client.version()["Version"]
        assert "local2" in app.backend.host_names()
        # The list's host line follows the service's new inventory.
        await pilot.press("escape")
        await until(lambda: "local2 reachable" in str(screen.host_status.render()), pilot, timeout=15,
                    what="local2 in the host line")
        await pilot.press("h")
        hosts = app.screen
        await until(lambda: hosts.facts is not None and "local2" in [f.name for f in hosts.facts], pilot,
                    timeout=15, what="the host facts")
        hosts.table.move_cursor(row=hosts.table.get_row_index("local2"))
        await pilot.press("ctrl+d")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await until(lambda: "local2" not in app.backend.host_names(), pilot, timeout=15, what="the removal")
        assert "local2" not in (capsule_home / "hosts.yaml").read_text()
        await pilot.press("escape")
        await until(lambda: "local2" not in str(screen.host_status.render()), pilot, timeout=15,
                    what="local2 gone from the host line")
        assert not [m for s, m in app.notes if s == "error"], app.notes


async def test_a_service_shows_with_both_backends_in_the_screen_and_the_details_then_goes_from_the_screen(
        docker_engine, capsule_home, unique_name) -> None:  # type: ignore[no-untyped-def]
    """Two busybox replicas behind a Service, made through CapsuleService.create (as
    tests/services/test_application_one_host.py makes an application); `v` shows it with
    2/2 backends and their addresses, a replica's details name it, and `d` removes its proxy."""
    from runtime.service import CapsuleService
    from runtime.services.names import network_name, service_container_name
    from support.engines import remove_test_objects
    from translate.spec import Capsule, Container, Port, Service, ServicePort
    from translate.translation import Translation

    namespace, selector = f"{unique_name}-ns", (("app", f"{unique_name}-web"),)
    serve = "mkdir -p /w && echo {0} > /w/index.html && exec httpd -f -p 8080 -h /w"
    replicas = [Capsule(name=f"{unique_name}-{n}", namespace=namespace, labels=selector, workload="Deployment/web",
                        containers=(Container(name="main", image="busybox:1.36", ports=(Port(8080),),
                                              command=("sh", "-c", serve.format(n))),))
                for n in ("a", "b")]
    web = Service(f"{unique_name}-web", namespace, selector=selector, ports=(ServicePort(80, 8080),))
    proxy = service_container_name(namespace, web.name)
    try:
        async with CapsuleService() as service:
            await service.create(Translation(capsules=replicas, services=[web]), wait=True, timeout=60)
        assert docker_engine.client.containers.get(proxy).status == "running"
        app = RecordingApp(poll_seconds=0.5)
        async with app.run_test(size=SIZE) as pilot:
            screen = await loaded(app, pilot)
            await pilot.press("v")
            services = app.screen
            assert isinstance(services, ServiceListScreen)
            await pilot.press("slash", *namespace, "enter")  # other tests' Services may share the engine
            await until(lambda: [v.name for v in services.shown_views()] == [web.name], pilot, timeout=20,
                        what="the Service")
            row = services.table.ordered_rows[0].key
            await until(lambda: str(services.table.get_cell(row, "backends")) == "2/2", pilot, timeout=20,
                        what="both replicas serving")
            assert [str(services.table.get_cell(row, c)) for c in ("name", "namespace", "type", "ports", "host")] \
                == [web.name, namespace, "ClusterIP", "80->8080/TCP", "local"]
            ips = {name: docker_engine.client.containers.get(name).attrs["NetworkSettings"]["Networks"]
                   [network_name(namespace)]["IPAddress"] for name in (r.name for r in replicas)}
            await pilot.press("enter")
            shown_backends = sorted(tuple(str(services.backends.get_cell(r.key, c)) for c in ("capsule", "address",
                                                                                                "port"))
                                    for r in services.backends.ordered_rows)
            assert shown_backends == sorted((name, ip, "8080") for name, ip in ips.items())
            # A replica's details name the Service, with its namespace and workload.
            await pilot.press("escape", "escape", "escape")
            assert app.screen is screen
            await pilot.press("slash", *replicas[0].name, "enter")
            await until(lambda: names(screen) == [replicas[0].name], pilot, timeout=15, what="the replica's row")
            await pilot.press("enter")
            detail = app.screen
            assert isinstance(detail, CapsuleDetailScreen)
            await until(lambda: detail.services is not None, pilot, timeout=20, what="its Services")
            summary = str(detail.query_one("#detail-summary", Static).render())
            assert f"namespace:      {namespace}\nworkload:       Deployment/web" in summary
            assert str(detail.query_one("#detail-services", Static).render()).startswith(
                f"{web.name}  ClusterIP  80->8080/TCP  ")
            # Deleted from the screen: the proxy container goes, the replicas stay.
            await pilot.press("escape", "v")
            services = app.screen
            assert isinstance(services, ServiceListScreen)
            await pilot.press("slash", *namespace, "enter")
            await until(lambda: [v.name for v in services.shown_views()] == [web.name], pilot, timeout=20,
                        what="the Service again")
            await pilot.press("d")
            assert isinstance(app.screen, ConfirmScreen)
            await pilot.press("y")
            await until(lambda: any(m == f"deleted service {web.name} in namespace {namespace} from local"
                                    for _, m in app.notes), pilot, timeout=60, what="the delete")
            await until(lambda: services.shown_views() == [], pilot, timeout=20, what="the row to go")
            assert not [m for s, m in app.notes if s == "error"], app.notes
        import docker.errors

        try:
            docker_engine.client.containers.get(proxy)
            raise AssertionError(f"the Service's container {proxy} is still there")
        except docker.errors.NotFound:
            pass
        assert {c.name for c in docker_engine.client.containers.list(ignore_removed=True, filters={"label": f"capsule.namespace="
                                                                                         f"{namespace}"})} \
            >= {r.name for r in replicas}  # its capsules keep running
    finally:
        remove_test_objects(docker_engine.client, name_prefix=unique_name)
