"""The host inventory: the file, its errors, the URL policy, DOCKER_HOST and docker contexts.

No engine is contacted here (`hosts add --no-check`); test_multihost.py does that.
Addresses outside 127.0.0.0/8 are from TEST-NET-1 (192.0.2.0/24) and are only
written into settings, never connected to.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from capsule_tui.cli import main
from runtime.errors import HostExists, HostNotInInventory, HostSettingError, InventoryFileError
from runtime.hosts.inventory import (
    add_host,
    inventory_path,
    list_hosts,
    load_hosts,
    load_inventory,
    load_reserve,
    remove_host,
)
from runtime.hosts.reserve import MiB, Reserve
from runtime.hosts.settings import HostSettings
from runtime.hosts.url_policy import settings_problem
from support.requirements import require_tool

LOCAL = HostSettings("local", "unix:///var/run/docker.sock")


@pytest.fixture
def pem_files(tmp_path: Path) -> dict[str, str]:
    """Files standing in for PEM files: the inventory checks that they exist, not their content."""
    folder = tmp_path / "tls"
    folder.mkdir()
    files = {}
    for name in ("ca", "cert", "key"):
        (folder / f"{name}.pem").write_text(f"-----BEGIN {name.upper()}-----\n")
        files[name] = str(folder / f"{name}.pem")
    return files


# --- where the file is, and no file at all ----------------------------------------------


def test_no_inventory_means_the_local_engine_alone(capsule_home: Path) -> None:
    assert not inventory_path().exists()
    assert load_hosts() == [LOCAL]
    assert [(o.source, o.refused) for o in list_hosts()] == [("local engine", None)]


def test_inventory_path_is_under_capsule_home_else_the_config_dir(
    capsule_home: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert inventory_path() == capsule_home / "hosts.yaml"
    monkeypatch.delenv("CAPSULE_HOME")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert inventory_path() == tmp_path / "xdg" / "capsule" / "hosts.yaml"
    monkeypatch.delenv("XDG_CONFIG_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert inventory_path() == tmp_path / "home" / ".config" / "capsule" / "hosts.yaml"


# --- add, load, remove -------------------------------------------------------------------


def test_added_hosts_round_trip_through_a_readable_file(capsule_home: Path, pem_files: dict) -> None:
    secure = HostSettings("web1", "tcp://192.0.2.10:2376", {"zone": "a", "disk": "ssd"},
                          "registry.k8s.io/pause:3.10", pem_files["ca"], pem_files["cert"], pem_files["key"])
    loopback = HostSettings("tunnel", "tcp://127.0.0.1:23750")
    add_host(secure)
    add_host(loopback)
    assert load_inventory().hosts == (LOCAL, secure, loopback)
    # The file is plain YAML with the documented field names (read here without capsule).
    written = yaml.safe_load(inventory_path().read_text())
    assert written["hosts"][1] == {
        "name": "web1", "url": "tcp://192.0.2.10:2376",
        "tls": {"ca": pem_files["ca"], "cert": pem_files["cert"], "key": pem_files["key"]},
        "labels": {"zone": "a", "disk": "ssd"}, "sandboxImage": "registry.k8s.io/pause:3.10",
    }
    remove_host("web1")
    assert load_hosts() == [LOCAL, loopback]


def test_first_add_writes_down_the_local_engine_used_so_far(capsule_home: Path) -> None:
    inventory, notes = add_host(HostSettings("tunnel", "tcp://127.0.0.1:23750"))
    assert [h.name for h in inventory.hosts] == ["local", "tunnel"]
    assert notes == ["the inventory now also lists 'local' (unix:///var/run/docker.sock), the local engine "
                     "used so far; `capsule hosts remove local` drops it"]
    remove_host("local")
    _, notes = add_host(HostSettings("other", "tcp://127.0.0.2:2375"))
    assert notes == [] and [h.name for h in load_hosts()] == ["tunnel", "other"]


def test_adding_a_name_twice_or_removing_an_unknown_one_is_refused(capsule_home: Path) -> None:
    add_host(HostSettings("tunnel", "tcp://127.0.0.1:23750"))
    with pytest.raises(HostExists, match=r"host 'tunnel' is already in the inventory .*capsule hosts remove tunnel"):
        add_host(HostSettings("tunnel", "tcp://127.0.0.1:23751"))
    with pytest.raises(HostNotInInventory, match=r"host 'nope' is not in the inventory .*hosts there: local, tunnel"):
        remove_host("nope")


def test_host_names_must_be_dns_labels(capsule_home: Path) -> None:
    with pytest.raises(HostSettingError, match="host name 'Web_1' is not a DNS-1123 label"):
        add_host(HostSettings("Web_1", "tcp://127.0.0.1:2375"))


# --- the hand-edited file ----------------------------------------------------------------


def _write(text: str) -> Path:
    path = inventory_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_hand_edited_mistakes_are_reported_with_line_and_field(capsule_home: Path) -> None:
    path = _write(
        "hosts:\n"                                   # 1
        "  - name: web1\n"                           # 2
        "    url: tcp://192.0.2.10:2375\n"           # 3
        "    labels: {zone: a}\n"                    # 4
        "  - name: Web_2\n"                          # 5
        "    url: unix://var/run/x.sock\n"           # 6
        "    tsl: {}\n"                              # 7
        "  - name: web1\n"                           # 8
        "    url: tcp://127.0.0.1:2375\n"            # 9
        "    insecure: yes please\n"                 # 10
        "  - url: tcp://127.0.0.1:2376\n"            # 11
        "reserv: 1\n"                                # 12
    )
    with pytest.raises(InventoryFileError) as caught:
        load_inventory()
    assert [d.format() for d in caught.value.diagnostics] == [
        f"{path}:3:10: error: hosts[0].url: plain tcp to 192.0.2.10 is refused: an unauthenticated Docker "
        "Engine API is root on that machine (anyone who reaches the port can start a privileged container "
        "and take it over) (use TLS: tls with ca, cert and key in the inventory, or --tls-ca, --tls-cert "
        "and --tls-key; or reach the engine through a loopback address or a unix socket, e.g. an SSH "
        "tunnel; or, only on a network you trust, mark the host insecure: insecure: true, or --insecure)",
        f"{path}:5:11: error: hosts[1].name: host name 'Web_2' is not a DNS-1123 label: use lower-case "
        "letters, digits and '-', starting and ending with a letter or digit (host names are also used "
        "as file names)",
        f"{path}:6:10: error: hosts[1].url: unix socket URL 'unix://var/run/x.sock' needs an absolute path "
        "after 'unix://' (write unix:///var/run/docker.sock (three slashes))",
        f"{path}:7:5: error: hosts[1].tsl: is not a field of a host (known fields here: insecure, labels, "
        "name, sandboxImage, tls, url)",
        f"{path}:10:15: error: hosts[2].insecure: found a string ('yes please'), expected true or false",
        f"{path}:11:5: error: hosts[3].name: is required: expected a string",
        f"{path}:12:1: error: reserv: is not a field of the host inventory (did you mean 'reserve'?)",
    ]


def test_a_name_listed_twice_points_at_the_second_entry(capsule_home: Path) -> None:
    path = _write("- name: a\n  url: tcp://127.0.0.1:1\n- name: a\n  url: tcp://127.0.0.1:2\n")
    with pytest.raises(InventoryFileError) as caught:
        load_inventory()
    assert str(caught.value) == (f"the host inventory cannot be read:\n{path}:3:9: error: [1].name: host 'a' is listed twice (first on "
                                 "line 1) (give every host its own name)")


def test_broken_yaml_names_the_line(capsule_home: Path) -> None:
    path = _write("hosts:\n  - name: a\n    url: [tcp://127.0.0.1:1\n")
    with pytest.raises(InventoryFileError) as caught:
        load_inventory()
    assert str(caught.value).startswith(f"the host inventory cannot be read:\n{path}:4:1: error: is not valid YAML")


def test_a_bare_list_relative_tls_paths_and_reserve_are_read(capsule_home: Path, pem_files: dict) -> None:
    folder = Path(pem_files["ca"]).parent
    shutil.copytree(folder, capsule_home / "certs")
    _write("- name: a\n  url: tcp://192.0.2.1:2376\n  tls: {ca: certs/ca.pem, cert: certs/cert.pem, "
           "key: certs/key.pem}\n  labels: {gpu: 1}\n")
    (host,) = load_hosts()
    assert (host.tls_ca, host.tls_key) == (str(capsule_home / "certs/ca.pem"), str(capsule_home / "certs/key.pem"))
    assert host.labels == {"gpu": "1"}
    assert load_reserve() == Reserve()
    _write("hosts: []\nreserve: {cpu: 500m, memory: 1Gi}\n")
    assert load_reserve() == Reserve(cpu=0.5, memory=1024 * MiB)
    assert load_hosts() == []  # an inventory with no hosts is honoured: nothing implicit
    _write("hosts: []\nreserve: {memory: lots}\n")
    with pytest.raises(InventoryFileError, match=r"hosts.yaml:2:19: error: reserve.memory: found 'lots'"):
        load_reserve()


def test_a_missing_tls_file_leaves_the_inventory_readable(capsule_home: Path) -> None:
    # The host becomes unusable (its facts say why); every other host stays usable.
    _write("- name: a\n  url: tcp://192.0.2.1:2376\n  tls: {ca: /nonexistent/ca.pem, cert: /x/c.pem, key: /x/k.pem}\n")
    assert load_hosts()[0].tls_ca == "/nonexistent/ca.pem"


# --- URL policy --------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["tcp://127.0.0.1:2375", "tcp://127.9.9.9:2375", "tcp://localhost:2375",
                                 "tcp://[::1]:2375", "unix:///var/run/docker.sock", "tcp://127.0.0.1"])
def test_local_urls_are_accepted(url: str) -> None:
    assert settings_problem(HostSettings("h", url)) is None


def test_plain_tcp_to_another_machine_is_refused_with_the_reason() -> None:
    problem = settings_problem(HostSettings("h", "tcp://192.0.2.10:2375"))
    assert problem.message == ("plain tcp to 192.0.2.10 is refused: an unauthenticated Docker Engine API is root "
                               "on that machine (anyone who reaches the port can start a privileged container "
                               "and take it over)")
    assert "--insecure" in problem.hint and "--tls-ca" in problem.hint
    assert settings_problem(HostSettings("h", "tcp://192.0.2.10:2375", insecure=True)) is None
    # A name that happens to resolve to loopback is not trusted: only literal addresses are.
    assert settings_problem(HostSettings("h", "tcp://my-laptop:2375")) is not None


@pytest.mark.parametrize("url", ["tcp://localhost.evil.example:2375", "tcp://localhost.:2375",
                                 "tcp://my-localhost:2375", "tcp://127.0.0.1.nip.io:2375", "tcp://127.1:2375",
                                 "tcp://2130706433:2375", "tcp://[::ffff:127.0.0.1]:2375"])
def test_only_the_name_localhost_itself_counts_as_loopback(url: str) -> None:
    # A name is loopback only when it is `localhost` (any case): `localhost.evil.example` is
    # anyone's DNS name, and `localhost.` and unusual address forms are left to a resolver.
    problem = settings_problem(HostSettings("h", url))
    assert problem is not None and problem.message.startswith("plain tcp to ")
    assert settings_problem(HostSettings("h", url, insecure=True)) is None


@pytest.mark.parametrize("url", ["tcp://localhost:2375", "tcp://LOCALHOST:2375", "tcp://LocalHost"])
def test_the_name_localhost_is_loopback_in_any_case(url: str) -> None:
    assert settings_problem(HostSettings("h", url)) is None


def test_tls_without_a_client_certificate_is_refused_for_a_remote_host(pem_files: dict) -> None:
    problem = settings_problem(HostSettings("h", "tcp://192.0.2.10:2376", tls_ca=pem_files["ca"]))
    assert problem.field == "tls"
    assert problem.message.startswith("TLS to 192.0.2.10 without a client certificate is refused")
    full = HostSettings("h", "tcp://192.0.2.10:2376", tls_ca=pem_files["ca"], tls_cert=pem_files["cert"],
                        tls_key=pem_files["key"])
    assert settings_problem(full) is None


@pytest.mark.parametrize(("url", "tls", "message"), [
    ("ftp://me@192.0.2.1", {}, "engine URL 'ftp://me@192.0.2.1' has 'ftp://'; capsule reaches engines over "
                               "unix:// sockets, ssh:// and tcp://"),
    ("ssh://me:pw@192.0.2.1", {}, "carries a password; capsule signs in with keys or an agent only"),
    ("ssh://192.0.2.1?x=1", {}, "has a query or fragment"),
    ("ssh://me@192.0.2.1", {"tls_ca": "/etc/hosts"}, "TLS settings apply to tcp URLs only"),
    ("http://127.0.0.1:2375", {}, "engine URL 'http://127.0.0.1:2375' has 'http://'"),
    ("127.0.0.1:2375", {}, "engine URL '127.0.0.1:2375' has no scheme"),
    ("/var/run/docker.sock", {}, "engine URL '/var/run/docker.sock' has no scheme"),
    ("tcp://127.0.0.1:99999", {}, "engine URL 'tcp://127.0.0.1:99999' has a bad port"),
    ("tcp://:2375", {}, "engine URL 'tcp://:2375' names no host"),
    ("tcp://127.0.0.1:2375/v1.41", {}, "has a path, query or port 0"),
    ("unix:///run/docker.sock", {"tls_ca": "/etc/hosts"}, "TLS settings apply to tcp URLs only"),
    ("tcp://127.0.0.1:2376", {"tls_cert": "/etc/hosts"}, "a TLS client certificate and its key must be given together"),
    ("tcp://127.0.0.1:2376", {"tls_ca": "/nonexistent/ca.pem"},
     "TLS CA certificate '/nonexistent/ca.pem' does not exist or is not a file"),
])
def test_unusable_urls_and_tls_settings_are_explained(url: str, tls: dict, message: str) -> None:
    problem = settings_problem(HostSettings("h", url, **tls))
    assert problem is not None and message in problem.message, problem


def test_ssh_urls_are_accepted_to_any_address_and_bare_addresses_get_a_tcp_hint() -> None:
    # SSH authenticates both ends, so unlike plain tcp it is not limited to loopback.
    for url in ("ssh://me@192.0.2.1", "ssh://box", "ssh://me@[2001:db8::1]:2222/run/docker.sock"):
        assert settings_problem(HostSettings("h", url)) is None, url
    assert settings_problem(HostSettings("h", "127.0.0.1:2375")).hint == "write tcp://127.0.0.1:2375"


# --- DOCKER_HOST -------------------------------------------------------------------------


def test_docker_host_replaces_the_implicit_local_engine(capsule_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", "tcp://127.0.0.1:23999")
    assert load_hosts() == [HostSettings("local", "tcp://127.0.0.1:23999")]
    assert list_hosts()[0].source == "DOCKER_HOST"
    # First add keeps DOCKER_HOST offered (not copied) and does not write "local" down.
    add_host(HostSettings("local", "unix:///run/other.sock"))
    offered = list_hosts()
    assert [(o.settings.name, o.settings.url, o.source) for o in offered] == [
        ("local", "unix:///run/other.sock", "inventory"), ("local-2", "tcp://127.0.0.1:23999", "DOCKER_HOST")]


def test_docker_host_already_in_the_inventory_is_not_listed_twice(
    capsule_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_host(HostSettings("tunnel", "tcp://127.0.0.1:23999"))
    monkeypatch.setenv("DOCKER_HOST", "tcp://127.0.0.1:23999")
    assert [h.name for h in load_hosts()] == ["local", "tunnel"]


def test_docker_host_with_tls_variables(capsule_home: Path, monkeypatch: pytest.MonkeyPatch, pem_files: dict) -> None:
    folder = Path(pem_files["ca"]).parent
    monkeypatch.setenv("DOCKER_HOST", "tcp://192.0.2.20:2376")
    monkeypatch.setenv("DOCKER_TLS_VERIFY", "1")
    monkeypatch.setenv("DOCKER_CERT_PATH", str(folder))
    (host,) = load_hosts()
    assert (host.tls_ca, host.tls_cert, host.tls_key) == (pem_files["ca"], pem_files["cert"], pem_files["key"])


def test_plain_docker_host_to_another_machine_is_listed_but_refused(
    capsule_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCKER_HOST", "tcp://192.0.2.30:2375")
    (offered,) = list_hosts()
    assert offered.refused.startswith("plain tcp to 192.0.2.30 is refused")
    assert offered.refused.endswith("to use it anyway: capsule hosts add NAME tcp://192.0.2.30:2375 --insecure)")
    assert load_hosts() == []


# --- docker contexts ---------------------------------------------------------------------


def _context(docker_config: Path, name: str, host: str, tls: dict | None = None) -> None:
    """A context as `docker context create` stores it (meta.json under the name's sha256)."""
    digest = hashlib.sha256(name.encode()).hexdigest()
    meta = docker_config / "contexts" / "meta" / digest
    meta.mkdir(parents=True)
    (meta / "meta.json").write_text(json.dumps({
        "Name": name, "Metadata": {}, "Endpoints": {"docker": {"Host": host, "SkipTLSVerify": False}}}))
    if tls:
        folder = docker_config / "contexts" / "tls" / digest / "docker"
        folder.mkdir(parents=True)
        for key, source in tls.items():
            shutil.copy(source, folder / f"{key}.pem")


@pytest.mark.parametrize("with_config_json", [True, False], ids=["config-json", "no-config-json"])
def test_docker_contexts_are_offered(capsule_home: Path, pem_files: dict, with_config_json: bool) -> None:
    import os

    docker_config = Path(os.environ["DOCKER_CONFIG"])
    if with_config_json:  # then the docker package's ContextAPI finds the contexts itself
        (docker_config / "config.json").write_text("{}")
    _context(docker_config, "Build_Box", "tcp://127.0.0.1:23801")
    _context(docker_config, "prod", "tcp://192.0.2.40:2376", tls=pem_files)
    _context(docker_config, "over-ssh", "ssh://me@192.0.2.41")
    offered = {o.settings.name: o for o in list_hosts()}
    assert set(offered) == {"local", "build-box", "prod", "over-ssh"}
    assert offered["build-box"].source == "docker context Build_Box"
    assert offered["build-box"].settings.url == "tcp://127.0.0.1:23801"
    prod = offered["prod"].settings
    assert prod.uses_tls and Path(prod.tls_cert).read_text() == Path(pem_files["cert"]).read_text()
    assert Path(prod.tls_ca).parent.parts[-4:-2] == ("contexts", "tls")  # used in place, not copied
    assert offered["prod"].refused is None
    assert offered["over-ssh"].refused is None
    assert offered["over-ssh"].settings.url == "ssh://me@192.0.2.41"
    assert [h.name for h in load_hosts()] == ["local", "build-box", "over-ssh", "prod"]


def test_a_context_made_by_the_docker_cli_is_offered(capsule_home: Path) -> None:
    import os

    docker = require_tool("docker", "a docker context made by the real docker CLI")
    result = subprocess.run([docker, "context", "create", "cli-made", "--docker", "host=tcp://127.0.0.1:23802"],
                            capture_output=True, text=True, env=os.environ.copy(), timeout=60)
    assert result.returncode == 0, result.stderr
    (offered,) = [o for o in list_hosts() if o.source == "docker context cli-made"]
    assert offered.settings == HostSettings("cli-made", "tcp://127.0.0.1:23802")


def test_a_broken_context_file_is_reported_not_fatal(capsule_home: Path) -> None:
    import os

    meta = Path(os.environ["DOCKER_CONFIG"]) / "contexts" / "meta" / "abc"
    meta.mkdir(parents=True)
    (meta / "meta.json").write_text("{not json")
    offered = list_hosts()
    assert [o.settings.name for o in offered] == ["local", "docker-contexts"]
    assert offered[1].refused.startswith("cannot read docker contexts in ")
    assert load_hosts() == [LOCAL]


# --- the command line --------------------------------------------------------------------


def test_cli_add_refuses_plain_tcp_with_the_reason(capsule_home: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["hosts", "add", "web", "tcp://192.0.2.50:2375", "--no-check"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("capsule hosts: error: host 'web': plain tcp to 192.0.2.50 is refused: an "
                          "unauthenticated Docker Engine API is root on that machine")
    assert not inventory_path().exists()  # nothing half-done
    assert main(["hosts", "add", "web", "tcp://192.0.2.50:2375", "--insecure", "--no-check",
                 "--label", "zone=a", "--label", "tier=web"]) == 0
    out, err = capsys.readouterr()
    assert f"host 'web' added to {inventory_path()}" in out
    assert "warning: host 'web' is reached over plain tcp" in err
    assert load_inventory().hosts[-1] == HostSettings("web", "tcp://192.0.2.50:2375",
                                                      {"zone": "a", "tier": "web"}, insecure=True)


def test_cli_add_checks_files_and_labels(capsule_home: Path, capsys: pytest.CaptureFixture,
                                         pem_files: dict) -> None:
    assert main(["hosts", "add", "web", "tcp://192.0.2.50:2376", "--tls-ca", "/nonexistent/ca.pem",
                 "--tls-cert", pem_files["cert"], "--tls-key", pem_files["key"], "--no-check"]) == 2
    assert "--tls-ca /nonexistent/ca.pem: no such file" in capsys.readouterr().err
    assert main(["hosts", "add", "web", "tcp://127.0.0.1:2376", "--label", "zone", "--no-check"]) == 2
    assert "--label 'zone': expected KEY=VALUE" in capsys.readouterr().err
    assert main(["hosts", "add", "web", "tcp://192.0.2.50:2376", "--tls-ca", pem_files["ca"],
                 "--tls-cert", pem_files["cert"], "--tls-key", pem_files["key"], "--no-check"]) == 0
    assert load_inventory().hosts[-1].tls_key == pem_files["key"]


def test_cli_remove(capsule_home: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    assert main(["hosts", "add", "tunnel", "tcp://127.0.0.1:23750", "--no-check"]) == 0
    assert main(["hosts", "remove", "tunnel"]) == 0
    assert "host 'tunnel' removed from" in capsys.readouterr().out
    assert main(["hosts", "remove", "tunnel"]) == 2
    assert "host 'tunnel' is not in the inventory" in capsys.readouterr().err
    monkeypatch.setenv("DOCKER_HOST", "tcp://127.0.0.1:23999")
    remove_host("local")
    assert main(["hosts", "rm", "local"]) == 2
    assert "host 'local' comes from DOCKER_HOST, not from the inventory" in capsys.readouterr().err


def test_cli_list_with_a_broken_inventory_exits_2_with_the_line(
    capsule_home: Path, capsys: pytest.CaptureFixture
) -> None:
    path = _write("hosts:\n  - name: a\n    urll: tcp://127.0.0.1:1\n")
    assert main(["hosts", "list"]) == 2
    err = capsys.readouterr().err
    assert f"{path}:3:5: error: hosts[0].urll: is not a field of a host (did you mean 'url'?)" in err
    assert f"{path}:2:5: error: hosts[0].url: is required: expected an engine URL such as tcp://HOST:2376" in err


def test_reading_the_inventory_imports_no_engine_client_or_ui() -> None:
    code = ("import sys, runtime.hosts.inventory, capsule_tui.commands.hosts_cmd; "
            "bad = [m for m in ('httpx', 'textual', 'docker', 'kubernetes') if m in sys.modules]; "
            "print(bad); sys.exit(1 if bad else 0)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_one_engine_under_two_names_is_refused(capsule_home: Path) -> None:
    """It listed every capsule there twice, and a delete could report the wrong host."""
    add_host(HostSettings("first", "tcp://127.0.0.1:23751"))
    with pytest.raises(HostSettingError, match="already in the inventory as host 'first'"):
        add_host(HostSettings("second", "tcp://127.0.0.1:23751"))
    path = _write("- name: a\n  url: tcp://127.0.0.1:1\n- name: b\n  url: tcp://127.0.0.1:1\n")
    with pytest.raises(InventoryFileError) as caught:
        load_inventory()
    assert f"{path}:4:8: error: [1].url: reaches the same engine as host 'a' (line 2)" in str(caught.value)
