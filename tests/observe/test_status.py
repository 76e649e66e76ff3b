"""derive_status: every rule, on hand-built ObservedContainers (no engine needed)."""

from __future__ import annotations

import pytest

from runtime.observe.observed import ObservedCapsule, ObservedContainer
from runtime.observe.status import (
    FAILED,
    FINISHED,
    RUNNING,
    STARTING,
    UNKNOWN,
    derive_status,
    summarize,
)
from translate.spec import Capsule, Container


def spec(policy: str = "Always", members=("web", "sidecar"), inits=()) -> dict:
    return {
        "apiVersion": "beta",
        "kind": "capsule",
        "metadata": {"name": "demo", "labels": {}},
        "spec": {
            "restartPolicy": policy,
            "containers": [{"name": m, "image": "busybox:1.36"} for m in members],
            "initContainers": [{"name": i, "image": "busybox:1.36"} for i in inits],
        },
    }


def box(role: str, member: str = "", state: str = "running", code: int | None = None, restarts: int = 0,
        oom: bool = False, error: str = "") -> ObservedContainer:
    name = "demo" if role == "sandbox" else f"demo.{member}"
    return ObservedContainer(
        id=f"id-{name}", name=name, role=role, member=member, image="busybox:1.36", state=state,
        exit_code=code, restart_count=restarts, oom_killed=oom, error=error,
    )


def capsule(*containers: ObservedContainer, spec_doc: dict | None = None) -> ObservedCapsule:
    return ObservedCapsule(host="local", name="demo", uuid="u1", revision=1, spec=spec_doc or {},
                           containers=list(containers))


def sandbox(state: str = "running", code: int | None = None) -> ObservedContainer:
    return box("sandbox", state=state, code=code)


def member(name: str, state: str = "running", **kw) -> ObservedContainer:
    return box("member", name, state, **kw)


def test_all_members_running_is_running_with_full_ready_count():
    observed = capsule(sandbox(), member("web"), member("sidecar"))
    summary = summarize(observed, spec())
    assert (summary.status, summary.reason) == (RUNNING, "")
    assert summary.ready_text == "2/2"
    assert summary.restarts == 0


def test_unreachable_host_is_unknown_with_the_hosts_error():
    status, reason = derive_status(None, spec(), host_reachable=False, host="h1", host_error="connection refused")
    assert status == UNKNOWN
    assert reason == "host h1 unreachable: connection refused"


def test_unreachable_wins_over_what_was_observed_before():
    observed = capsule(sandbox(), member("web", "exited", code=1))
    assert derive_status(observed, spec("Never"), host_reachable=False)[0] == UNKNOWN


def test_no_containers_is_failed():
    assert derive_status(None, spec())[0] == FAILED
    assert derive_status(capsule(), spec())[0] == FAILED


def test_member_exited_nonzero_under_never_is_failed_with_code():
    observed = capsule(sandbox(), member("web", "exited", code=1), member("sidecar"))
    assert derive_status(observed, spec("Never")) == (FAILED, "member web exited with code 1")


def test_member_exited_nonzero_under_onfailure_not_restarting_is_failed():
    observed = capsule(sandbox(), member("web", "exited", code=3), member("sidecar"))
    status, reason = derive_status(observed, spec("OnFailure"))
    assert status == FAILED
    assert reason == "member web exited with code 3 and is not being restarted"


def test_member_exited_under_always_and_left_stopped_is_failed():
    # docker kill / docker stop mark a container as stopped by hand: the engine will not restart it.
    observed = capsule(sandbox(), member("web", "exited", code=137), member("sidecar"))
    status, reason = derive_status(observed, spec("Always"))
    assert status == FAILED
    assert "member web exited with code 137" in reason


def test_oom_kill_is_named():
    observed = capsule(sandbox(), member("web", "exited", code=137, oom=True), member("sidecar"))
    assert derive_status(observed, spec("Never"))[1] == "member web exited with code 137 (out of memory)"


def test_restarting_member_is_starting_with_restart_count():
    observed = capsule(sandbox(), member("web"), member("sidecar", "restarting", code=1, restarts=3))
    summary = summarize(observed, spec("Always"))
    assert summary.status == STARTING
    assert summary.reason == "member sidecar is restarting (3 restarts)"
    assert summary.ready_text == "1/2"
    assert summary.restarts == 3


def test_running_after_restarts_counts_them():
    observed = capsule(sandbox(), member("web", restarts=2), member("sidecar", restarts=1))
    summary = summarize(observed, spec("Always"))
    assert summary.status == RUNNING
    assert summary.restarts == 3


def test_created_member_is_starting():
    observed = capsule(sandbox(), member("web"), member("sidecar", "created"))
    assert derive_status(observed, spec()) == (STARTING, "member sidecar not started yet")


def test_all_members_exited_zero_under_never_is_finished():
    observed = capsule(sandbox(), member("web", "exited", code=0), member("sidecar", "exited", code=0))
    summary = summarize(observed, spec("Never"))
    assert (summary.status, summary.reason) == (FINISHED, "all members completed")
    assert summary.ready_text == "0/2"


def test_all_members_exited_zero_under_onfailure_is_finished():
    observed = capsule(sandbox(), member("web", "exited", code=0), member("sidecar", "exited", code=0))
    assert derive_status(observed, spec("OnFailure"))[0] == FINISHED


def test_one_completed_one_running_is_running():
    observed = capsule(sandbox(), member("web", "exited", code=0), member("sidecar"))
    assert derive_status(observed, spec("Never")) == (RUNNING, "")


def test_missing_member_is_failed():
    observed = capsule(sandbox(), member("web"))
    assert derive_status(observed, spec()) == (FAILED, "member sidecar is missing")


def test_missing_sandbox_is_failed():
    observed = capsule(member("web"), member("sidecar"))
    assert derive_status(observed, spec()) == (FAILED, "sandbox container is missing")


def test_exited_sandbox_is_failed():
    observed = capsule(sandbox("exited", code=2), member("web"), member("sidecar"))
    assert derive_status(observed, spec()) == (FAILED, "sandbox exited with code 2")


def test_restarting_sandbox_is_starting():
    observed = capsule(sandbox("restarting"), member("web"), member("sidecar"))
    assert derive_status(observed, spec()) == (STARTING, "sandbox is restarting")


def test_dead_member_is_failed_with_engine_error():
    observed = capsule(sandbox(), member("web", "dead", error="device busy"), member("sidecar"))
    assert derive_status(observed, spec()) == (FAILED, "member web is dead: device busy")


def test_init_container_running_is_starting():
    observed = capsule(sandbox(), box("init", "setup", "running"))
    assert derive_status(observed, spec(inits=("setup",))) == (STARTING, "init container setup is running")


def test_init_container_failed_under_never_is_failed():
    observed = capsule(sandbox(), box("init", "setup", "exited", code=4))
    status, reason = derive_status(observed, spec("Never", inits=("setup",)))
    assert (status, reason) == (FAILED, "init container setup exited with code 4")


def test_init_container_failed_under_always_is_retried():
    observed = capsule(sandbox(), box("init", "setup", "exited", code=4))
    status, reason = derive_status(observed, spec("Always", inits=("setup",)))
    assert status == STARTING
    assert reason == "init container setup exited with code 4, retrying"


def test_second_init_container_not_yet_started():
    observed = capsule(sandbox(), box("init", "one", "exited", code=0))
    assert derive_status(observed, spec(inits=("one", "two"))) == (STARTING, "init container two not started yet")


def test_inits_done_and_members_running_is_running():
    observed = capsule(sandbox(), box("init", "setup", "exited", code=0), member("web"), member("sidecar"))
    assert derive_status(observed, spec("Never", inits=("setup",))) == (RUNNING, "")


def test_sandbox_only_is_starting():
    assert derive_status(capsule(sandbox()), spec()) == (STARTING, "members not created yet")


def test_failure_wins_over_pending_and_many_reasons_stay_short():
    observed = capsule(
        sandbox(), member("a", "exited", code=1), member("b", "exited", code=2), member("c", "exited", code=3),
        member("d", "created"),
    )
    status, reason = derive_status(observed, spec("Never", members=("a", "b", "c", "d")))
    assert status == FAILED
    assert reason == "member a exited with code 1; member b exited with code 2 (and 1 more)"


def test_spec_as_capsule_object():
    caps = Capsule(name="demo", containers=(Container("web", "busybox:1.36"),), restart_policy="Never")
    observed = capsule(sandbox(), member("web", "exited", code=0))
    assert derive_status(observed, caps)[0] == FINISHED


def test_spec_from_observed_labels_when_none_given():
    observed = capsule(sandbox(), member("web", "exited", code=0), spec_doc=spec("Never", members=("web",)))
    assert derive_status(observed, None)[0] == FINISHED


def test_no_spec_at_all_goes_by_the_engines_restart_policy():
    web = member("web", "exited", code=1)
    web.engine_restart_policy = "no"
    assert derive_status(capsule(sandbox(), web), None) == (FAILED, "member web exited with code 1")


def test_members_added_later_count():
    observed = capsule(sandbox(), member("web"), member("sidecar"), member("debug", "exited", code=1))
    summary = summarize(observed, spec("Never"))
    assert summary.status == FAILED
    assert summary.total == 3


def test_paused_members_are_running_and_say_so():
    observed = capsule(sandbox("paused"), member("web", "paused"), member("sidecar", "paused"))
    assert derive_status(observed, spec()) == (RUNNING, "paused: web, sidecar")


@pytest.mark.parametrize("state", ["removing"])
def test_member_being_removed_is_failed(state):
    observed = capsule(sandbox(), member("web", state), member("sidecar"))
    assert derive_status(observed, spec()) == (FAILED, "member web is being removed")


def test_stopped_capsule_is_finished_not_failed():
    observed = capsule(sandbox("exited", code=0), member("web", "exited", code=143), member("sidecar", "exited", code=137))
    assert derive_status(observed, spec("Always")) == (FINISHED, "stopped (capsule start starts it again)")


def test_sandbox_stopped_while_members_run_is_failed():
    observed = capsule(sandbox("exited", code=0), member("web"), member("sidecar"))
    assert derive_status(observed, spec()) == (FAILED, "sandbox exited with code 0")


# A crash is not a stop: only the pause sandbox's exit 0 (it exits 0 only when told to stop)
# means "stopped on purpose". Killed (137), crashed (1) or refused its arguments (2), the
# sandbox took the namespaces with it, whatever state the members are left in.
@pytest.mark.parametrize("code", [137, 1, 2])
@pytest.mark.parametrize("members", [
    pytest.param((("web", "exited", 137), ("sidecar", "exited", 143)), id="members-killed"),
    pytest.param((("web", "exited", 0), ("sidecar", "exited", 0)), id="members-exited-0"),
    pytest.param((("web", "created", None), ("sidecar", "created", None)), id="members-created"),
    pytest.param((("web", "exited", 1), ("sidecar", "created", None)), id="members-mixed"),
])
@pytest.mark.parametrize("policy", ["Always", "OnFailure", "Never"])
def test_crashed_sandbox_with_members_down_is_failed_not_finished(code, members, policy):
    downs = [member(name, state, code=exit_code) for name, state, exit_code in members]
    status, reason = derive_status(capsule(sandbox("exited", code=code), *downs), spec(policy))
    assert status == FAILED, reason
    assert reason.startswith(f"sandbox exited with code {code}"), reason


def test_crashed_sandbox_alone_is_failed_and_a_stopped_one_alone_is_finished():
    # Init containers count as members here: none may run for a stop.
    setup = box("init", "setup", "exited", code=0)
    assert derive_status(capsule(sandbox("exited", code=137), setup), spec(inits=("setup",))) == (
        FAILED, "sandbox exited with code 137")
    assert derive_status(capsule(sandbox("exited", code=0), setup), spec(inits=("setup",)))[0] == FINISHED


def test_sandbox_with_an_unknown_exit_code_is_not_taken_for_stopped():
    observed = capsule(sandbox("exited", code=None), member("web", "exited", code=0), member("sidecar", "exited", code=0))
    assert derive_status(observed, spec("Never")) == (FAILED, "sandbox exited")
