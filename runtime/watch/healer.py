"""Self-healing actions on one capsule: re-join members after a sandbox restart, and
act on a failed liveness (or startup) probe per the restart policy.

Why re-joining is needed: a member joined with `container:<sandbox>` keeps the
network namespace it joined. When the sandbox restarts (crash, `docker restart`,
engine restart) it gets a new namespace and the member is left with only `lo`,
cut off from its fellow members. Restarting the member joins the new namespace.
`rejoin_members` restarts the members that started before the sandbox's latest
start (`capsule_lifecycle.stale_members`), with a short grace because they have
already lost their network, and starts the members that should run but do not
(they failed to start while the sandbox was down), in capsules without init
containers (with them, `capsule start` re-runs those first, then starts the members).

On a failed liveness probe, as Kubernetes: Always and OnFailure restart the member
(SIGTERM, then SIGKILL after the grace). Under Never it is killed (SIGKILL, exit code
137) and left down: a graceful stop could end with code 0, and the capsule would then
read as Finished although its member was broken; killed, its status is Failed.

These functions act on one engine and return what they did; recording events and
printing is the watcher's job.
"""

from __future__ import annotations

from runtime.engine.client import EngineClient
from runtime.engine.errors import Conflict, NotFound
from runtime.labels import ROLE_SIDECAR
from runtime.observe.observed import ObservedCapsule, ObservedContainer
from runtime.ops.lifecycle import restart_members, stale_members
from runtime.probes.run import restart_policy

# Members whose network is already gone lose nothing by a short grace, and the
# capsule is back sooner (the goal: members reach each other again within 10 s).
DEFAULT_HEAL_GRACE = 2
# A member that failed its liveness probe gets what `docker stop` gives.
DEFAULT_PROBE_GRACE = 10

RESTARTED, STOPPED = "restarted", "stopped"


async def rejoin_members(engine: EngineClient, capsule: ObservedCapsule, *,
                         grace: int = DEFAULT_HEAL_GRACE, start_stopped: bool = True) -> list[str]:
    """Put every member back into the sandbox's current namespace; the members acted on.

    `start_stopped` also starts members that should run but do not; the watcher's
    startup sweep turns it off, since it cannot tell why those members stopped.
    """
    if capsule.sandbox is None or capsule.sandbox.state != "running":
        return []
    stale = [m.member for m in await stale_members(engine, capsule)]
    if stale:
        await restart_members(engine, capsule, stale, grace=grace)
    started = []
    # With init containers, members must wait for them: `capsule start` re-runs them and
    # then starts the members, so only a capsule without any is started here.
    if start_stopped and not capsule.inits:
        for member in capsule.members:
            if member.member not in stale and _should_run(member, restart_policy(capsule)):
                try:
                    await engine.start(member.id)
                    started.append(member.member)
                except (NotFound, Conflict):
                    pass  # removed, or started meanwhile by someone else: nothing to do
    return stale + started


def _should_run(member: ObservedContainer, policy: str) -> bool:
    # A member never started ("created") is its builder's business: starting it here
    # could run it before the capsule's init containers have finished.
    if member.state != "exited":
        return False
    return policy == "Always" or (policy == "OnFailure" and member.exit_code not in (0, None))


async def revive_member(engine: EngineClient, capsule: ObservedCapsule, member: ObservedContainer) -> bool:
    """Start a member that was killed outside capsule (`docker kill`), if its policy says so.

    The engine does not restart a container that `docker kill` ended (it counts as
    stopped by hand), but a pod's restart policy would. Only while the sandbox runs:
    a capsule being stopped or deleted is left alone. True when it was started.
    """
    sandbox_down = capsule.sandbox is None or capsule.sandbox.state != "running"
    if sandbox_down or not _should_run(member, restart_policy(capsule)):
        return False
    try:
        await engine.start(member.id)
    except (NotFound, Conflict):
        return False
    return True


async def act_on_failed_probe(engine: EngineClient, capsule: ObservedCapsule, member: ObservedContainer, *,
                              grace: int = DEFAULT_PROBE_GRACE) -> str:
    """Restart the member (Always, OnFailure) or kill it for good (Never); RESTARTED or STOPPED.

    A native sidecar is restarted whatever the capsule's policy: its own policy is Always.
    """
    if restart_policy(capsule) == "Never" and member.role != ROLE_SIDECAR:
        try:
            await engine.kill(member.id, "SIGKILL")
        except Conflict:
            pass  # it ended by itself meanwhile: it is down either way
        return STOPPED
    await engine.restart(member.id, timeout=grace)
    return RESTARTED
