"""Which engine URLs capsule accepts for a host, and why it refuses the others.

Accepted: `unix:///absolute/path`, `tcp://HOST[:PORT]`, tcp with TLS (a CA to
verify the engine, and a client certificate and key it trusts), and
`ssh://[user@]HOST[:PORT][/path/to/docker.sock]` (SSH authenticates both ends: the
host by its key in known_hosts, us by our keys; no TLS settings apply).

Refused: plain tcp to anything but a loopback address (`localhost` or a literal one,
runtime/hosts/address_rules.py: never a name that merely resolves to one, nor
`localhost.evil.example`), unless the host is marked insecure. An Engine API
without TLS client authentication is root on that machine: whoever reaches the port
can start a privileged container that mounts the host's disk. For the same reason,
TLS without a client certificate is refused for a remote host (an engine that
accepts that authenticates nobody).

Pure checks on settings; this module must not open files' contents or connections
(whether a TLS file exists is checked, since a typo there is the usual mistake).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from runtime.engine.ssh.target import ssh_url_problem
from runtime.hosts.address_rules import is_loopback
from runtime.hosts.settings import HostSettings

_URL_HINT = "write unix:///var/run/docker.sock, ssh://USER@HOST or tcp://HOST:2376"
_SECURE_HINT = (
    "use TLS: tls with ca, cert and key in the inventory, or --tls-ca, --tls-cert and --tls-key; "
    "or reach the engine through a loopback address or a unix socket, e.g. an SSH tunnel; "
    "or, only on a network you trust, mark the host insecure: insecure: true, or --insecure"
)


@dataclass(frozen=True)
class SettingProblem:
    field: str  # "url" or "tls": where in the inventory entry the problem lies
    message: str
    hint: str


def settings_problem(host: HostSettings, *, check_files: bool = True) -> SettingProblem | None:
    """What is wrong with a host's URL and TLS settings, or None when they are acceptable.

    `check_files=False` when reading the inventory: a TLS file gone missing makes
    that one host unusable (its facts say why) instead of failing every command.
    """
    url = host.url.strip()
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "unix":
        if parts.netloc or not parts.path.startswith("/"):
            return SettingProblem("url", f"unix socket URL {url!r} needs an absolute path after "
                                         f"'unix://'", "write unix:///var/run/docker.sock (three slashes)")
        if host.uses_tls:
            return SettingProblem("tls", "TLS settings apply to tcp URLs only, not to a unix socket",
                                  "remove the TLS files or use a tcp:// URL")
        return None
    if scheme == "ssh":
        problem = ssh_url_problem(url)
        if problem is not None:
            return SettingProblem("url", problem, "write ssh://USER@HOST[:PORT][/path/to/docker.sock]")
        if host.uses_tls:
            return SettingProblem("tls", "TLS settings apply to tcp URLs only; SSH encrypts and authenticates "
                                         "by itself", "remove the TLS files from this host")
        return None
    if scheme != "tcp":
        hint = _URL_HINT
        if not scheme or "://" not in url:
            scheme = ""
            hint = f"write tcp://{url}" if ":" in url and not url.startswith("/") else _URL_HINT
        shown = f"'{scheme}://'" if scheme else "no scheme"
        return SettingProblem("url", f"engine URL {url!r} has {shown}; capsule reaches engines over "
                                     f"unix:// sockets, ssh:// and tcp://", hint)
    try:
        port = parts.port
    except ValueError:
        return SettingProblem("url", f"engine URL {url!r} has a bad port", "ports are 1-65535")
    if not parts.hostname:
        return SettingProblem("url", f"engine URL {url!r} names no host", "write tcp://HOST:PORT")
    if port == 0 or parts.path.strip("/") or parts.query:
        return SettingProblem("url", f"engine URL {url!r} has a path, query or port 0",
                              "write tcp://HOST:PORT and nothing after it")
    if (host.tls_cert is None) != (host.tls_key is None):
        return SettingProblem("tls", "a TLS client certificate and its key must be given together",
                              "give both cert and key, or neither")
    for label, path in (("CA certificate", host.tls_ca), ("client certificate", host.tls_cert),
                        ("client key", host.tls_key)):
        if check_files and path is not None and not Path(path).is_file():
            return SettingProblem("tls", f"TLS {label} {path!r} does not exist or is not a file",
                                  "give the path of a PEM file")
    if host.insecure or is_loopback(parts.hostname):
        return None
    if not host.uses_tls:
        return SettingProblem(
            "url",
            f"plain tcp to {parts.hostname} is refused: an unauthenticated Docker Engine API is root on "
            f"that machine (anyone who reaches the port can start a privileged container and take it over)",
            _SECURE_HINT,
        )
    if host.tls_cert is None:
        return SettingProblem(
            "tls",
            f"TLS to {parts.hostname} without a client certificate is refused: an engine that accepts "
            f"that authenticates nobody, so its API is root on that machine for anyone",
            "give the client certificate and key the engine trusts (dockerd --tlsverify), or mark the "
            "host insecure on a network you trust",
        )
    return None
