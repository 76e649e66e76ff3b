"""`capsule describe NAME...`: one capsule in detail, laid out like `kubectl describe`.

Members with their state, image, restarts and exit code; IP, ports, where it was
placed and why; volumes; the status history and the recent events. Secret values never appear: environment
variables that come from a Secret show as `<secret NAME/KEY>` (the store and the
spec only ever hold the reference). Exit 1 when a name is not found. Every text from
the hosts is shown with its control characters escaped (`shown`); `-o json|yaml` is exact.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from capsule_tui.commands.exits import EXIT_FAILED, EXIT_OK, error, run_with_service
from capsule_tui.commands.output import age, dump, local_time
from capsule_tui.formatters.safe_text import shown
from capsule_tui.formatters.volume_kind import describe_volume

COMMAND = "describe"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "describe", help="show one or more capsules in detail",
        description="Show capsules in detail: members, IP, ports, volumes, status history, events.",
    )
    parser.add_argument("names", nargs="+", metavar="NAME")
    parser.add_argument("-o", "--output", choices=("json", "yaml"), help="print the details as JSON or YAML")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    async def work(service) -> int:
        from runtime.errors import CapsuleNotFound

        code, found = EXIT_OK, []
        for name in dict.fromkeys(args.names):
            try:
                found.extend(await service.describe(name))
            except CapsuleNotFound as exc:
                error(COMMAND, str(exc))
                code = EXIT_FAILED
        if args.output:
            dump([d.to_dict() for d in found], args.output)
        else:
            sys.stdout.write("\n\n".join(render(d) for d in found) + ("\n" if found else ""))
        return code

    return run_with_service(COMMAND, work)


def render(detail: Any) -> str:
    v = detail.view
    lines: list[str] = []

    def field(label: str, value: Any, indent: int = 0) -> None:
        text = "<none>" if value in (None, "", [], {}) else shown(str(value))
        lines.append(f"{' ' * indent}{label + ':':<{18 - indent}}{text}")

    field("Name", v.name)
    field("Host", v.host)
    field("UUID", v.uuid)
    field("Status", v.status)
    field("Reason", v.reason)
    field("Ready", v.ready)
    field("Restarts", v.restarts)
    field("IP", v.ip)
    field("Created", f"{local_time(v.created_at)} ({age(v.age_seconds)} ago)")
    field("Started", local_time(v.started_at) if v.started_at else None)
    field("Restart Policy", v.restart_policy)
    field("Revision", v.revision)
    field("Labels", ", ".join(f"{k}={val}" for k, val in sorted(v.labels.items())))
    field("Requests", f"cpu {v.cpu:g}, memory {_bytes(v.memory)}" if (v.cpu or v.memory) else None)
    field("Ports", ", ".join(v.ports))
    field("Placement", detail.placement)
    lines.append("Members:" if detail.members else "Members:         <none>")
    for m in detail.members:
        lines.append(f"  {shown(m.name)}:")
        field("Role", m.role, 4)
        field("Image", m.image, 4)
        field("State", m.state, 4)
        field("Exit Code", m.exit_code if m.state in ("exited", "dead") else None, 4)
        field("Restarts", m.restarts, 4)
        field("Container", f"{m.docker_name} ({m.container_id})" if m.docker_name else None, 4)
        env = detail.env.get(m.name, []) if m.role != "sandbox" else []
        for i, var in enumerate(env):
            lines.append(f"    {'Env:' if i == 0 else '':<14}{shown(var)}")
    lines.append("Volumes:" if detail.volumes else "Volumes:         <none>")
    for volume in detail.volumes:
        lines.append(shown(f"  {volume.get('name')}: {describe_volume(volume)}"))
    lines.append("Messages:" if detail.messages else "Messages:        <none>")
    for message in detail.messages[-10:]:
        when, status = local_time(message.get("time", 0)), shown(str(message.get("status", "")))
        lines.append(f"  {when}  {status:<9} {shown(str(message.get('text', '')))}")
    lines.append("Events:" if detail.events else "Events:          <none>")
    for event in detail.events:
        lines.append(f"  {local_time(event.time)}  {shown(event.kind):<17} {shown(event.message)}")
    return "\n".join(lines)


def _bytes(count: int) -> str:
    for unit, size in (("Gi", 2**30), ("Mi", 2**20), ("Ki", 2**10)):
        if count >= size:
            return f"{count / size:g}{unit}"
    return str(count)
