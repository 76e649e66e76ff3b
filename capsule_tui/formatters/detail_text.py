"""The text of the detail screen: summary, placement, member rows, volumes, env, events.

(Its Services section is formatters/service_rows.py's, with the Services screen's rows.)

Pure functions over `runtime.views.CapsuleDetail`. Secrets: env lines come from
the view, which shows a Secret reference as `<secret NAME/KEY>`, never a value.
Times print in UTC so that every terminal (and snapshot) shows the same text. Every
text from the view passes through `shown` (safe_text.py: control characters escaped),
and goes into rich Text, never into markup.
Must not import textual.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from rich.text import Text

from capsule_tui.formatters.capsule_rows import format_age, format_labels, list_status, status_text
from capsule_tui.formatters.safe_text import shown
from capsule_tui.formatters.volume_kind import describe_volume
from runtime.views import CapsuleDetail, MemberView

MEMBER_COLUMNS = ("MEMBER", "ROLE", "STATE", "IMAGE", "PORTS", "RESTARTS", "EXIT")
STATE_STYLES = {"running": "green", "exited": "blue", "dead": "red", "absent": "red",
                "restarting": "yellow", "created": "yellow", "paused": "magenta"}


def when(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def summary(detail: CapsuleDetail) -> Text:
    """The head of the details; a capsule's namespace and workload only when it has them."""
    view = detail.view
    text = Text()
    text.append(shown(view.name), style="bold")
    text.append("  ")
    text.append_text(status_text(shown(list_status(view))))
    if list_status(view) != view.status:  # the list's word, then the phase it stands for
        text.append(f" ({shown(view.status)})", style="dim")
    if view.reason:
        text.append(f"  {shown(view.reason)}", style="dim")
    application = [("namespace", view.namespace), ("workload", view.workload)]
    facts = [
        *((label, value) for label, value in application if value is not None),
        ("host", view.host), ("ip", view.ip or "-"), ("ready", view.ready), ("restarts", str(view.restarts)),
        ("age", format_age(view.age_seconds)), ("restart policy", view.restart_policy),
        ("revision", str(view.revision)), ("requests", _requests(view.cpu, view.memory)),
        ("labels", format_labels(view.labels) or "-"), ("uuid", view.uuid),
    ]
    for label, value in facts:
        text.append(f"\n{label + ':':<16}", style="bold")
        text.append(shown(value))
    return text


def _requests(cpu: float, memory: int) -> str:
    if not cpu and not memory:
        return "-"
    return f"cpu {cpu:g}, memory {memory // (1024 * 1024)}Mi"


def member_ports(detail: CapsuleDetail, member: MemberView) -> str:
    suffix = f" ({member.name})"
    return ", ".join(p[: -len(suffix)] for p in detail.view.ports if p.endswith(suffix)) or "-"


def member_row(detail: CapsuleDetail, member: MemberView) -> tuple[Any, ...]:
    """The members table's cells, all Text: the table would read a str as markup."""
    exit_code = "-" if member.exit_code is None else str(member.exit_code)
    return (Text(shown(member.name)), Text(shown(member.role)),
            Text(shown(member.state), style=STATE_STYLES.get(member.state, "")),
            Text(shown(member.image or "-")), Text(shown(member_ports(detail, member))), Text(str(member.restarts)),
            Text(exit_code))


def volumes_text(detail: CapsuleDetail) -> Text:
    """Each volume as `capsule describe` says it ("html: volume (driver local)")."""
    if not detail.volumes:
        return Text("none", style="dim")
    return Text("\n".join(shown(f"{volume.get('name', '?')}: {describe_volume(volume)}") for volume in detail.volumes))


def env_text(detail: CapsuleDetail) -> Text:
    if not detail.env:
        return Text("none", style="dim")
    text = Text()
    for member, lines in detail.env.items():
        text.append(f"{shown(member)}\n", style="bold")
        for line in lines:
            text.append(f"  {shown(line)}\n")
    text.rstrip()
    return text


def events_text(detail: CapsuleDetail, limit: int = 20) -> Text:
    rows = list(detail.events)[-limit:]
    history = list(detail.messages)[-5:]
    text = Text()
    if not rows and not history:
        return Text("none yet", style="dim")
    width = max((len(shown(event.kind)) for event in rows), default=0) + 2  # a long kind never runs into its message
    for event in rows:
        text.append(f"{when(event.time)}  ", style="dim")
        text.append(f"{shown(event.kind):<{width}}", style="bold")
        text.append(f"{shown(event.message)}\n")
    for message in history if not rows else []:
        text.append(f"{when(float(message.get('time', 0)))}  ", style="dim")
        text.append(f"{shown(str(message.get('status', ''))):<15}", style="bold")
        text.append(f"{shown(str(message.get('text', '')))}\n")
    text.rstrip()
    return text


def placement_text(note: str | None) -> Text:
    """Why the capsule is on its host (runtime.placement.record's line), one reason a line."""
    if note is None:
        return Text("loading…", style="dim")
    note = shown(note)
    head, sep, rest = note.partition(": ")
    if not note.startswith("placed on ") or not sep:
        return Text(note)  # created elsewhere, or no record: said as it is
    text = Text()
    text.append(head, style="bold")
    for part in rest.split("; "):
        text.append(f"\n  {part}")
    return text
