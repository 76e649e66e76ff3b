"""`capsule hosts add|list|remove|check`: the Docker hosts capsule places capsules on.

Through the service, which keeps the rules about hosts: `add` and `remove` edit the
inventory file; `list` and `check` ask every host at once, so a dead host costs its
connect timeout (3 s by default), not the sum over hosts, and is shown with the
reason. Exit codes: 0 ok, 1 a checked host cannot be used, 2 bad input.

Nothing heavy at the top: the runtime and httpx are imported inside the commands.
What a host says (its errors, its facts) is printed with its control characters
escaped (`shown`); `-o json|yaml` is exact.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from capsule_tui.commands.exits import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, error, run_with_service
from capsule_tui.formatters.safe_text import shown

COMMAND = "hosts"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "hosts", help="add, list, check and remove the Docker hosts capsule uses",
        description="Manage the host inventory (hosts.yaml in capsule's config folder; "
        "CAPSULE_HOME overrides it). The engine named by DOCKER_HOST and your docker "
        "contexts are offered too, without being copied. With no inventory at all, "
        "the local engine is the one host.",
    )
    parser.set_defaults(func=lambda args: (parser.print_help(sys.stderr), EXIT_BAD_INPUT)[1])
    commands = parser.add_subparsers(dest="hosts_command", metavar="SUBCOMMAND")

    add = commands.add_parser(
        "add", help="add a host to the inventory",
        description="Add a host. URLs: unix:///path/to/docker.sock, tcp://HOST:PORT, and tcp "
        "with TLS (--tls-ca, --tls-cert, --tls-key). Plain tcp to anything but a loopback "
        "address is refused unless --insecure: an unauthenticated Engine API is root on "
        "that machine.")
    add.add_argument("name", metavar="NAME", help="the host's name (lower-case letters, digits, '-')")
    add.add_argument("url", metavar="URL", help="the engine's URL")
    add.add_argument("--tls-ca", metavar="FILE", help="CA certificate that signed the engine's certificate")
    add.add_argument("--tls-cert", metavar="FILE", help="client certificate the engine trusts")
    add.add_argument("--tls-key", metavar="FILE", help="the client certificate's key")
    add.add_argument("--label", action="append", default=[], metavar="KEY=VALUE",
                     help="a host label, matched against capsules' host labels (repeatable)")
    add.add_argument("--sandbox-image", metavar="IMAGE", help="sandbox image for this host")
    add.add_argument("--insecure", action="store_true",
                     help="allow plain tcp to a remote engine (only on a network you trust)")
    add.add_argument("--no-check", action="store_true", help="do not try to reach the host")
    add.set_defaults(func=run_add)

    listing = commands.add_parser("list", aliases=["ls"], help="list hosts with their state and capacity")
    listing.add_argument("-o", "--output", choices=("table", "json", "yaml"), default="table",
                         help="output format (default: table)")
    listing.add_argument("--timeout", type=float, default=None, metavar="SECONDS",
                         help="connect timeout per host (default: the host's, 3 s)")
    listing.set_defaults(func=run_list)

    remove = commands.add_parser("remove", aliases=["rm"], help="remove a host from the inventory")
    remove.add_argument("name", metavar="NAME")
    remove.set_defaults(func=run_remove)

    check = commands.add_parser("check", help="try to reach hosts and say what is wrong; exit 1 if any fails")
    check.add_argument("name", nargs="?", metavar="NAME", help="only this host (default: all)")
    check.add_argument("--timeout", type=float, default=None, metavar="SECONDS",
                       help="connect timeout per host (default: the host's, 3 s)")
    check.set_defaults(func=run_check)

    swarm = commands.add_parser(
        "swarm", help="join the hosts into one Docker swarm, so an application's capsules can span them",
        description="Form one Docker swarm of the hosts (default: all of them), so that the capsules and "
        "Services of an application reach each other by name on whichever host they run (an attachable "
        "overlay network per namespace). An existing swarm of the hosts is used and the others join it as "
        "workers; a host in another swarm is refused. The hosts must reach each other on 2377/tcp, "
        "7946/tcp+udp and 4789/udp. --leave takes them out again.",
    )
    swarm.add_argument("names", nargs="*", metavar="NAME", help="the hosts (default: every host)")
    swarm.add_argument("--advertise-addr", action="append", default=[], metavar="HOST=ADDRESS",
                       help="the address the other hosts reach HOST on (default: the host of its URL; "
                       "needed for a unix:// host)")
    swarm.add_argument("--leave", action="store_true", help="take the hosts out of their swarm")
    swarm.add_argument("--force", action="store_true",
                       help="with --leave: also when applications still span the hosts")
    swarm.set_defaults(func=run_swarm)


# --- add / remove -----------------------------------------------------------------------


def _labels(pairs: list[str]) -> dict[str, str] | None:
    labels: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip() or any(c.isspace() for c in key):
            error(COMMAND, f"--label {pair!r}: expected KEY=VALUE, e.g. --label zone=a")
            return None
        labels[key] = value
    return labels


def run_add(args: argparse.Namespace) -> int:
    from runtime.errors import HostSettingError, InventoryError
    from runtime.hosts.settings import HostSettings

    labels = _labels(args.label)
    if labels is None:
        return EXIT_BAD_INPUT
    files = {}
    for flag in ("tls_ca", "tls_cert", "tls_key"):
        value = getattr(args, flag)
        if value is not None:
            path = Path(value).expanduser()
            if not path.is_file():
                error(COMMAND, f"--{flag.replace('_', '-')} {value}: no such file; give the path of a PEM file")
                return EXIT_BAD_INPUT
            value = str(path.resolve())
        files[flag] = value
    host = HostSettings(args.name, args.url, labels, args.sandbox_image, insecure=args.insecure, **files)

    async def work(service) -> int:  # type: ignore[no-untyped-def]
        try:
            added = await service.add_host(host, check=not args.no_check)
        except (InventoryError, HostSettingError) as exc:
            error(COMMAND, f"host {args.name!r}: {exc}")
            return EXIT_BAD_INPUT
        print(f"host {args.name!r} added to {added.path}")
        for note in added.notes:
            print(f"note: {shown(note)}")
        if args.insecure and not host.uses_tls:
            print(f"warning: host {args.name!r} is reached over plain tcp: anyone who can reach "
                  f"{args.url} controls that machine", file=sys.stderr)
        facts = added.facts
        if facts is not None and facts.reachable:
            print(shown(f"reachable: Docker Engine {facts.engine_version} (API {facts.api_version}), "
                        f"{facts.cpus} CPUs, {_bytes(facts.memory)}"))
        elif facts is not None:
            print(f"warning: host {args.name!r} was added but cannot be used now: {shown(str(facts.error))}",
                  file=sys.stderr)
        return EXIT_OK

    return run_with_service(COMMAND, work)


def run_remove(args: argparse.Namespace) -> int:
    async def work(service) -> int:  # type: ignore[no-untyped-def]
        path = await service.remove_host(args.name)
        print(f"host {args.name!r} removed from {path}; its containers were not touched")
        return EXIT_OK

    return run_with_service(COMMAND, work)


# --- list / check -----------------------------------------------------------------------


def _bytes(size: int) -> str:
    from translate.quantity import format_bytes

    return format_bytes(size)


def _cores(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".") or "0"


async def _offered(service, timeout: float | None,  # type: ignore[no-untyped-def]
                   name: str | None = None) -> tuple[list, list] | None:
    """(offered hosts, facts of the usable ones), or None after printing an error."""
    offered = service.offered_hosts()
    if name is not None:
        offered = [o for o in offered if o.settings.name == name]
        if not offered:
            error(COMMAND, f"no host named {name!r}; `capsule hosts list` shows the hosts")
            return None
    usable = [o.settings for o in offered if o.refused is None]
    return offered, await service.host_facts(usable, timeout=timeout)


def _rows(offered: list, facts: list) -> list[dict[str, Any]]:
    by_name = {f.name: f for f in facts}
    rows = []
    for item in offered:
        s, f = item.settings, by_name.get(item.settings.name)
        row: dict[str, Any] = {"name": s.name, "url": s.url, "source": item.source,
                               "labels": dict(s.labels), "tls": s.uses_tls}
        if f is None:
            row.update(status="Refused", reason=item.refused)
        elif not f.reachable:
            status = "Unreachable" if f.answered is False else "Unusable"
            row.update(status=status, reason=f.error, problem=f.cause or f.error_kind)
        else:
            row.update(status="Ready", engineVersion=f.engine_version, apiVersion=f.api_version,
                       cpus=f.cpus, memory=f.memory, capsules=len(f.capsules),
                       activeCapsules=len(f.active_capsules), cpuRequested=f.cpu_requested,
                       memoryRequested=f.memory_requested,
                       portsInUse=[f"{p}/{proto}" for p, proto in sorted(f.ports_in_use)])
        if f is not None:
            row["seconds"] = round(f.elapsed, 3)
        rows.append(row)
    return rows


def _table(rows: list[dict[str, Any]]) -> str:
    header = ("NAME", "URL", "STATUS", "VERSION", "CPUS", "MEMORY", "CAPSULES", "CPU-REQ", "MEM-REQ")
    lines = [header]
    for r in rows:
        status = r["status"] if "problem" not in r else f"{r['status']} ({r['problem']})"
        if r["status"] == "Ready":
            lines.append((r["name"], r["url"], status, r["engineVersion"], str(r["cpus"]),
                          _bytes(r["memory"]), str(r["capsules"]), _cores(r["cpuRequested"]),
                          _bytes(r["memoryRequested"])))
        else:
            lines.append((r["name"], r["url"], status) + ("-",) * 6)
    lines = [tuple(shown(str(c)) for c in line) for line in lines]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    text = "\n".join("   ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip() for line in lines)
    reasons = [shown(f"{r['name']}: {r['reason']}") for r in rows if r.get("reason")]
    return text + ("\n\n" + "\n".join(reasons) if reasons else "")


def run_list(args: argparse.Namespace) -> int:
    async def work(service) -> int:  # type: ignore[no-untyped-def]
        found = await _offered(service, args.timeout)
        if found is None:
            return EXIT_BAD_INPUT
        rows = _rows(*found)
        if args.output == "json":
            print(json.dumps(rows, indent=2))
        elif args.output == "yaml":
            import yaml

            print(yaml.safe_dump(rows, sort_keys=False), end="")
        else:
            print(_table(rows))
        return EXIT_OK

    return run_with_service(COMMAND, work)


def run_check(args: argparse.Namespace) -> int:
    async def work(service) -> int:  # type: ignore[no-untyped-def]
        found = await _offered(service, args.timeout, args.name)
        if found is None:
            return EXIT_BAD_INPUT
        failed = 0
        for row in _rows(*found):
            where = f"{row['name']} ({row['url']}, from {row['source']})"
            if row["status"] != "Ready":
                failed += 1
                print(shown(f"{where}: {row['status'].lower()}: {row['reason']}"))
                continue
            ports = ", ".join(row["portsInUse"]) or "none"
            print(shown(f"{where}: ready: Docker Engine {row['engineVersion']} (API {row['apiVersion']}), "
                        f"{row['cpus']} CPUs, {_bytes(row['memory'])}; {row['capsules']} capsules "
                        f"requesting {_cores(row['cpuRequested'])} CPU and {_bytes(row['memoryRequested'])}; "
                        f"host ports in use: {ports} ({row['seconds']:.2f} s)"))
        return EXIT_FAILED if failed else EXIT_OK

    return run_with_service(COMMAND, work)


def run_swarm(args: argparse.Namespace) -> int:
    advertise = {}
    for pair in args.advertise_addr:
        host, sep, address = pair.partition("=")
        if not sep or not host or not address:
            error(COMMAND, f"--advertise-addr takes HOST=ADDRESS, not {pair!r}")
            return EXIT_BAD_INPUT
        advertise[host] = address

    async def work(service) -> int:  # type: ignore[no-untyped-def]
        for line in await service.swarm(args.names, advertise=advertise, leave=args.leave, force=args.force):
            print(shown(line))
        return EXIT_OK

    return run_with_service(COMMAND, work)
