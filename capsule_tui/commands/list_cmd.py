"""`capsule list [-l k=v] [-o wide|json|yaml]`: the capsules on every host, kubectl-style.

`-o wide` adds live CPU (% of one core) and MEM, measured over a second as `capsule top` does.

Every host is asked at once and the store reconciled with the answers first, so
what is listed is what the hosts run now; a host that cannot be reached shows its
capsules as Unknown with the reason (in `-o wide` and JSON/YAML).
"""

from __future__ import annotations

import argparse
import sys

from capsule_tui.commands.exits import EXIT_BAD_INPUT, EXIT_OK, error, run_with_service
from capsule_tui.commands.output import age, dump, table

COMMAND = "list"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "list", aliases=["ls"],
        help="list capsules on every host",
        description="List capsules (NAME STATUS READY RESTARTS HOST IP AGE). The hosts are asked "
        "first; the local store only remembers what they said.",
    )
    parser.add_argument("what", nargs="?", metavar="configmaps|secrets",
                        help="list the stored ConfigMaps or Secrets (names, keys, never values) instead")
    parser.add_argument("-l", "--selector", action="append", metavar="KEY=VALUE",
                        help="only capsules whose labels match (key=value, key!=value, key, !key; "
                        "comma-separated or repeated)")
    parser.add_argument("-n", "--namespace", metavar="NAMESPACE", help="only the capsules of this namespace")
    parser.add_argument("-o", "--output", choices=("wide", "json", "yaml"),
                        help="wide: more columns (live CPU and MEM among them, measured over a second); "
                        "json/yaml: everything, for scripts")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.what is not None:
        from capsule_tui.commands.config_objects_cmd import kind_of, list_objects

        kind = kind_of(args.what)
        if kind is None:
            error(COMMAND, f"cannot list '{args.what}': capsule list lists capsules, or configmaps or secrets")
            return EXIT_BAD_INPUT
        return list_objects(COMMAND, args, kind)

    async def work(service) -> int:
        views = await service.list(args.selector)
        if args.namespace is not None:
            views = [v for v in views if v.namespace == args.namespace]
        if args.output in ("json", "yaml"):
            dump({"items": [v.to_dict() for v in views]}, args.output)
            return EXIT_OK
        if not views:
            where = f" in namespace {args.namespace}" if args.namespace is not None else ""
            print(f"No capsules found{where}.", file=sys.stderr)
            return EXIT_OK
        headers = ["NAME", "STATUS", "READY", "RESTARTS", "HOST", "IP", "AGE"]
        # STATUS is the display word (CrashLoopBackOff, Init:1/2...); the phase is in JSON/YAML.
        rows = [[v.name, v.display or v.status, v.ready, v.restarts, v.host, v.ip, age(v.age_seconds)] for v in views]
        # An application's capsules say which namespace and workload they belong to (kubectl's
        # -A and its pods' owners); a list of plain capsules keeps its columns.
        if any(v.namespace for v in views):
            headers.insert(1, "NAMESPACE")
            headers.insert(2, "WORKLOAD")
            for row, v in zip(rows, views, strict=True):
                row[1:1] = [v.namespace or "-", v.workload or "-"]
        if args.output == "wide":
            # Live CPU and memory: measured over a second (two one-shot stats readings), as `capsule top`.
            from capsule_tui.commands.top_usage import MEASURE_SECONDS
            from capsule_tui.formatters.usage_text import format_cpu, format_memory

            usage = await service.usage([v.uuid for v in views], interval=MEASURE_SECONDS)
            headers += ["CPU", "MEM", "PORTS", "LABELS", "IMAGES", "REASON"]
            for row, v in zip(rows, views, strict=True):
                labels = ",".join(f"{k}={val}" for k, val in sorted(v.labels.items()))
                figures = usage[v.uuid].usage if v.uuid in usage else None
                row += [format_cpu(figures.cpu) if figures else "-", format_memory(figures.memory) if figures else "-",
                        ",".join(p.split(" (")[0] for p in v.ports), labels, ",".join(v.images), v.reason]
        table(headers, rows)
        return EXIT_OK

    return run_with_service(COMMAND, work)
