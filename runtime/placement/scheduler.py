"""Placement: which host a capsule lands on, and why every other host did not get it.

Pure: given what a capsule asks for (`Demand`) and the facts of every host
(`host_facts.HostFacts`), run the filters in order on each host, recording the one
that rejected it, then score the hosts that are left and choose the best.

Filters, in order (the first that fails is the host's reason):
  1. reachable     – the engine answered;
  2. hostSelector  – the capsule names this host;
  3. host labels   – every label the capsule asks for (Kubernetes nodeSelector) is
                     on the host, with the same value, in the inventory;
  4. hostPorts     – none of the capsule's host ports is in use there;
  5. cpu, memory   – requests of the capsules already there plus this one fit in the
                     host's CPUs / memory less the reserve (skipped for a resource the
                     capsule does not request, as Kubernetes does);
  6. gpu           – a capsule asking for nvidia.com/gpu needs a host whose engine offers
                     NVIDIA GPUs, enough of them free where the engine counts them.
Score (0-100): `spread` (default, least allocated after placing) or `binpack`
(most allocated). Ties go to the host listed first.

This module does no I/O and must stay that way: gathering facts is runtime/placement/host_facts.py,
locking and re-checking is runtime/placement/claim.py.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from runtime.errors import SchedulingError, UnknownStrategy
from runtime.hosts.reserve import Reserve
from runtime.placement.host_facts import GPU_COUNT_LABEL, HostFacts, HostPort
from translate.quantity import format_bytes

if TYPE_CHECKING:
    # Only for annotations: the spec module is costly to import, and `capsule describe`
    # imports this module (the placement record words the scheduler's decision).
    from translate.spec import Capsule

STRATEGIES = ("spread", "binpack")
FILTERS = ("reachable", "hostSelector", "hostLabels", "hostPorts", "cpu", "memory", "gpu")
# Rounding guard so that 0.1 + 0.2 cores fits into 0.3.
_EPSILON = 1e-9


class NoHostFits(SchedulingError):
    """No host passed every filter; `decisions` holds each host's reason."""

    def __init__(self, capsule: str, decisions: Sequence[HostDecision]) -> None:
        self.capsule = capsule
        self.decisions = tuple(decisions)
        self.summary = summarize(self.decisions)
        super().__init__(self._message())

    def _message(self) -> str:
        if not self.decisions:
            return (f"cannot place capsule {self.capsule!r}: {self.summary}; "
                    f"add one with `capsule hosts add NAME URL`.")
        lines = [f"cannot place capsule {self.capsule!r}: {self.summary}."]
        lines += [f"  {d.host}: {d.describe()}" for d in self.decisions]
        lines.append("Free capacity or ports on a host, add a host (capsule hosts add), "
                     "or change the capsule's requests, hostSelector or host labels.")
        return "\n".join(lines)


@dataclass(frozen=True)
class Demand:
    """What a capsule asks of the host it lands on."""

    name: str
    cpu: float = 0.0
    memory: int = 0
    host_selector: str | None = None
    host_labels: tuple[tuple[str, str], ...] = ()
    host_ports: tuple[HostPort, ...] = ()
    gpu: int = 0

    @classmethod
    def of(cls, capsule: Capsule) -> Demand:
        return cls(
            name=capsule.name, cpu=capsule.cpu_request, memory=capsule.memory_request,
            host_selector=capsule.host_selector, host_labels=capsule.host_labels,
            host_ports=tuple((port, proto.upper()) for port, proto in capsule.host_ports),
            gpu=capsule.gpu_request,
        )


@dataclass(frozen=True)
class Rejection:
    """Why one host was left out: the filter, a group label, and this host's detail."""

    filter: str  # one of FILTERS
    summary: str  # e.g. "insufficient memory"; hosts are counted per summary
    detail: str  # e.g. "needs 2.0 GB, 1.2 GB free (of 3.7 GB, 256.0 MiB reserved)"
    # For the one-line summary: amounts needed and free, or the ports taken.
    needed: float = 0.0
    free: float = 0.0
    ports: tuple[HostPort, ...] = ()


@dataclass(frozen=True)
class HostDecision:
    """What the scheduler made of one host."""

    host: str
    passed: tuple[str, ...]  # filters passed, in order
    rejection: Rejection | None = None
    score: float | None = None  # 0-100, for hosts that passed every filter
    chosen: bool = False
    free_cpu: float = 0.0
    free_memory: int = 0

    @property
    def fits(self) -> bool:
        return self.rejection is None

    def describe(self) -> str:
        if self.rejection is not None:
            return f"{self.rejection.summary}: {self.rejection.detail}"
        state = "chosen" if self.chosen else "fits"
        return (f"{state}, score {self.score:.0f} "
                f"({_cores(self.free_cpu)} CPU and {format_bytes(self.free_memory)} free before placing)")


@dataclass(frozen=True)
class Placement:
    """The decision: the host, its score, and every host's reason (for --dry-run)."""

    host: str
    score: float
    strategy: str
    reasons_per_host: Mapping[str, HostDecision] = field(default_factory=dict)

    def format(self) -> str:
        lines = [f"placement: host {self.host!r} (strategy {self.strategy}, score {self.score:.0f})"]
        lines += [f"  {name}: {d.describe()}" for name, d in self.reasons_per_host.items()]
        return "\n".join(lines)


# --- the filters ------------------------------------------------------------------------


def _cores(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".") or "0"


def _ports(ports: Sequence[HostPort]) -> str:
    return ", ".join(f"{p}/{proto}" for p, proto in sorted(set(ports)))


def _check(demand: Demand, facts: HostFacts, reserve: Reserve) -> tuple[tuple[str, ...], Rejection | None]:
    passed: list[str] = []
    if not facts.reachable:
        # A host that answered, but wrongly (an engine error, not a Docker engine),
        # is counted apart: the fix is on that host, not in the network.
        summary = "unusable" if facts.answered else "unreachable"
        return (), Rejection("reachable", summary, facts.error or summary)
    passed.append("reachable")

    if demand.host_selector is not None and demand.host_selector != facts.name:
        return tuple(passed), Rejection(
            "hostSelector", "does not match hostSelector",
            f"the capsule asks for host {demand.host_selector!r}")
    passed.append("hostSelector")

    missing = [(k, v) for k, v in demand.host_labels if facts.labels.get(k) != v]
    if missing:
        have = ", ".join(f"{k}={facts.labels[k]}" for k, _ in missing if k in facts.labels)
        detail = "needs " + ", ".join(f"{k}={v}" for k, v in missing)
        detail += f"; host has {have}" if have else "; host has no such label"
        return tuple(passed), Rejection("hostLabels", "does not match host labels", detail)
    passed.append("hostLabels")

    taken = tuple(p for p in demand.host_ports if p in facts.ports_in_use)
    if taken:
        return tuple(passed), Rejection(
            "hostPorts", "host port in use", f"{_ports(taken)} already in use there", ports=taken)
    passed.append("hostPorts")

    free_cpu = max(0.0, facts.cpus - reserve.cpu - facts.cpu_requested)
    if demand.cpu > 0 and demand.cpu > free_cpu + _EPSILON:
        return tuple(passed), Rejection(
            "cpu", "insufficient cpu",
            f"needs {_cores(demand.cpu)} CPU, {_cores(free_cpu)} free "
            f"(of {facts.cpus} CPU, {_cores(facts.cpu_requested)} requested by "
            f"{len(facts.active_capsules)} capsules, {_cores(reserve.cpu)} reserved)",
            needed=demand.cpu, free=free_cpu)
    passed.append("cpu")

    free_memory = max(0, facts.memory - reserve.memory - facts.memory_requested)
    if demand.memory > 0 and demand.memory > free_memory:
        return tuple(passed), Rejection(
            "memory", "insufficient memory",
            f"needs {format_bytes(demand.memory)}, {format_bytes(free_memory)} free "
            f"(of {format_bytes(facts.memory)}, {format_bytes(facts.memory_requested)} requested by "
            f"{len(facts.active_capsules)} capsules, {format_bytes(reserve.memory)} reserved)",
            needed=demand.memory, free=free_memory)
    passed.append("memory")

    if demand.gpu > 0 and not facts.gpus and not facts.gpus_uncounted:
        return tuple(passed), Rejection(
            "gpu", "no GPUs",
            f"needs {demand.gpu} NVIDIA GPU(s); the engine offers none (no nvidia runtime, no nvidia.com/gpu "
            f"devices): install the NVIDIA Container Toolkit there, or label the host "
            f"{GPU_COUNT_LABEL}=N if it has them", needed=demand.gpu)
    free_gpus = max(0, facts.gpus - facts.gpus_requested)
    if demand.gpu > 0 and facts.gpus and demand.gpu > free_gpus:
        return tuple(passed), Rejection(
            "gpu", "insufficient GPUs",
            f"needs {demand.gpu} GPU(s), {free_gpus} free (of {facts.gpus}, {facts.gpus_requested} used by "
            f"{len(facts.active_capsules)} capsules)", needed=demand.gpu, free=free_gpus)
    passed.append("gpu")
    return tuple(passed), None


def _score(demand: Demand, facts: HostFacts, reserve: Reserve, strategy: str) -> float:
    """Kubernetes' LeastAllocated / MostAllocated over CPU and memory, 0-100."""
    fractions = []
    for capacity, requested, wanted in (
        (facts.cpus - reserve.cpu, facts.cpu_requested, demand.cpu),
        (facts.memory - reserve.memory, facts.memory_requested, demand.memory),
    ):
        if capacity <= 0:
            fractions.append(1.0)
            continue
        used = min(1.0, (requested + wanted) / capacity)
        fractions.append(1.0 - used if strategy == "spread" else used)
    return 100.0 * sum(fractions) / len(fractions)


def evaluate(demand: Demand, facts: HostFacts, reserve: Reserve, strategy: str = "spread") -> HostDecision:
    """Run every filter on one host and, when it passes, score it."""
    passed, rejection = _check(demand, facts, reserve)
    free_cpu = max(0.0, facts.cpus - reserve.cpu - facts.cpu_requested) if facts.reachable else 0.0
    free_memory = max(0, facts.memory - reserve.memory - facts.memory_requested) if facts.reachable else 0
    score = None if rejection else _score(demand, facts, reserve, strategy)
    return HostDecision(facts.name, passed, rejection, score, free_cpu=free_cpu, free_memory=free_memory)


def place(
    demand: Demand | Capsule,
    facts: Sequence[HostFacts],
    *,
    strategy: str = "spread",
    reserve: Reserve = Reserve(),
) -> Placement:
    """Choose a host; raise NoHostFits with every host's reason when none passes."""
    if strategy not in STRATEGIES:
        raise UnknownStrategy(strategy, STRATEGIES)
    if not isinstance(demand, Demand):
        demand = Demand.of(demand)
    decisions = [evaluate(demand, f, reserve, strategy) for f in facts]
    best: HostDecision | None = None
    for decision in decisions:
        if decision.score is not None and (best is None or decision.score > best.score + _EPSILON):
            best = decision
    if best is None:
        raise NoHostFits(demand.name, decisions)
    reasons = {d.host: (d if d is not best else _chosen(d)) for d in decisions}
    return Placement(best.host, best.score or 0.0, strategy, reasons)


def _chosen(decision: HostDecision) -> HostDecision:
    return HostDecision(decision.host, decision.passed, None, decision.score, True,
                        decision.free_cpu, decision.free_memory)


# --- the "0/3 hosts available" line ------------------------------------------------------


def summarize(decisions: Sequence[HostDecision]) -> str:
    """Kubernetes style: '0/3 hosts available: 1 unreachable, 1 insufficient memory (...)'.

    Hosts are counted per reason, reasons in filter order. Amounts appear in
    parentheses: for one host its own figures, for several the most any of them has free.
    """
    fitting = sum(1 for d in decisions if d.fits)
    if not decisions:
        return "0/0 hosts available: no hosts are configured"
    groups: dict[str, list[Rejection]] = {}
    for decision in decisions:
        if decision.rejection is not None:
            groups.setdefault(decision.rejection.summary, []).append(decision.rejection)
    order = {name: index for index, name in enumerate(FILTERS)}
    parts = []
    for summary, rejections in sorted(groups.items(), key=lambda item: order[item[1][0].filter]):
        parts.append(f"{len(rejections)} {summary}{_group_detail(rejections)}")
    return f"{fitting}/{len(decisions)} hosts available: " + ", ".join(parts)


def _group_detail(rejections: list[Rejection]) -> str:
    kind = rejections[0].filter
    if kind == "hostPorts":
        return f" ({_ports([p for r in rejections for p in r.ports])})"
    if kind == "gpu" and rejections[0].summary == "insufficient GPUs":
        free = max(r.free for r in rejections)
        return f" (needs {int(rejections[0].needed)}, {'' if len(rejections) == 1 else 'at most '}{int(free)} free)"
    if kind not in ("cpu", "memory"):
        return ""
    show = _cores if kind == "cpu" else (lambda v: format_bytes(int(v)))
    unit = " CPU" if kind == "cpu" else ""
    free = max(r.free for r in rejections)
    qualifier = "" if len(rejections) == 1 else "at most "
    return f" (needs {show(rejections[0].needed)}{unit}, {qualifier}{show(free)}{unit} free)"
