"""`capsule exec -it`: a terminal in a member joined to the user's, in a real terminal (tmux).

What a `docker exec -it` user expects, checked on the screen and in the member: the
command has a terminal of its own (`tty`), `cd` carries over, a resized window is
passed on (`stty size` before and after tmux resizes it), ctrl+c goes to the command
and not to capsule, the exit code is capsule's, and the user's terminal comes back in
its own mode (the shell after it still echoes what is typed). Without a terminal, -t is
refused with exit 2 and words that say why.
"""

from __future__ import annotations

import os
import shlex
import time
from pathlib import Path

import pytest
import yaml

from support.capsule_cli import capsule_command, cli, remove_capsule_leftovers
from support.terminal import Terminal

pytestmark = pytest.mark.docker


@pytest.fixture
def shell_capsule(docker_engine, capsule_home: Path, unique_name: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    source = tmp_path / "pod.yaml"
    source.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": unique_name},
                                      "spec": {"containers": [{"name": "main", "image": "busybox:1.36",
                                                               "command": ["sleep", "600"]}]}}))
    made = cli("create", "-f", str(source))
    assert made.returncode == 0, made.stderr
    yield unique_name
    cli("delete", unique_name)
    remove_capsule_leftovers(docker_engine.client, unique_name)


def test_exec_it_gives_the_command_a_terminal_that_follows_the_window(
        docker_engine, capsule_home: Path, shell_capsule: str, tmp_path: Path, tmux: str) -> None:  # type: ignore[no-untyped-def]
    exit_file = tmp_path / "exit-code"
    env = {"CAPSULE_HOME": str(capsule_home), "DOCKER_CONFIG": os.environ["DOCKER_CONFIG"], "TERM": "xterm"}
    command = " ".join(["env", *(f"{k}={shlex.quote(v)}" for k, v in env.items()),
                        *map(shlex.quote, capsule_command()), "exec", "-it", shell_capsule, "--", "sh"])
    terminal = Terminal(tmux, f"capsule-exec-{os.getpid()}-{shell_capsule}")
    # After capsule ends, the outer shell reads a line: if capsule had left the terminal raw,
    # what is typed next would not be echoed back.
    terminal.start(f"{command}; echo $? > {shlex.quote(str(exit_file))}; read line; echo got: $line; sleep 60",
                   size=(100, 30))
    try:
        terminal.wait_for(lambda text: text.rstrip().endswith("/ #"), "the member's shell prompt")
        terminal.type("cd /tmp && tty && stty size && echo $((6 * 7)) > answer")
        terminal.keys("Enter")
        screen = terminal.wait_for(lambda text: "30 100" in text and text.rstrip().endswith("/tmp #"),
                                   "the terminal's name and size, and the prompt in /tmp")
        assert "/dev/pts/" in screen, screen
        terminal.tmux("resize-window", "-t", terminal.session, "-x", "120", "-y", "40")
        deadline = time.monotonic() + 20
        while "40 120" not in terminal.screen():  # the resize reaches the engine a moment later
            assert time.monotonic() < deadline, terminal.screen()
            terminal.type("stty size")
            terminal.keys("Enter")
            time.sleep(0.5)  # between tries of a command whose answer changes once the resize arrives
        terminal.type("sleep 300")
        terminal.keys("Enter")
        terminal.keys("C-c")
        terminal.wait_for(lambda text: "^C" in text and text.rstrip().endswith("/tmp #"),
                          "ctrl+c ending the sleep, the shell still there")
        terminal.type("exit 7")
        terminal.keys("Enter")
        deadline = time.monotonic() + 20
        while not (exit_file.exists() and exit_file.read_text().endswith("\n")):
            assert time.monotonic() < deadline, f"capsule exec did not end; the screen:\n{terminal.screen()}"
            time.sleep(0.2)  # the polling interval
        assert exit_file.read_text().strip() == "7", terminal.screen()
        terminal.type("typed-back")
        terminal.keys("Enter")
        terminal.wait_for("got: typed-back", "the outer shell reading a line in its own (cooked) mode")
        assert terminal.screen().count("typed-back") >= 2  # echoed while typed, then printed
    finally:
        terminal.kill()
    member = docker_engine.client.containers.get(f"{shell_capsule}.main")
    assert member.exec_run(["cat", "/tmp/answer"]).output.strip() == b"42"


def test_exec_t_without_a_terminal_is_refused_with_the_reason(shell_capsule: str) -> None:
    refused = cli("exec", "-it", shell_capsule, "--", "sh")
    assert refused.returncode == 2, refused
    assert "-t needs a terminal" in refused.stderr and "Traceback" not in refused.stderr
    both = cli("exec", "-t", "-n", shell_capsule, "--", "sh")
    assert both.returncode == 2 and "do not go together" in both.stderr, both
