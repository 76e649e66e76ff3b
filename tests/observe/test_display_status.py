"""display_status: the list's STATUS word beside the phase, on hand-built ObservedContainers."""

from __future__ import annotations

import pytest

from runtime.observe.observed import ObservedCapsule, ObservedContainer
from runtime.observe.status import FAILED, STARTING, UNKNOWN, derive_status, display_status, termination_reason


def spec(policy: str = "Always", members=("web",), inits=()) -> dict:
    return {"metadata": {"name": "demo"}, "spec": {
        "restartPolicy": policy,
        "containers": [{"name": m, "image": "busybox:1.36"} for m in members],
        "initContainers": [{"name": i, "image": "busybox:1.36"} for i in inits],
    }}


def box(role: str, member: str = "", state: str = "running", code: int | None = 0, restarts: int = 0,
        oom: bool = False) -> ObservedContainer:
    name = "demo" if role == "sandbox" else f"demo.{member}"
    return ObservedContainer(id=f"id-{name}", name=name, role=role, member=member, image="busybox:1.36",
                             state=state, exit_code=code, restart_count=restarts, oom_killed=oom)


def capsule(*containers: ObservedContainer) -> ObservedCapsule:
    return ObservedCapsule(host="local", name="demo", uuid="u1", revision=1, spec={}, containers=list(containers))


def shown(observed: ObservedCapsule | None, doc: dict) -> tuple[str, str]:
    """(phase, display): the display never changes the phase."""
    return derive_status(observed, doc)[0], display_status(observed, doc)


def test_running_capsule_shows_running():
    assert shown(capsule(box("sandbox"), box("member", "web")), spec()) == ("Running", "Running")


@pytest.mark.parametrize("restarts", [0, 1, 5])
def test_member_the_engine_is_restarting_is_a_crash_loop(restarts):
    observed = capsule(box("sandbox"), box("member", "web", "restarting", code=1, restarts=restarts))
    assert shown(observed, spec()) == (STARTING, "CrashLoopBackOff")


def test_member_exited_after_restarts_while_starting_is_a_crash_loop_and_error_once_given_up():
    # Mid-create the phase stays Starting whatever the members show: one that exited after
    # restarts will be restarted. Once the engine gives up (phase Failed) it is an Error.
    observed = capsule(box("sandbox"), box("member", "web", "exited", code=1, restarts=3))
    assert display_status(observed, spec(), status=STARTING) == "CrashLoopBackOff"
    assert shown(observed, spec()) == (FAILED, "Error")


def test_one_crash_looping_member_of_two_makes_the_row_a_crash_loop():
    observed = capsule(box("sandbox"), box("member", "web"), box("member", "side", "restarting", code=2, restarts=4))
    assert shown(observed, spec(members=("web", "side"))) == (STARTING, "CrashLoopBackOff")


def test_init_progress_while_starting():
    doc = spec(inits=("migrate", "seed"))
    first_done = capsule(box("sandbox"), box("init", "migrate", "exited", code=0), box("init", "seed"))
    assert shown(first_done, doc) == (STARTING, "Init:1/2")
    none_yet = capsule(box("sandbox"), box("init", "migrate"))
    assert shown(none_yet, doc) == (STARTING, "Init:0/2")


def test_failed_init_container_under_never_is_init_error():
    observed = capsule(box("sandbox"), box("init", "migrate", "exited", code=3))
    assert shown(observed, spec("Never", inits=("migrate",))) == (FAILED, "Init:Error")


def test_member_exited_non_zero_under_never_is_error():
    observed = capsule(box("sandbox"), box("member", "web", "exited", code=1))
    assert shown(observed, spec("Never")) == (FAILED, "Error")


def test_out_of_memory_kill_is_oomkilled():
    observed = capsule(box("sandbox"), box("member", "web", "exited", code=137, oom=True))
    assert shown(observed, spec("Never")) == (FAILED, "OOMKilled")


def test_oom_killed_member_the_engine_restarts_says_oomkilled_the_cause_of_its_loop():
    observed = capsule(box("sandbox"), box("member", "web", "restarting", code=137, restarts=2, oom=True))
    assert shown(observed, spec()) == (STARTING, "OOMKilled")


def test_a_crash_loop_whose_last_termination_the_store_kept_as_oom_says_oomkilled():
    # The engine forgets OOMKilled when it starts the member again; the store's record does not.
    forgot = box("member", "web", "exited", code=1, restarts=3)
    assert display_status(capsule(box("sandbox"), forgot), spec(), status=STARTING) == "CrashLoopBackOff"
    forgot.last_termination = "OOMKilled"
    assert display_status(capsule(box("sandbox"), forgot), spec(), status=STARTING) == "OOMKilled"
    # Once given up (Failed): OOMKilled too; running again: Running, as kubectl says.
    assert shown(capsule(box("sandbox"), forgot), spec()) == (FAILED, "OOMKilled")
    running = box("member", "web", "running", restarts=3)
    running.last_termination = "OOMKilled"
    assert shown(capsule(box("sandbox"), running), spec()) == ("Running", "Running")


@pytest.mark.parametrize(("state", "code", "oom", "reason"), [
    ("exited", 137, True, "OOMKilled"), ("restarting", 137, True, "OOMKilled"), ("exited", 1, False, "Error"),
    ("exited", 0, False, "Completed"), ("running", 0, False, ""), ("exited", None, False, ""),
])
def test_termination_reason_is_said_only_where_the_observation_tells(state, code, oom, reason):
    assert termination_reason(box("member", "web", state, code=code, oom=oom)) == reason


def test_every_member_completed_is_completed():
    observed = capsule(box("sandbox"), box("member", "web", "exited", code=0))
    assert shown(observed, spec("OnFailure")) == ("Finished", "Completed")


def test_capsule_stopped_on_purpose_is_stopped():
    observed = capsule(box("sandbox", state="exited", code=0), box("member", "web", "exited", code=137))
    assert shown(observed, spec()) == ("Finished", "Stopped")


def test_members_not_started_yet_are_container_creating():
    assert shown(capsule(box("sandbox"), box("member", "web", "created")), spec()) == (STARTING, "ContainerCreating")
    assert display_status(None, spec(), status=STARTING) == "ContainerCreating"


def test_unknown_and_missing_capsules_keep_the_phase():
    assert display_status(capsule(box("sandbox")), spec(), status=UNKNOWN) == UNKNOWN
    assert shown(None, spec()) == (FAILED, FAILED)
    missing_sandbox = capsule(box("member", "web"))
    assert shown(missing_sandbox, spec()) == (FAILED, FAILED)
