"""End to end: the real `capsule` command in a real terminal (tmux), on the real engine.

Open the UI (`capsule tui --no-watch`: on a shared engine a watcher would heal
capsules this test did not make), create a capsule from a YAML file through the create screen, see it
Running in the list, read its member's log line, delete it with ctrl+d → y, quit,
and check with the docker package that nothing with its labels is left. The keys go
in with `tmux send-keys`, the screen comes back with `tmux capture-pane`; the tmux
server is a private one (its own socket) and is killed at the end. Every step waits for
what the screen (or the terminal's cursor, which Textual puts where the focused field
types) shows, with a deadline; no fixed pause. Without tmux the test skips, or fails
under CAPSULE_REQUIRE_DOCKER=1 (support.requirements).
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import time
from pathlib import Path

from support.capsule_cli import capsule_command
from support.terminal import Terminal


def sample(name: str) -> str:
    return f"""\
apiVersion: beta
kind: capsule
metadata:
  name: {name}
  labels:
    app: tmux-e2e
spec:
  containers:
    - name: main
      image: busybox:1.36
      command: ["sh", "-c", "echo hello from tmux; exec sleep 600"]
"""


def start_ui(tmux: str, capsule_home: Path, unique_name: str, exit_file: Path) -> Terminal:
    """`capsule tui --no-watch` in a fresh tmux session; its exit code goes to `exit_file` when it ends."""
    env = {"CAPSULE_HOME": str(capsule_home), "DOCKER_CONFIG": os.environ["DOCKER_CONFIG"],
           "TERM": "xterm-256color", "LANG": "C.UTF-8"}
    command = " ".join(["env", *(f"{k}={shlex.quote(v)}" for k, v in env.items()),
                        *map(shlex.quote, capsule_command()), "tui", "--no-watch"])
    terminal = Terminal(tmux, f"capsule-test-{os.getpid()}-{unique_name}")
    terminal.start(f"{command}; echo $? > {shlex.quote(str(exit_file))}; sleep 60")
    return terminal


def test_the_capsule_command_in_tmux(docker_engine, capsule_home: Path, unique_name: str, tmp_path: Path,
                                     tmux: str) -> None:
    label = f"capsule.name={unique_name}"
    source = tmp_path / "sample.yaml"
    source.write_text(sample(unique_name))
    exit_file = tmp_path / "exit-code"
    terminal = start_ui(tmux, capsule_home, unique_name, exit_file)
    try:
        terminal.wait_for("local reachable", "the list with the local host reachable")
        terminal.keys("c")
        terminal.wait_for("create capsules", "the create screen")
        # The header is painted a moment before the editor takes the focus; a ctrl+o before
        # that would lose the focus to it again. The editor has it once the cursor stands on
        # the editor's line 1 (its gutter reads "1").
        editor_line = re.compile(r"^\W*1\s")
        terminal.wait_for_cursor_on(lambda line: bool(editor_line.match(line)), "the editor to take the focus")
        terminal.keys("C-o")
        terminal.wait_for_cursor_on(lambda line: "path of a YAML file" in line, "the path field to take the focus")
        terminal.type(str(source))
        # In the path field (the fourth line of the screen, under the header and the section label),
        # not in the editor below it.
        terminal.wait_for(lambda text: "sample.yaml" in (text.splitlines()[3:4] or [""])[0],
                          "the path typed into the path field")
        terminal.keys("Enter")
        terminal.wait_for("valid: 1 capsule", "the validation")  # (its name may wrap in the narrow column)
        terminal.wait_for("local: chosen", "the placement preview")
        terminal.keys("C-s")
        # The table row (NAME STATUS HOST …), not the notification that also names it.
        row = re.compile(rf"^\s+{re.escape(unique_name)}\s+Running\s+local\s+\S+\s+1/1\s", re.MULTILINE)
        terminal.wait_for(lambda text: "hosts: " in text and bool(row.search(text)),
                          "the capsule Running in the list", timeout=90)
        assert len(docker_engine.client.containers.list(ignore_removed=True, filters={"label": label})) == 2
        # A key sent in the instant a screen closes can reach the closing screen: press
        # `/` until the filter field shows.
        terminal.press_until("/", "filter: name, KEY=VALUE", "the filter field")
        terminal.type(unique_name)
        terminal.keys("Enter")
        terminal.wait_for("1 of", "the filtered list")
        terminal.keys("l")
        terminal.wait_for("main | hello from tmux", "the member's log line")
        terminal.keys("Escape")
        terminal.wait_for(lambda text: "hosts: " in text and "sorted by name" in text, "back on the list")
        terminal.press_until("C-d", f"Delete capsule {unique_name}?", "the confirmation")
        terminal.keys("y")
        terminal.wait_for(lambda text: "0 of" in text and f"filter: {unique_name}" in text, "the row to go",
                          timeout=60)
        terminal.keys("q")
        deadline = time.monotonic() + 20
        # The shell writes the exit code (and its newline) once the UI has ended.
        while not (exit_file.exists() and exit_file.read_text().endswith("\n")):
            assert time.monotonic() < deadline, f"the UI did not end within 20 s; the screen:\n{terminal.screen()}"
            time.sleep(0.2)  # the polling interval
        assert exit_file.read_text().strip() == "0", terminal.screen()
    finally:
        terminal.kill()
    # Checked through the docker package, not through capsule.
    assert docker_engine.client.containers.list(ignore_removed=True, all=True, filters={"label": label}) == []


def ui_process(terminal: Terminal) -> int:
    """The pid of `capsule tui` under the tmux pane's shell (found through /proc, children first)."""
    pending = [int(terminal.tmux("display-message", "-p", "-t", terminal.session, "#{pane_pid}").strip())]
    while pending:
        pid = pending.pop()
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        if b"tui" in command and b"--no-watch" in command:
            return pid
        for task in Path(f"/proc/{pid}/task").iterdir():
            pending += [int(child) for child in (task / "children").read_text().split()]
    raise AssertionError("no capsule tui process under the tmux pane")


def test_sigterm_during_a_create_from_the_ui_removes_what_it_made(docker_engine, capsule_home: Path,
                                                                  unique_name: str, tmp_path: Path,
                                                                  tmux: str) -> None:
    """Issue 13, item 3: the UI ended by a signal mid-create left its containers behind.

    A create whose init container sleeps 60 s is under way (its sandbox and init container
    on the engine) when the UI gets SIGTERM: it exits 143 after the build removed what
    it made, and the list keeps a Failed row saying the create was interrupted.
    """
    import signal

    label = f"capsule.name={unique_name}"
    source = tmp_path / "slow.yaml"
    source.write_text(sample(unique_name).replace("  containers:\n", "  initContainers:\n    - name: wait\n"
                                                  "      image: busybox:1.36\n      command: [\"sleep\", \"60\"]\n"
                                                  "  containers:\n"))
    exit_file = tmp_path / "exit-code"
    terminal = start_ui(tmux, capsule_home, unique_name, exit_file)
    try:
        terminal.wait_for("local reachable", "the list with the local host reachable")
        terminal.press_until("i", "import a Kubernetes manifest", "the create screen on its path field")
        terminal.type(str(source))
        terminal.keys("Enter")
        terminal.wait_for("valid: 1 capsule", "the validation")
        terminal.keys("C-s")
        terminal.wait_for(f"creating {unique_name}", "the create's progress under the list")
        deadline = time.monotonic() + 30
        while len(docker_engine.client.containers.list(ignore_removed=True, filters={"label": label})) < 2:  # sandbox, init container
            assert time.monotonic() < deadline, "the build did not get to its init container"
            time.sleep(0.2)  # the polling interval
        os.kill(ui_process(terminal), signal.SIGTERM)
        deadline = time.monotonic() + 40
        while not (exit_file.exists() and exit_file.read_text().endswith("\n")):
            assert time.monotonic() < deadline, f"the UI did not end within 40 s; the screen:\n{terminal.screen()}"
            time.sleep(0.2)  # the polling interval
        assert exit_file.read_text().strip() == "143", terminal.screen()
    finally:
        terminal.kill()
    # Checked through the docker package, not through capsule.
    assert docker_engine.client.containers.list(ignore_removed=True, all=True, filters={"label": label}) == []
    assert docker_engine.client.volumes.list(filters={"label": label}) == []
    listed = subprocess.run([*capsule_command(), "list", "-o", "json"], capture_output=True, text=True, timeout=60,
                            env={**os.environ, "CAPSULE_HOME": str(capsule_home)}, check=True).stdout
    import json

    [row] = [c for c in json.loads(listed)["items"] if c["name"] == unique_name]
    assert row["status"] == "Failed" and "was interrupted" in row["reason"], row


def test_exec_hands_the_terminal_over_and_gives_it_back(docker_engine, capsule_home: Path, unique_name: str,
                                                        tmp_path: Path, tmux: str) -> None:
    """`E` in a real terminal: the UI steps aside (App.suspend), `capsule exec` prints on the terminal,
    enter brings the UI back; an empty command is a shell on a terminal in the member (`capsule exec -it`),
    where ctrl+c goes to the shell and never the UI, and `exit` goes back."""
    from support.capsule_cli import cli, remove_capsule_leftovers

    source = tmp_path / "sample.yaml"
    source.write_text(sample(unique_name))
    made = cli("create", "-f", str(source))
    assert made.returncode == 0, made.stderr
    exit_file = tmp_path / "exit-code"
    terminal = start_ui(tmux, capsule_home, unique_name, exit_file)
    on_the_list = (lambda text: "hosts: " in text and "sorted by name" in text and "1 of" in text)
    try:
        terminal.wait_for("local reachable", "the list with the local host reachable")
        terminal.press_until("/", "filter: name, KEY=VALUE", "the filter field")
        terminal.type(unique_name)
        terminal.keys("Enter")
        terminal.wait_for(on_the_list, "the filtered list")
        terminal.keys("E")
        terminal.wait_for("member: main (running)", "the exec prompt with its one member")
        terminal.type("sh -c 'echo handed over $((6 * 7))'")
        terminal.keys("Enter")
        screen = terminal.wait_for("press enter to go back to capsule", "the command's end on the terminal")
        assert "handed over 42" in screen and "[exit code 0]" in screen and "hosts: " not in screen, screen
        terminal.keys("Enter")
        terminal.wait_for(on_the_list, "the UI back")
        # The shell: a real one on a terminal of its own (cd carries over, tty answers), where
        # ctrl+c interrupts what runs in it and never the UI; exit goes straight back.
        terminal.keys("E")
        terminal.wait_for("member: main (running)", "the exec prompt")
        terminal.keys("Enter")
        terminal.wait_for(lambda text: text.rstrip().endswith("/ #"), "the shell's prompt")
        terminal.type("cd /tmp && tty && touch made-in-the-shell && echo done $((2 + 3)) in $(pwd)")
        terminal.keys("Enter")
        screen = terminal.wait_for(lambda text: "done 5 in /tmp" in text and text.rstrip().endswith("/tmp #"),
                                   "the output and the prompt in /tmp")
        assert "/dev/pts/" in screen, screen
        terminal.type("sleep 300")
        terminal.keys("Enter")
        terminal.keys("C-c")
        terminal.wait_for(lambda text: "sleep 300\n^C" in text and text.rstrip().endswith("/tmp #"),
                          "a fresh prompt after ctrl+c ended the sleep")
        terminal.type("exit")
        terminal.keys("Enter")
        terminal.wait_for(on_the_list, "the UI back after exit")
        member = docker_engine.client.containers.get(f"{unique_name}.main")
        assert member.exec_run(["test", "-f", "/tmp/made-in-the-shell"]).exit_code == 0
        terminal.keys("q")
        deadline = time.monotonic() + 20
        while not (exit_file.exists() and exit_file.read_text().endswith("\n")):
            assert time.monotonic() < deadline, f"the UI did not end within 20 s; the screen:\n{terminal.screen()}"
            time.sleep(0.2)  # the polling interval
        assert exit_file.read_text().strip() == "0", terminal.screen()
    finally:
        terminal.kill()
        cli("delete", unique_name)
        remove_capsule_leftovers(docker_engine.client, unique_name)
