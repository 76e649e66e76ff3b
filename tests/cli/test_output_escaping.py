"""No terminal injection: what people read shows control characters as escapes; JSON and YAML stay exact.

A capsule made by someone else on a shared engine carries whatever name, labels and
spec it likes, and `capsule list` rebuilds its rows from them; an event's message can
quote an engine. The commands' own printing code runs here in-process against a stub
service (the door's `run_with_service` replaced), and once against a real engine with a
capsule made behind capsule's back by the docker package.
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid as uuids
from dataclasses import replace
from typing import Any

import pytest

from capsule_tui.cli import main
from capsule_tui.commands import (
    describe_cmd,
    events_cmd,
    history_cmd,
    hosts_cmd,
    list_cmd,
    output,
)
from capsule_tui.formatters.safe_text import shown
from runtime.state.records import EventRecord, Revision
from runtime.views import CapsuleDetail, MemberView
from support.capsule_cli import cli
from support.images import BUSYBOX_IMAGE
from support.tui_fakes import T0, view

TITLE_AND_CLEAR = "\x1b]0;pwned\x07\x1b[2J"  # set the terminal's title, then clear the screen
TITLE_AND_CLEAR_SHOWN = r"\x1b]0;pwned\x07\x1b[2J"
EVIL_NAME = "evil\nname\x1b[31m"
EVIL_NAME_SHOWN = r"evil\nname\x1b[31m"
# Anything a terminal acts on: C0 but newline, DEL, C1. (Newlines are checked line by line.)
RAW_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f]")


# ------------------------------------------------------------------ the one function


@pytest.mark.parametrize(("raw", "expected"), [
    ("\x1b[2J", r"\x1b[2J"),
    ("a\nb", r"a\nb"),
    ("a\tb\rc", r"a\tb\rc"),
    ("\x00\x07\x08\x0b\x0c\x1f", r"\x00\x07\x08\x0b\x0c\x1f"),
    ("del\x7f", r"del\x7f"),
    ("c1 \x80 \x85 \x9b31m \x9f", r"c1 \x80 \x85 \x9b31m \x9f"),
    (TITLE_AND_CLEAR, TITLE_AND_CLEAR_SHOWN),
])
def test_control_characters_become_visible_escapes(raw: str, expected: str) -> None:
    assert shown(raw) == expected
    assert shown(expected) == expected  # escaping twice changes nothing more


def test_ordinary_text_is_returned_as_it_is() -> None:
    for text in ("web-sidecar", "app=web,tier=frontend", "C:\\path\\x1b is not ESC", "café ☕ 名前 \xa0nbsp", ""):
        assert shown(text) is text  # the fast path: no copy, nothing changed (backslashes included)


def test_a_block_keeps_its_newlines_and_tabs_only() -> None:
    assert shown("line 1\n\tline 2\x1b[2J\r", block=True) == "line 1\n\tline 2\\x1b[2J\\r"


# ------------------------------------------------------------------ the commands, in-process


class StubService:
    """The service methods the printing commands call, with hostile texts."""

    def __init__(self) -> None:
        self.view = replace(view(EVIL_NAME, labels={"app": TITLE_AND_CLEAR}, ports=["8080->80/TCP (web)"]),
                            reason="engine said \x1b[1Aup", images=["busybox\x1b[2J:1.36"])
        self.event = EventRecord(7, T0, EVIL_NAME, self.view.uuid, "local", "failed",
                                 f"member web exited: {TITLE_AND_CLEAR}")

    async def list(self, selector: Any) -> list:
        return [self.view]

    async def usage(self, uuids: Any, **_: Any) -> dict:
        return {}  # no figures: the wide list shows "-"

    async def describe(self, name: str) -> list:
        members = [MemberView(f"web{TITLE_AND_CLEAR}", "member", "busybox:1.36\x9b2J", "running", 0, None,
                              "evil.web", "abcdef012345")]
        env = {members[0].name: [f"GREETING=hi{TITLE_AND_CLEAR}"]}
        volumes = [{"name": "data\x1b[2J", "emptyDir": {}}]
        messages = [{"time": T0, "status": "Failed", "text": f"because {TITLE_AND_CLEAR}"}]
        return [CapsuleDetail(self.view, members, volumes, env, messages, [self.event],
                              placement=f"created elsewhere{TITLE_AND_CLEAR}")]

    async def events(self, name: Any, **_: Any):
        yield self.event

    async def history(self, name: str) -> list:
        return [Revision(EVIL_NAME, 1, "local", self.view.uuid, {}, T0, "failed", reason=TITLE_AND_CLEAR,
                         source="update", images=["busybox:1.36"])]


@pytest.fixture
def service(monkeypatch: pytest.MonkeyPatch) -> StubService:
    stub = StubService()

    def run_with_service(command: str, work: Any, **_: Any) -> int:
        return asyncio.run(work(stub))

    for module in (list_cmd, describe_cmd, events_cmd, history_cmd):
        monkeypatch.setattr(module, "run_with_service", run_with_service)
    return stub


def printed(capsys: pytest.CaptureFixture, *argv: str) -> str:
    assert main(list(argv)) == 0
    out = capsys.readouterr().out
    assert RAW_CONTROL.search(out) is None, f"a raw control character reached the terminal: {out!r}"
    return out


def test_list_shows_a_hostile_name_and_labels_escaped_on_one_row(service: StubService, capsys) -> None:
    out = printed(capsys, "list", "-o", "wide")
    header, row = out.splitlines()  # the newline in the name did not start a row of its own
    assert row.startswith(EVIL_NAME_SHOWN + " ")
    assert f"app={TITLE_AND_CLEAR_SHOWN}" in row and r"busybox\x1b[2J:1.36" in row and r"\x1b[1Aup" in row
    # the columns still line up: every header starts where its cells start
    assert row.index("Running") == header.index("STATUS")


def test_json_and_yaml_stay_exact(service: StubService, capsys) -> None:
    assert main(["list", "-o", "json"]) == 0
    item = json.loads(capsys.readouterr().out)["items"][0]
    assert item["name"] == EVIL_NAME and item["labels"] == {"app": TITLE_AND_CLEAR}
    assert main(["list", "-o", "yaml"]) == 0
    import yaml

    assert yaml.safe_load(capsys.readouterr().out)["items"][0]["labels"]["app"] == TITLE_AND_CLEAR
    assert main(["describe", EVIL_NAME, "-o", "json"]) == 0
    detail = json.loads(capsys.readouterr().out)[0]
    assert detail["events"][0]["message"] == f"member web exited: {TITLE_AND_CLEAR}"
    assert main(["events", "-o", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["capsule"] == EVIL_NAME


def test_describe_escapes_every_text_from_the_host(service: StubService, capsys) -> None:
    out = printed(capsys, "describe", EVIL_NAME)
    lines = out.splitlines()
    assert f"Name:             {EVIL_NAME_SHOWN}" in lines
    assert f"Labels:           app={TITLE_AND_CLEAR_SHOWN}" in lines
    assert f"  web{TITLE_AND_CLEAR_SHOWN}:" in lines
    assert r"    Image:        busybox:1.36\x9b2J" in lines
    assert f"    Env:          GREETING=hi{TITLE_AND_CLEAR_SHOWN}" in lines
    assert r"  data\x1b[2J: emptyDir" in lines
    assert f"Placement:        created elsewhere{TITLE_AND_CLEAR_SHOWN}" in lines
    assert any(line.endswith(f"Failed    because {TITLE_AND_CLEAR_SHOWN}") for line in lines)
    assert any(line.endswith(f"failed            member web exited: {TITLE_AND_CLEAR_SHOWN}") for line in lines)


def test_events_and_history_escape_names_messages_and_reasons(service: StubService, capsys) -> None:
    header, row = printed(capsys, "events").splitlines()
    assert f"   {EVIL_NAME_SHOWN}" in row and row.endswith(f"member web exited: {TITLE_AND_CLEAR_SHOWN}")
    history = printed(capsys, "history", EVIL_NAME).splitlines()
    assert history[1].endswith(TITLE_AND_CLEAR_SHOWN)


def test_hosts_list_escapes_what_a_host_said() -> None:
    rows = [{"name": "lab", "url": "tcp://10.0.0.9:2376", "status": "Unreachable", "problem": "refused\x1b[2J",
             "reason": f"the engine said {TITLE_AND_CLEAR}"}]
    text = hosts_cmd._table(rows)
    assert RAW_CONTROL.search(text) is None and "\n" not in text.split("\n\n")[1]
    assert r"Unreachable (refused\x1b[2J)" in text
    assert text.endswith(f"lab: the engine said {TITLE_AND_CLEAR_SHOWN}")


def test_logs_keep_the_containers_bytes_but_escape_the_member_prefix() -> None:
    from runtime.ops.logs import MemberLogLine

    line = MemberLogLine(f"web{TITLE_AND_CLEAR}", "stdout", "\x1b[32mgreen\x1b[0m, as the program wrote it")
    assert output.format_log_line(line, width=3) == \
        f"web{TITLE_AND_CLEAR_SHOWN} | \x1b[32mgreen\x1b[0m, as the program wrote it"
    assert output.format_log_line(line, width=3, prefix=False) == line.text  # byte-exact, like docker logs


def test_top_and_progress_escape_what_the_host_said(capsys) -> None:
    assert output.format_processes(["PID", "CMD"], [["1", "sh -c 'printf \x1b[2J'"]]) == \
        "PID   CMD\n1     sh -c 'printf \\x1b[2J'"

    class Step:
        kind, container, text = "member", f"web{TITLE_AND_CLEAR}", "pulled \x1b[1A"

    output.progress_printer("create")(EVIL_NAME, Step())
    assert capsys.readouterr().err == rf"{EVIL_NAME_SHOWN}: member web{TITLE_AND_CLEAR_SHOWN}: pulled \x1b[1A" + "\n"


# ------------------------------------------------------------------ a real engine


@pytest.mark.docker
def test_a_capsule_made_behind_capsules_back_is_listed_escaped(docker_engine, capsule_home, session_labels) -> None:
    """A container labelled as a capsule by someone else, with a hostile name and labels: the
    hosts are the truth, so `capsule list` shows it, escaped; `-o json` gives the exact text."""
    uuid = f"evil-{uuids.uuid4()}"
    spec = {"apiVersion": "beta", "kind": "capsule",
            "metadata": {"name": EVIL_NAME, "labels": {"app": TITLE_AND_CLEAR}}, "spec": {"containers": []}}
    labels = {**session_labels, "capsule.managed-by": "capsule", "capsule.name": EVIL_NAME, "capsule.uuid": uuid,
              "capsule.role": "sandbox", "capsule.spec": json.dumps(spec)}
    container = docker_engine.client.containers.run(BUSYBOX_IMAGE, ["sleep", "300"], detach=True, labels=labels)
    try:
        assert docker_engine.client.containers.get(container.id).labels["capsule.name"] == EVIL_NAME
        listed = cli("list", "-o", "wide")
        assert listed.returncode == 0, listed.stderr
        rows = [line for line in listed.stdout.splitlines() if line.startswith(EVIL_NAME_SHOWN + " ")]
        assert len(rows) == 1 and f"app={TITLE_AND_CLEAR_SHOWN}" in rows[0]
        assert RAW_CONTROL.search(listed.stdout) is None and "\nname" not in listed.stdout
        items = json.loads(cli("list", "-o", "json").stdout)["items"]
        mine = [item for item in items if item["uuid"] == uuid]
        assert [(m["name"], m["labels"]) for m in mine] == [(EVIL_NAME, {"app": TITLE_AND_CLEAR})]
        events = cli("events")
        assert events.returncode == 0 and RAW_CONTROL.search(events.stdout) is None
        assert any(f"   {EVIL_NAME_SHOWN}" in line for line in events.stdout.splitlines())
    finally:
        container.remove(force=True)
