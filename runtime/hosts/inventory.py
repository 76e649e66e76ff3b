"""The host inventory: which Docker hosts capsule may use, kept in a hand-editable file.

The file is `hosts.yaml` in capsule's config folder (`$CAPSULE_HOME/hosts.yaml`,
else `$XDG_CONFIG_HOME/capsule/hosts.yaml`, else `~/.config/capsule/hosts.yaml`):

    hosts:
      - name: web1
        url: tcp://10.0.0.5:2376
        tls: {ca: /etc/capsule/ca.pem, cert: /etc/capsule/cert.pem, key: /etc/capsule/key.pem}
        labels: {zone: a}
        sandboxImage: registry.k8s.io/pause:3.10   # optional
        insecure: false                            # optional
    reserve: {cpu: 0, memory: 256Mi}               # optional: kept free on every host

(a bare list of hosts at the top works too). Errors name the file, line and field.

Besides the file, two sources are offered without being copied into it
(runtime/hosts/docker_sources.py): the engine named by `DOCKER_HOST`, and the user's docker
contexts. With no inventory file and no `DOCKER_HOST`, the local engine is the one
host, so a new user needs no configuration.

URL policy (runtime/hosts/url_policy.py): `unix:///path`, `tcp://host:port`, and tcp with TLS.
Plain tcp to anything but a loopback address is refused unless the host is marked
insecure: an unauthenticated Engine API is root on that machine.

This module reads and writes the file; it must not talk to engines.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from runtime.errors import HostExists, HostNotInInventory, HostSettingError, InventoryFileError
from runtime.hosts.docker_sources import OfferedHost, context_hosts, docker_host
from runtime.hosts.reserve import MiB, Reserve
from runtime.hosts.settings import HostSettings, local_host
from runtime.hosts.url_policy import settings_problem
from runtime.paths import config_dir

if TYPE_CHECKING:
    from translate.fields import FieldReader
    from translate.source import Document

# yaml and the translate readers are imported where a file is read or written:
# every command reads the inventory, most often there is no file at all.

INVENTORY_FILE = "hosts.yaml"
_HOST_FIELDS = ("name", "url", "tls", "labels", "sandboxImage", "insecure")
_TLS_FIELDS = ("ca", "cert", "key")
_TOP_FIELDS = ("hosts", "reserve")
_HEADER = (
    "# capsule host inventory: the Docker hosts capsule may place capsules on.\n"
    "# Edit by hand or with `capsule hosts add|remove`, which rewrite this file\n"
    "# (comments are not kept). Fields per host: name, url, tls {ca, cert, key},\n"
    "# labels, sandboxImage, insecure. Optional: reserve {cpu, memory}.\n"
)


@dataclass(frozen=True)
class Inventory:
    """The file's content; `exists` is False when there is no file yet."""

    path: Path
    exists: bool
    hosts: tuple[HostSettings, ...] = ()
    reserve: Reserve = Reserve()


def inventory_path() -> Path:
    return config_dir() / INVENTORY_FILE


# --- reading ----------------------------------------------------------------------------


def load_inventory(path: Path | None = None) -> Inventory:
    """Read the inventory file; raise InventoryFileError naming every problem's line and field."""
    path = path or inventory_path()
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return Inventory(path, exists=False)
    except OSError as exc:
        from translate.diagnostics import Diagnostic

        raise InventoryFileError([Diagnostic("error", str(path), None, None, "",
                                             f"cannot be read: {exc.strerror}")]) from None
    from translate.diagnostics import TranslationError
    from translate.source import load_documents

    try:
        documents = load_documents(raw, str(path))
    except TranslationError as exc:
        raise InventoryFileError(exc.diagnostics) from None
    if len(documents) > 1:
        raise InventoryFileError([documents[1].diagnostic(
            "error", (), "holds more than one YAML document", "keep one document (remove the '---' line)")])
    if not documents:
        return Inventory(path, exists=True)
    return _read(documents[0], path)


def _read(doc: Document, path: Path) -> Inventory:
    from translate.diagnostics import Report
    from translate.fields import FieldReader

    report = Report()
    reader = FieldReader(doc, report, strict=True)
    reserve = Reserve()
    if isinstance(doc.data, list):
        hosts_path: tuple = ()
    elif isinstance(doc.data, dict):
        hosts_path = ("hosts",)
        reader.unknown_fields((), _TOP_FIELDS, where="the host inventory")
        reserve = _read_reserve(reader)
    else:
        reader.error((), "found neither a list of hosts nor a mapping with 'hosts'",
                     "write 'hosts:' followed by one '- name: ... url: ...' entry per host")
        hosts_path = ("hosts",)
    hosts: list[HostSettings] = []
    seen: dict[str, int] = {}
    urls: dict[str, str] = {}  # URL -> the name of the host first listed with it
    for index, _ in enumerate(reader.items(hosts_path, expected="a list of hosts")):
        host = _read_host(reader, hosts_path + (index,), path.parent)
        if host is None:
            continue
        if host.name in seen:
            first_line = doc.position(hosts_path + (seen[host.name], "name"))[0]
            reader.error(hosts_path + (index, "name"), f"host {host.name!r} is listed twice "
                         f"(first on line {first_line})", "give every host its own name")
            continue
        if host.url in urls:
            first = urls[host.url]
            first_line = doc.position(hosts_path + (seen[first], "url"))[0]
            reader.error(hosts_path + (index, "url"), f"reaches the same engine as host {first!r} (line "
                         f"{first_line})", "one engine under two names shows its capsules twice; keep one")
            continue
        seen[host.name] = index
        urls[host.url] = host.name
        hosts.append(host)
    if report.errors:
        raise InventoryFileError(sorted(report.errors, key=lambda d: (d.line or 0, d.column or 0)))
    return Inventory(path, exists=True, hosts=tuple(hosts), reserve=reserve)


def _read_host(reader: FieldReader, at: tuple, base: Path) -> HostSettings | None:
    from translate.fields import dns1123_problem

    if not isinstance(reader.raw(at), dict):
        reader.error(at, "found something that is not a host", "each host is a mapping with name and url")
        return None
    before = reader.error_count
    reader.unknown_fields(at, _HOST_FIELDS, where="a host")
    name = reader.string(at + ("name",), required=True) or ""
    if name and (problem := dns1123_problem(name)):
        reader.error(at + ("name",), f"host name {problem}", "host names are also used as file names")
    url = reader.string(at + ("url",), required=True, expected="an engine URL such as tcp://HOST:2376")
    tls = reader.mapping(at + ("tls",))
    reader.unknown_fields(at + ("tls",), _TLS_FIELDS, where="tls")
    ca, cert, key = (_file(reader.string(at + ("tls", f)), base) for f in _TLS_FIELDS)
    labels = dict(reader.string_map(at + ("labels",)))
    sandbox_image = reader.string(at + ("sandboxImage",))
    insecure = reader.boolean(at + ("insecure",))
    if url is None:
        return None
    settings = HostSettings(name, url, labels, sandbox_image, ca, cert, key, insecure)
    problem = settings_problem(settings, check_files=False)
    if problem is not None:
        field = "tls" if problem.field == "tls" and tls else "url"
        reader.error(at + (field,), problem.message, problem.hint)
    if reader.error_count > before:
        return None
    return settings


def _file(value: str | None, base: Path) -> str | None:
    """TLS paths in the file may be relative to the file's folder, or start with ~."""
    if not value:
        return None
    path = Path(value).expanduser()
    return str(path if path.is_absolute() else base / path)


def _read_reserve(reader: FieldReader) -> Reserve:
    from translate.quantity import QuantityError, parse_cpu, parse_memory

    reserve = reader.mapping(("reserve",))
    reader.unknown_fields(("reserve",), ("cpu", "memory"), where="reserve")
    cpu, memory = Reserve().cpu, Reserve().memory
    try:
        if reserve.get("cpu") is not None:
            cpu = parse_cpu(reserve["cpu"])
    except QuantityError as exc:
        reader.error(("reserve", "cpu"), str(exc))
    try:
        if reserve.get("memory") is not None:
            memory = parse_memory(reserve["memory"])
    except QuantityError as exc:
        reader.error(("reserve", "memory"), str(exc))
    return Reserve(cpu, memory)


# --- writing ----------------------------------------------------------------------------


def _host_document(host: HostSettings) -> dict:
    entry: dict = {"name": host.name, "url": host.url}
    tls = {k: v for k, v in (("ca", host.tls_ca), ("cert", host.tls_cert), ("key", host.tls_key)) if v}
    if tls:
        entry["tls"] = tls
    if host.labels:
        entry["labels"] = dict(host.labels)
    if host.sandbox_image:
        entry["sandboxImage"] = host.sandbox_image
    if host.insecure:
        entry["insecure"] = True
    return entry


def save_inventory(inventory: Inventory) -> None:
    """Write the file atomically (a crash leaves the old file or the new one, never half)."""
    document: dict = {"hosts": [_host_document(h) for h in inventory.hosts]}
    if inventory.reserve != Reserve():
        document["reserve"] = {"cpu": inventory.reserve.cpu,
                               "memory": f"{inventory.reserve.memory // MiB}Mi"
                               if inventory.reserve.memory % MiB == 0 else inventory.reserve.memory}
    import tempfile

    import yaml

    text = _HEADER + yaml.safe_dump(document, sort_keys=False, default_flow_style=False)
    inventory.path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=".hosts.", suffix=".yaml", dir=inventory.path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temp, inventory.path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


@contextmanager
def _editing(path: Path) -> Iterator[None]:
    """Serialize read-modify-write of the file between concurrent `capsule hosts` commands."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.parent / f".{path.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def add_host(host: HostSettings, *, path: Path | None = None) -> tuple[Inventory, list[str]]:
    """Add a host after checking its name, URL and TLS settings; returns notes for the user.

    The first host added to a machine without an inventory also writes down the
    implicit local engine, so that capsules already running there stay visible.
    """
    from translate.fields import dns1123_problem

    path = path or inventory_path()
    if problem := dns1123_problem(host.name):
        raise HostSettingError(f"host name {problem}", "host names are also used as file names")
    problem = settings_problem(host)
    if problem is not None:
        raise HostSettingError(problem.message, problem.hint)
    notes: list[str] = []
    with _editing(path):
        inventory = load_inventory(path)
        hosts = list(inventory.hosts)
        if not inventory.exists and os.environ.get("DOCKER_HOST") is None:
            local = local_host()
            if local.name != host.name and local.url != host.url:
                hosts.append(local)
                notes.append(f"the inventory now also lists {local.name!r} ({local.url}), the local "
                             f"engine used so far; `capsule hosts remove {local.name}` drops it")
        if any(h.name == host.name for h in hosts):
            raise HostExists(host.name, path)
        same_url = [h.name for h in hosts if h.url == host.url]
        if same_url:
            raise HostSettingError(
                f"{host.url} is already in the inventory as host {same_url[0]!r}",
                f"one engine under two names would show its capsules twice, and a delete could name the "
                f"wrong host; use {same_url[0]!r}, or remove it first with capsule hosts remove {same_url[0]}")
        hosts.append(host)
        inventory = replace(inventory, exists=True, hosts=tuple(hosts))
        save_inventory(inventory)
    return inventory, notes


def remove_host(name: str, *, path: Path | None = None) -> Inventory:
    path = path or inventory_path()
    with _editing(path):
        inventory = load_inventory(path)
        if not any(h.name == name for h in inventory.hosts):
            raise HostNotInInventory(name, path, [h.name for h in inventory.hosts])
        inventory = replace(inventory, hosts=tuple(h for h in inventory.hosts if h.name != name))
        save_inventory(inventory)
    return inventory


# --- every host, from every source ------------------------------------------------------


def list_hosts(*, path: Path | None = None, environ: Mapping[str, str] | None = None) -> list[OfferedHost]:
    """The inventory's hosts, then DOCKER_HOST's engine, then docker contexts.

    A host offered by the environment is left out when the inventory already has
    its URL (the same engine twice would show its capsules twice) and renamed when
    its name is taken. With no inventory file and no DOCKER_HOST, the local engine.
    """
    environ = os.environ if environ is None else environ
    inventory = load_inventory(path)
    offered = [OfferedHost(h, "inventory") for h in inventory.hosts]
    extra: list[OfferedHost] = []
    from_env = docker_host(environ)
    if from_env is not None:
        extra.append(from_env)
    elif not inventory.exists:
        extra.append(OfferedHost(local_host(), "local engine"))
    extra.extend(context_hosts(environ))
    for candidate in extra:
        urls = {o.settings.url for o in offered}
        if candidate.settings.url in urls:
            continue
        names = {o.settings.name for o in offered}
        name = candidate.settings.name
        for suffix in range(2, 100):
            if name not in names:
                break
            name = f"{candidate.settings.name}-{suffix}"
        offered.append(replace(candidate, settings=replace(candidate.settings, name=name)))
    return offered


def load_hosts(*, path: Path | None = None) -> list[HostSettings]:
    """Every usable host (what `capsule list` looks at and the scheduler chooses from)."""
    return [o.settings for o in list_hosts(path=path) if o.refused is None]


def load_reserve(*, path: Path | None = None) -> Reserve:
    return load_inventory(path).reserve
