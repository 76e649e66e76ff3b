"""Delete by uuid on real hosts: two capsules of one name on two hosts, the TUI deletes the one picked.

capsule refuses a name that any host already has, so namesakes come from two
machines (two stores) that each saw one host; a third view with both hosts then
lists both. Checked on each host's own engine through the docker package.
"""

from __future__ import annotations

import pytest

from capsule_tui.backend import Backend
from capsule_tui.screens.confirm_delete import ConfirmDeleteScreen
from runtime.hosts.settings import HostSettings
from runtime.service import CapsuleService
from runtime.state.store import Store
from support.tui_pilot import SIZE, RecordingApp, capsule_yaml, loaded, names, until
from translate.translation import translate_text

pytestmark = pytest.mark.multihost


def settings(host) -> HostSettings:  # type: ignore[no-untyped-def]
    return HostSettings(host.name, host.url, insecure=True)


async def test_the_tui_deletes_the_picked_namesake_by_uuid_and_keeps_the_other(
        extra_hosts, capsule_home, tmp_path, unique_name) -> None:  # type: ignore[no-untyped-def]
    first, second = (h for h in extra_hosts if h.tls is None)
    label = f"capsule.name={unique_name}"
    for host, index in ((first, 1), (second, 2)):  # "another machine" each: its own store, one host
        async with CapsuleService([settings(host)], store=Store.open(tmp_path / f"machine{index}.db")) as service:
            await service.create(translate_text(capsule_yaml(unique_name)), wait=True)
    assert len(first.client.containers.list(ignore_removed=True, filters={"label": label})) == 2
    assert len(second.client.containers.list(ignore_removed=True, filters={"label": label})) == 2
    app = RecordingApp(Backend(CapsuleService([settings(first), settings(second)])), poll_seconds=1)
    try:
        async with app.run_test(size=SIZE) as pilot:
            screen = await loaded(app, pilot)
            await until(lambda: sorted(v.host for v in screen.snapshot.capsules if v.name == unique_name)
                        == sorted([first.name, second.name]), pilot, timeout=20, what="both namesakes")
            await pilot.press("slash", *f"{unique_name} @{second.name}", "enter")
            assert names(screen) == [unique_name] and screen.current_view().host == second.name
            await pilot.press("ctrl+d")
            assert isinstance(app.screen, ConfirmDeleteScreen)
            await pilot.press("y")
            await until(lambda: any(m == f"deleted {unique_name} on {second.name}" for _, m in app.notes), pilot,
                        timeout=60, what="the delete")
            assert not [m for s, m in app.notes if s == "error"], app.notes
        assert second.client.containers.list(ignore_removed=True, all=True, filters={"label": label}) == []
        kept = first.client.containers.list(ignore_removed=True, all=True, filters={"label": label})
        assert sorted(c.name for c in kept) == sorted([unique_name, f"{unique_name}.main"])
        assert all(c.status == "running" for c in kept)
    finally:
        for host in (first, second):
            for container in host.client.containers.list(ignore_removed=True, all=True, filters={"label": label}):
                container.remove(force=True)
