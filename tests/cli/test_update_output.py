"""What `capsule update` prints about the capsule's address (its printing code in-process; no engine)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from capsule_tui.commands.update_cmd import show


def result(ip: str | None, old_ip: str | None) -> SimpleNamespace:
    return SimpleNamespace(name="web", host="local", revision=2, previous_revision=1, uuid="u2", ip=ip,
                           old_ip=old_ip, status="Running", seconds=1.234)


@pytest.mark.parametrize(("ip", "old_ip", "expected", "absent"), [
    ("172.17.0.3", "172.17.0.3", "172.17.0.3", "was"),
    ("172.17.0.4", "172.17.0.3", "172.17.0.4 (was 172.17.0.3)", None),
    ("172.17.0.4", None, "172.17.0.4", "was"),  # the old one was not known: not "(was None)"
    (None, "172.17.0.3", "- (was 172.17.0.3)", "None"),
])
def test_the_address_column_says_what_changed(capsys, ip, old_ip, expected, absent) -> None:
    show(result(ip, old_ip), None)
    printed = capsys.readouterr().out
    assert expected in printed and "1 -> 2" in printed
    if absent:
        assert absent not in printed
