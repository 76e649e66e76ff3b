"""A capsule's status, derived from its containers' engine states the way Kubernetes
derives a pod's phase.

Statuses:
- Starting: being created, init containers still running, or members not yet all
  running (created, restarting).
- Running: the sandbox runs and every member runs (or completed with code 0 under a
  policy that will not restart it).
- Finished: every member exited 0 and none will restart (restart policy Never, or
  OnFailure with every exit code 0); also a capsule stopped on purpose (`capsule
  stop`: the sandbox exited 0, which the pause process does only when told to stop,
  and no member runs), with the reason "stopped".
- Failed: the capsule could not be created, a container is missing, or a member (or
  init container) exited and its restart policy will not restart it.
- Unknown: the host cannot be reached, so nothing can be said.

Precedence when several apply: Unknown, Failed, Starting, Running, Finished. The
reason is one line of plain words ("member web exited with code 1").

Beside the status (the phase: what create, watch and webhooks go by), `display_status`
gives the word `capsule list` shows, as kubectl's STATUS column differs from a pod's
phase: CrashLoopBackOff (a member the engine is restarting, or one that exited after
restarts and will be restarted again), Init:1/2 (init containers done of all),
ContainerCreating, Running, Completed, Stopped, Error, Init:Error, OOMKilled, Unknown.
OOMKilled is also said for a member that crash-loops after the engine killed it for
memory (its last termination, which the store keeps: `termination_reason`), where
kubectl and k9s would say CrashLoopBackOff between OOMKilled's: the cause, not the loop.

This module is pure: no I/O, no engine client, no store. It takes what a host
reported (`runtime.observe.observed`) and the capsule's spec.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from runtime.observe.observed import ObservedCapsule, ObservedContainer

STARTING = "Starting"
RUNNING = "Running"
FINISHED = "Finished"
FAILED = "Failed"
UNKNOWN = "Unknown"
# Statuses after which waiting for a capsule is over.
SETTLED: frozenset[str] = frozenset({RUNNING, FINISHED, FAILED})

# The engine's restart policy names, for capsules whose spec label is unreadable.
_ENGINE_TO_POLICY = {
    "always": "Always", "unless-stopped": "Always", "on-failure": "OnFailure", "no": "Never", "": "Never",
}


@dataclass(frozen=True)
class StatusSummary:
    """Everything `capsule list` shows about a capsule's health."""

    status: str
    reason: str
    ready: int  # members running
    total: int  # members in the spec
    restarts: int  # restarts of every member and init container

    @property
    def ready_text(self) -> str:
        return f"{self.ready}/{self.total}"


@dataclass(frozen=True)
class _SpecFacts:
    restart_policy: str
    members: tuple[str, ...]
    inits: tuple[str, ...]


def derive_status(
    observed: ObservedCapsule | None,
    spec: Any,
    *,
    host_reachable: bool = True,
    host: str = "",
    host_error: str = "",
) -> tuple[str, str]:
    """(status, reason) for a capsule; `spec` is a `translate.spec.Capsule` or its dict."""
    summary = summarize(observed, spec, host_reachable=host_reachable, host=host, host_error=host_error)
    return summary.status, summary.reason


def display_status(observed: ObservedCapsule | None, spec: Any, *, status: str | None = None) -> str:
    """The word a list shows for a capsule, within its phase (`status`; derived when None).

    The phase decides which words can be said: a crash loop is Starting (a member is
    restarting), Error and OOMKilled are Failed, Completed and Stopped are Finished.
    """
    phase = status or summarize(observed, spec).status
    if phase in (UNKNOWN, RUNNING):
        return phase
    if observed is None or not observed.containers:
        return "ContainerCreating" if phase == STARTING else phase
    facts = _spec_facts(spec, observed)
    members, inits = observed.members, observed.inits
    if phase == FINISHED:
        return "Stopped" if _stopped(observed.sandbox, observed) else "Completed"
    if phase == FAILED:
        if any(_oom(c) and c.state in ("exited", "dead") for c in members + inits):
            return "OOMKilled"
        if not members and any(_ended_badly(c) for c in inits):
            return "Init:Error"
        return "Error" if any(_ended_badly(c) for c in members) else FAILED
    # Starting: a crash loop, the init containers' progress, or containers being made.
    looping = [c for c in members if _crash_looping(c, facts.restart_policy)]
    if any(_oom(c) for c in looping):
        return "OOMKilled"
    if looping:
        return "CrashLoopBackOff"
    if not members and (facts.inits or inits):
        if any(_crash_looping(c, facts.restart_policy) for c in inits):
            return "Init:CrashLoopBackOff"
        done = sum(1 for c in inits if c.state == "exited" and c.exit_code == 0)
        return f"Init:{done}/{len(facts.inits) or len(inits)}"
    return "ContainerCreating"


def termination_reason(container: ObservedContainer) -> str:
    """Why the container's last run ended, as Kubernetes' lastState.terminated.reason says it
    (OOMKilled, Error, Completed), when this observation tells; "" when it does not (running:
    the engine resets OOMKilled and the exit code at a start)."""
    if container.state not in ("exited", "dead", "restarting") or container.exit_code is None:
        return ""
    if container.oom_killed:
        return "OOMKilled"
    return "Completed" if container.exit_code == 0 else "Error"


def _oom(container: ObservedContainer) -> bool:
    return container.oom_killed or container.last_termination == "OOMKilled"


def _crash_looping(container: ObservedContainer, policy: str) -> bool:
    """The engine is backing off before restarting it, or it exited after restarts and will run again."""
    if container.state == "restarting":
        return True
    return (container.state == "exited" and container.restart_count > 0 and policy != "Never"
            and not (policy == "OnFailure" and container.exit_code == 0))


def _ended_badly(container: ObservedContainer) -> bool:
    return container.state == "dead" or (container.state == "exited" and container.exit_code != 0)


def summarize(
    observed: ObservedCapsule | None,
    spec: Any,
    *,
    host_reachable: bool = True,
    host: str = "",
    host_error: str = "",
) -> StatusSummary:
    facts = _spec_facts(spec, observed)
    if observed is not None:
        # Containers added later (`capsule run`) count as members too.
        extra = sorted({c.member for c in observed.members} - set(facts.members))
        facts = _SpecFacts(facts.restart_policy, facts.members + tuple(extra), facts.inits)
    containers = observed.containers if observed else []
    restarts = sum(c.restart_count for c in containers if c.role != "sandbox")
    ready = sum(1 for c in (observed.members if observed else []) if c.state in ("running", "paused"))
    total = len(facts.members)

    def result(status: str, reason: str) -> StatusSummary:
        return StatusSummary(status, reason, ready, total, restarts)

    if not host_reachable:
        name = host or (observed.host if observed else "") or "the host"
        detail = f": {host_error}" if host_error else ""
        return result(UNKNOWN, f"host {name} unreachable{detail}")
    if observed is None or not observed.containers:
        return result(FAILED, "no containers of the capsule found on the host")
    return result(*_judge(observed, facts))


def _judge(observed: ObservedCapsule, facts: _SpecFacts) -> tuple[str, str]:
    """The status rules proper, once the host answered and containers exist."""
    policy = facts.restart_policy
    sandbox = observed.sandbox
    by_member = {c.member: c for c in observed.members}
    members_started = bool(by_member)

    failures: list[str] = []
    pending: list[str] = []

    if _stopped(sandbox, observed):
        return FINISHED, "stopped (capsule start starts it again)"
    if sandbox is None:
        failures.append("sandbox container is missing")
    elif sandbox.state in ("exited", "dead"):
        failures.append(f"sandbox {_ended(sandbox)}")
    elif sandbox.state == "removing":
        failures.append("sandbox is being removed")
    elif sandbox.state == "restarting":
        pending.append("sandbox is restarting")
    elif sandbox.state == "created":
        pending.append("sandbox not started yet")

    if not members_started:
        # The members start only after every init container succeeded.
        _judge_inits(observed, facts, failures, pending)
        if not failures and not pending:
            pending.append("members not created yet")

    completed: list[str] = []
    for name in facts.members:
        container = by_member.get(name)
        if container is None:
            if members_started:
                failures.append(f"member {name} is missing")
            continue
        verdict = _judge_member(container, policy)
        if verdict == "completed":
            completed.append(name)
        elif verdict.startswith("failed:"):
            failures.append(verdict.removeprefix("failed:"))
        elif verdict.startswith("pending:"):
            pending.append(verdict.removeprefix("pending:"))

    if failures:
        return FAILED, _join(failures)
    if pending:
        return STARTING, _join(pending)
    if facts.members and len(completed) == len(facts.members):
        return FINISHED, "all members completed"
    paused = [c.member for c in observed.members if c.state == "paused"]
    if paused:
        return RUNNING, "paused: " + ", ".join(paused)
    return RUNNING, ""


def _stopped(sandbox: ObservedContainer | None, observed: ObservedCapsule) -> bool:
    """Stopped on purpose: the pause sandbox exits 0 only when told to stop, and nothing runs."""
    if sandbox is None or sandbox.state != "exited" or sandbox.exit_code != 0:
        return False
    return all(c.state in ("exited", "created") for c in observed.members + observed.inits + observed.sidecars)


def _judge_member(container: ObservedContainer, policy: str) -> str:
    """'running', 'completed', 'pending:<reason>' or 'failed:<reason>' for one member."""
    name = container.member
    state = container.state
    if state in ("running", "paused"):
        return "running"
    if state == "restarting":
        return f"pending:member {name} is restarting ({_restarts(container.restart_count)})"
    if state == "created":
        return f"pending:member {name} not started yet"
    if state == "exited":
        code = container.exit_code
        if code == 0 and policy in ("Never", "OnFailure"):
            return "completed"
        if policy == "Never":
            return f"failed:member {name} {_ended(container)}"
        # Under Always/OnFailure the engine shows a container it will restart as
        # 'restarting'; one left 'exited' was stopped outside capsule or gave up.
        return f"failed:member {name} {_ended(container)} and is not being restarted"
    if state == "dead":
        return f"failed:member {name} is dead{_error_suffix(container)}"
    if state == "removing":
        return f"failed:member {name} is being removed"
    return f"pending:member {name} is in state {state}"


def _judge_inits(observed: ObservedCapsule, facts: _SpecFacts, failures: list[str], pending: list[str]) -> None:
    by_name = {c.member: c for c in observed.inits}
    order = list(facts.inits) or list(by_name)
    for name in order:
        container = by_name.get(name)
        if container is None:
            pending.append(f"init container {name} not started yet")
            return
        if container.state == "exited" and container.exit_code == 0:
            continue
        if container.state == "exited":
            if facts.restart_policy == "Never":
                failures.append(f"init container {name} {_ended(container)}")
            else:
                pending.append(f"init container {name} {_ended(container)}, retrying")
            return
        if container.state == "dead":
            failures.append(f"init container {name} is dead{_error_suffix(container)}")
            return
        pending.append(f"init container {name} is {container.state}")
        return


def _ended(container: ObservedContainer) -> str:
    code = container.exit_code
    text = "exited" if code is None else f"exited with code {code}"
    if container.oom_killed:
        text += " (out of memory)"
    return text + _error_suffix(container)


def _error_suffix(container: ObservedContainer) -> str:
    return f": {container.error}" if container.error else ""


def _restarts(count: int) -> str:
    return "1 restart" if count == 1 else f"{count} restarts"


def _join(reasons: list[str]) -> str:
    # The first reason is the one that matters most; keep the line short.
    if len(reasons) <= 2:
        return "; ".join(reasons)
    return f"{reasons[0]}; {reasons[1]} (and {len(reasons) - 2} more)"


def _spec_facts(spec: Any, observed: ObservedCapsule | None) -> _SpecFacts:
    """Restart policy and container names from a Capsule, its dict, or the observed labels."""
    if spec is not None and hasattr(spec, "containers") and hasattr(spec, "restart_policy"):
        return _SpecFacts(
            spec.restart_policy,
            tuple(c.name for c in spec.containers),
            tuple(c.name for c in spec.init_containers if not getattr(c, "sidecar", False)),
        )
    body: dict[str, Any] = {}
    if isinstance(spec, dict):
        body = spec.get("spec") if isinstance(spec.get("spec"), dict) else spec
    if not body.get("containers") and observed is not None and observed.spec:
        inner = observed.spec.get("spec")
        body = inner if isinstance(inner, dict) else {}
    members = tuple(str(c.get("name", "")) for c in body.get("containers") or [] if isinstance(c, dict))
    # A native sidecar (restartPolicy Always) keeps running: it is no init container to wait for.
    inits = tuple(str(c.get("name", "")) for c in body.get("initContainers") or []
                  if isinstance(c, dict) and c.get("restartPolicy") != "Always")
    policy = body.get("restartPolicy")
    if not members and observed is not None:
        # No readable spec: go by what the host has.
        members = tuple(sorted({c.member for c in observed.members}))
        inits = tuple(c.member for c in observed.inits)
    if policy not in ("Always", "OnFailure", "Never"):
        engine_policy = observed.members[0].engine_restart_policy if observed and observed.members else "always"
        policy = _ENGINE_TO_POLICY.get(engine_policy, "Always")
    return _SpecFacts(policy, members, inits)
