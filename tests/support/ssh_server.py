"""An SSH server in front of one extra test host, and the client side a user would have.

`SshServer.start(host, folder)` runs Debian's sshd inside the host's network
namespace (`nsenter --net`), listening only on that namespace's address, port 2222,
with keys made for the test:
- its own host key (never the machine's /etc/ssh keys);
- `authorized`: a client key both `root` and `nobody` may log in with (nobody may
  not use the engine's socket: the "no permission" case), and `stranger`, a key
  no account accepts;
- the engine behind it is the extra host's own, reached through its unix socket.

`home(folder)` makes a HOME for capsule with ~/.ssh/{id_ed25519, known_hosts, config}
as a user would have them; tests point HOME there (and drop SSH_AUTH_SOCK), so the
developer's own keys, agent and known hosts are never used or changed.

Must not: listen outside the test namespace, or stop any process but its own sshd.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from .errors import HostSetupError
from .hosts import ExtraHost
from .procs import ProcessRef, tail, wait_gone

SSH_PORT = 2222
_SSHD = Path("/usr/sbin/sshd")


def find_sshd() -> Path | None:
    return _SSHD if _SSHD.is_file() and os.access(_SSHD, os.X_OK) else None


def _keygen(path: Path, comment: str) -> None:
    path.unlink(missing_ok=True)
    Path(f"{path}.pub").unlink(missing_ok=True)
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)],
                   check=True, stdin=subprocess.DEVNULL, capture_output=True)


def fingerprint(public_key: Path) -> str:
    """`SHA256:...` as ssh-keygen computes it (an independent path to the key's fingerprint)."""
    out = subprocess.run(["ssh-keygen", "-lf", str(public_key)], check=True, capture_output=True, text=True).stdout
    return out.split()[1]


@dataclass
class SshServer:
    host: ExtraHost
    folder: Path
    keys_folder: Path | None = None
    _popen: subprocess.Popen | None = field(default=None, repr=False)
    _process: ProcessRef | None = field(default=None, repr=False)

    @property
    def address(self) -> str:
        return self.host.address

    @property
    def host_key(self) -> Path:
        return self.folder / "host_key"

    @property
    def authorized(self) -> Path:
        return self.folder / "client_key"

    @property
    def stranger(self) -> Path:
        return self.folder / "stranger_key"

    @property
    def log_path(self) -> Path:
        return self.folder / "sshd.log"

    def url(self, user: str = "root", *, socket_path: str | None = None) -> str:
        path = str(self.host.socket_path) if socket_path is None else socket_path
        return f"ssh://{user}@{self.address}:{SSH_PORT}{path}"

    def known_hosts_line(self, key: Path | None = None) -> str:
        algorithm, blob = Path(f"{key or self.host_key}.pub").read_text().split()[:2]
        return f"[{self.address}]:{SSH_PORT} {algorithm} {blob}\n"

    def logins(self) -> int:
        """How many logins the server accepted so far (one per SSH connection)."""
        try:
            return self.log_path.read_text(errors="replace").count("Accepted publickey")
        except OSError:
            return 0

    # -- the server process
    @classmethod
    def start(cls, host: ExtraHost, folder: Path) -> SshServer:
        sshd = find_sshd()
        if sshd is None:
            raise HostSetupError("no sshd (Debian's openssh-server; scripts/setup installs it)")
        folder.mkdir(parents=True, exist_ok=True)
        server = cls(host, folder)
        _keygen(server.host_key, "capsule-test-host")
        _keygen(server.authorized, "capsule-test-client")
        _keygen(server.stranger, "capsule-test-stranger")
        # sshd reads the keys file as the user logging in, and nobody cannot enter pytest's
        # private temp folders: the file lives in a folder of its own that anyone may enter.
        keys_folder = Path(tempfile.mkdtemp(prefix="capsule-t-sshkeys-"))
        keys_folder.chmod(0o755)
        keys = keys_folder / "authorized_keys"
        keys.write_text(Path(f"{server.authorized}.pub").read_text())
        keys.chmod(0o644)
        server.keys_folder = keys_folder
        (folder / "sshd_config").write_text(
            f"ListenAddress {host.address}:{SSH_PORT}\n"
            f"HostKey {server.host_key}\n"
            f"PidFile {folder / 'sshd.pid'}\n"
            f"AuthorizedKeysFile {keys}\n"
            "StrictModes no\n"  # the test folder is under /tmp, which is world-writable
            "PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\n"
            "PermitRootLogin prohibit-password\nAllowStreamLocalForwarding yes\n"
            "Subsystem sftp internal-sftp\n"  # socket checks over SFTP need no shell (nobody has none)
            "LogLevel VERBOSE\n")
        server.run()
        return server

    def run(self) -> None:
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege separation directory
        command = ["nsenter", f"--net=/var/run/netns/{self.host.netns}", "--",
                   str(_SSHD), "-D", "-e", "-f", str(self.folder / "sshd_config")]
        with self.log_path.open("ab") as log:
            self._popen = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                           start_new_session=True, close_fds=True)
        self._process = ProcessRef.of(self._popen.pid) or ProcessRef(self._popen.pid, 0)
        deadline = time.monotonic() + 15
        while not self.answers():
            if self._popen.poll() is not None or time.monotonic() > deadline:
                raise HostSetupError(f"sshd in {self.host.netns} did not start; {self.log_path}:\n"
                                     f"{tail(self.log_path)}")
            time.sleep(0.05)

    def answers(self) -> bool:
        try:
            with socket.create_connection((self.address, SSH_PORT), timeout=1) as sock:
                return sock.recv(4).startswith(b"SSH-")
        except OSError:
            return False

    def _sessions(self) -> list[ProcessRef]:
        """The per-connection sshd processes: children of ours (and theirs), never anyone else's."""
        found: list[ProcessRef] = []
        parents = [self._process.pid] if self._process is not None and self._process.alive() else []
        while parents:
            pid = parents.pop()
            try:
                children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
            except OSError:
                continue
            for child in map(int, children):
                ref = ProcessRef.of(child)
                if ref is not None:
                    found.append(ref)
                    parents.append(child)
        return found

    def pause(self) -> None:
        """SIGSTOP the server and its open sessions: the port still accepts (the kernel's
        backlog) and open connections stay up, but nothing answers: a hung machine."""
        for ref in [*self._sessions(), *([self._process] if self._process else [])]:
            ref.signal(signal.SIGSTOP)

    def resume(self) -> None:
        for ref in [*([self._process] if self._process else []), *self._sessions()]:
            ref.signal(signal.SIGCONT)

    def stop(self, *, sessions: bool = True) -> None:
        """Stop the server; with `sessions`, its open connections end too (the machine went away)."""
        self.resume()
        doomed = self._sessions() if sessions else []
        if self._process is not None:
            self._process.stop(10.0, self._popen)
            wait_gone(self._process, 5.0, self._popen)
        for ref in doomed:
            ref.signal(signal.SIGKILL)
            wait_gone(ref, 5.0)
        self._process = None

    def close(self) -> None:
        """Stop for good and remove the keys folder."""
        self.stop()
        if self.keys_folder is not None:
            shutil.rmtree(self.keys_folder, ignore_errors=True)

    def ensure_running(self) -> None:
        """Undo a test's pause() or stop()."""
        self.resume()
        if self._process is None or not self._process.alive():
            self.run()


def home(folder: Path, server: SshServer, *, key: Path | None = None, with_key: bool = True,
         known_hosts: str | None = None, config: str = "") -> Path:
    """A HOME whose ~/.ssh holds `key` (default: the authorized one) as id_ed25519, and known_hosts.

    `with_key=False`: no key file at all (the key is in an agent, or nowhere)."""
    ssh = folder / ".ssh"
    if ssh.exists():
        shutil.rmtree(ssh)
    ssh.mkdir(parents=True, mode=0o700)
    if with_key:
        chosen = key or server.authorized
        shutil.copy(chosen, ssh / "id_ed25519")
        (ssh / "id_ed25519").chmod(0o600)
    (ssh / "known_hosts").write_text(server.known_hosts_line() if known_hosts is None else known_hosts)
    if config:
        (ssh / "config").write_text(config)
    return folder
