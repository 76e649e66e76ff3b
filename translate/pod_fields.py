"""Pod fields that only the runtime knows, and `$(NAME)` of the variables that hold them.

A variable set by `valueFrom.fieldRef` of `status.podIP`, `status.hostIP`, `spec.nodeName`,
`metadata.uid`, ... or by `valueFrom.resourceFieldRef` has its value only when the capsule
is built: the sandbox's address, the host's, the capsule's uid. The spec keeps the
reference (`FieldRef`, `ResourceFieldRef`) and the runtime fills the value in.

Where a command, an arg or an env value uses such a variable, the spec keeps `$(NAME)`
and the runtime expands it. So the command, args and env values of a container that has
run-time variables are in the kubelet's syntax: `$(NAME)` of a run-time variable is its
value, `$$` is `$`, any other `$` is literal. A container without run-time variables keeps
plain literal text, as before. `protect` writes text so; `fill` expands it.

What each field holds (docs/kubernetes-mapping.md, "Run-time fields"):
- status.podIP / podIPs: the sandbox's address on the capsule's network (podIPs: its IPv4
  and, when the network has one, IPv6 address, comma-separated as the kubelet does);
- status.hostIP / hostIPs: the host's address on that network, its gateway: the address
  a member can always reach the host at, whatever the host's own interfaces are;
- spec.nodeName: the host's name in capsule's inventory (`capsule hosts`);
- metadata.uid: the capsule's uuid (its capsule.uuid label, the state store's key).

Standard library only (and the kubelet's expansion): translate/ readers and runtime/ both use it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import Decimal

from translate.kubernetes.variable_expansion import escape, expand

RUN_TIME_FIELDS: dict[str, str] = {
    "status.podIP": "the sandbox's IP address",
    "status.podIPs": "the sandbox's IP addresses",
    "status.hostIP": "the host's address on the capsule's network (its gateway)",
    "status.hostIPs": "the host's addresses on the capsule's network",
    "spec.nodeName": "the host's name in capsule's inventory",
    "metadata.uid": "the capsule's uuid",
}

# resourceFieldRef: what Kubernetes accepts in env, and the divisors it allows for each.
RESOURCES: tuple[str, ...] = ("limits.cpu", "limits.memory", "requests.cpu", "requests.memory")
CPU_DIVISORS: dict[str, Decimal] = {"1": Decimal(1), "1m": Decimal("0.001")}
MEMORY_DIVISORS: dict[str, Decimal] = {
    "1": Decimal(1),
    **{f"1{s}": Decimal(1000 ** (i + 1)) for i, s in enumerate("kMGTPE")},
    **{f"1{s}i": Decimal(1024 ** (i + 1)) for i, s in enumerate("KMGTPE")},
}


def divisor_problem(resource: str, divisor: str) -> str | None:
    """Why Kubernetes would refuse `divisor` for `resource`, or None."""
    allowed = CPU_DIVISORS if resource.endswith(".cpu") else MEMORY_DIVISORS
    if divisor in allowed:
        return None
    return f"'{divisor}' is not a divisor of {resource}: expected one of {', '.join(allowed)}"


def resource_value(resource: str, divisor: str, cpu: float | None, memory: int | None) -> str:
    """The kubelet's value: the amount divided by the divisor, rounded up, as an integer.

    `cpu` (cores) and `memory` (bytes) are the amounts the caller resolved: the container's
    limit or request, or the host's capacity where a limit is not set.
    """
    if resource.endswith(".cpu"):
        amount = Decimal(str(cpu or 0)) / CPU_DIVISORS[divisor]
    else:
        amount = Decimal(memory or 0) / MEMORY_DIVISORS[divisor]
    return str(math.ceil(amount))


def protect(text: str, references: Mapping[str, str]) -> str:
    """`text` in the kubelet's syntax: literal parts escaped, each placeholder (a key of
    `references`) written as `$(NAME)` of its name, so that `fill` gives the text back with
    the values in place of the placeholders."""
    out: list[str] = []
    rest = text
    while True:
        found = [(rest.find(p), p) for p in references if p in rest]
        if not found:
            out.append(escape(rest))
            return "".join(out)
        at, placeholder = min(found)
        # A '$' just before the reference would join it ('$$(NAME)'): escaped with one more.
        out.append(escape(rest[:at] + "$")[:-1])
        out.append(f"$({references[placeholder]})")
        rest = rest[at + len(placeholder):]


def fill(text: str, values: Mapping[str, str]) -> str:
    """The kubelet's expansion: `$(NAME)` of each name in `values` is its value, `$$` is `$`,
    any other `$(...)` and `$` stay as written."""
    return expand(text, values)[0]
