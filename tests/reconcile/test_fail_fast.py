"""Fail fast: a rollout whose new tasks keep stopping for the same reason ends after three of
them, not after the circuit breaker's ten; with ``atomic`` the other services' watch ends
with it. Scripted ECS timelines (tests/reconcile/test_rollout.py's source), a fake clock."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from test_rollout import (
    ARN,
    TD_NEW,
    TD_OLD,
    UI_NEW,
    UI_OLD,
    FakeSource,
    api_watch,
    dep,
    run,
    step,
    ui_watch,
)

from ecsdeploy.reconcile import stop_reasons
from ecsdeploy.reconcile.rollout import SAME_CAUSE, WITH_RELEASE, watch
from ecsdeploy.resources.base import Timing

from conftest import FakeClock

IMAGE = "123456789012.dkr.ecr.us-west-2.amazonaws.com/api:v2"
TG_ARN = "arn:aws:elasticloadbalancing:us-west-2:123456789012:targetgroup/mlapp-dev-api/{}"


def stopped(n: int, cause: str, td: str = TD_NEW, started_by: str = "") -> dict[str, Any]:
    """The n-th task stopped for ``cause``, each with its own id, address and details, as
    DescribeTasks shows them (stopped-task-errors.html)."""
    task: dict[str, Any] = {
        "taskArn": f"{ARN}:task/mlapp-dev/{n:032x}",
        "taskDefinitionArn": td,
        "stoppedAt": n,
    }
    if started_by:
        task["startedBy"] = started_by
    if cause == "pull":
        reason = (
            f"CannotPullContainerError: pull image manifest has been retried {n + 4} time(s): "
            f"failed to resolve ref {IMAGE}: not found"
        )
        task |= {
            "stopCode": "TaskFailedToStart",
            "stoppedReason": reason,
            "containers": [{"name": "api", "reason": reason}],
        }
    elif cause.startswith("exit"):
        task |= {
            "stopCode": "EssentialContainerExited",
            "stoppedReason": "Essential container in task exited",
            "containers": [{"name": "api", "exitCode": int(cause[4:])}],
        }
    elif cause == "health":
        task |= {
            "stopCode": "ServiceSchedulerInitiated",
            "stoppedReason": "Task failed ELB health checks in (target-group "
            f"{TG_ARN.format(f'{n:016x}')}) at 10.0.1.{n}",
            "containers": [{"name": "api", "exitCode": 143}],
        }
    elif cause == "user":
        task |= {
            "stopCode": "UserInitiated",
            "stoppedReason": "Task stopped by user",
            "containers": [{"name": "api", "exitCode": 143}],
        }
    return task


class Stopping(FakeSource):
    """A FakeSource whose stopped tasks grow with the timeline: ``stops[i]`` are the tasks
    stopped by the time of DescribeServices call i."""

    def __init__(self, timelines: dict[str, list[dict[str, Any]]], stops: list[list[Any]]):
        super().__init__(timelines, logs={"api": ["pulling...", "not found"]})
        self.stops = stops

    def stopped_tasks(self, cluster: str, service: str) -> list[dict[str, Any]]:
        self.calls.append(("stopped_tasks", service))
        if service != "api":
            return []
        return list(self.stops[min(self.index["api"], len(self.stops) - 1)])


def failing(failed: list[int]) -> list[dict[str, Any]]:
    """Our deployment never runs a task; ECS counts ``failed[i]`` failed tasks at poll i."""
    old = dep(TD_OLD, "ACTIVE", "COMPLETED", running=2)
    return [step(dep(TD_NEW, pending=1, failed=f), old) for f in failed]


DONE = step(dep(TD_NEW, rollout="COMPLETED", running=2), health=("healthy", "healthy"))


@pytest.mark.parametrize("cause", ["pull", "exit1", "health"])
def test_three_tasks_stopped_for_the_same_reason_end_the_rollout(cause: str) -> None:
    # ECS counts each failed task; the circuit breaker would wait for 10
    timeline = failing([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    stops = [[stopped(i, cause) for i in range(n)] for n in range(11)]
    source = Stopping({"api": timeline}, stops)
    outcomes, seen, _ = run([api_watch()], source)

    [outcome] = outcomes
    assert not outcome.ok
    assert outcome.reason.startswith(f"3 {SAME_CAUSE}: ")
    assert source.polls("api") == 4  # failedTasks 3 is seen at the 4th poll, not the 11th
    assert seen[-1].state == "FAILED"
    assert outcome.log_lines == ["pulling...", "not found"]
    if cause == "pull":
        assert "CannotPullContainerError" in outcome.reason
        assert outcome.stopped_reasons[0].startswith("CannotPullContainerError")
    elif cause == "exit1":
        assert outcome.reason.endswith("Essential container in task exited (exit code 1)")
    else:
        assert "Task failed ELB health checks" in outcome.reason


@pytest.mark.parametrize(
    "causes",
    [
        ["pull", "pull", "exit1"],  # two the same and one different
        ["exit1", "exit1", "exit137"],  # a crash and an out-of-memory kill differ
        ["user", "user", "user"],  # stopped on purpose: not failures
    ],
)
def test_fewer_than_three_alike_keep_waiting(causes: list[str]) -> None:
    timeline = [*failing([0, 1, 2, 3]), DONE]
    stops = [[stopped(i, c) for i, c in enumerate(causes[:n])] for n in range(4)]
    source = Stopping({"api": timeline}, stops)
    outcomes, _, _ = run([api_watch()], source)

    assert outcomes[0].ok, outcomes[0].reason
    assert source.calls.count(("stopped_tasks", "api")) == 3  # read at each new failed task


def test_tasks_of_another_deployment_do_not_count() -> None:
    timeline = [*failing([0, 3]), DONE]
    # same revision, but started by an earlier deployment of it (before a rollback)
    earlier = [stopped(i, "exit1", started_by="ecs-svc/1") for i in range(3)]
    source = Stopping({"api": timeline}, [[], earlier])
    outcomes, _, _ = run([api_watch()], source)

    assert outcomes[0].ok


def test_tasks_that_ran_then_crashed_are_read_while_fewer_than_desired_run() -> None:
    """ECS stops counting failed tasks once one of the deployment's tasks ran
    (Deployment.failedTasks): the stopped tasks are read every 10 s regardless."""
    timeline = [step(dep(TD_NEW, running=1, pending=1), dep(TD_OLD, "ACTIVE", running=2))]
    source = Stopping({"api": timeline}, [[stopped(i, "exit1") for i in range(3)]])
    outcomes, _, clock = run([api_watch()], source)

    assert outcomes[0].reason.startswith(f"3 {SAME_CAUSE}")
    # polls at 0, 1, ..., 6, 7.5, 9.75, 12.75: the first read 10 s or more after the start
    assert clock.now == 12.75
    assert source.calls.count(("stopped_tasks", "api")) == 1 + 1  # the read, the diagnosis


def test_causes_ignore_what_is_particular_to_each_task() -> None:
    for cause in ("pull", "exit1", "health"):
        a, b = stopped(1, cause), stopped(2, cause)
        assert a != b
        assert stop_reasons.cause(a, "api") == stop_reasons.cause(b, "api")
    assert stop_reasons.cause(stopped(1, "exit1"), "api") != stop_reasons.cause(
        stopped(1, "exit137"), "api"
    )
    assert stop_reasons.normalise("task 0a1b2c3d4e5f6a7b at 10.0.3.17:8000 retried 7") == (
        "task <id> at <ip> retried <n>"
    )


# --- an atomic release: the others' watch ends with the failed one's ------------------------
def _release(atomic: bool) -> tuple[list[Any], FakeSource]:
    ui_timeline = [
        step(dep(UI_NEW, pending=1, desired=1), dep(UI_OLD, "ACTIVE", "COMPLETED", running=1)),
        step(dep(UI_NEW, running=1, desired=1), health=("initial",), desired=1),
        step(dep(UI_NEW, rollout="COMPLETED", running=1, desired=1), health=("healthy",)),
    ]
    stops = [[], [stopped(i, "pull") for i in range(3)]]
    source = Stopping({"api": failing([0, 3]), "ui": ui_timeline}, stops)
    api = replace(api_watch(), previous=TD_OLD)
    ui = replace(ui_watch(), previous=UI_OLD)
    clock = FakeClock()
    outcomes = watch([api, ui], source, 600.0, Timing(poll=5.0, sleep=clock.sleep, clock=clock),
                     atomic=atomic)  # fmt: skip
    return outcomes, source


def test_atomic_ends_the_other_services_watch() -> None:
    outcomes, source = _release(atomic=True)

    assert [(o.service, o.ok) for o in outcomes] == [("api", False), ("ui", False)]
    assert outcomes[1].reason == f"{WITH_RELEASE}: api failed"
    # read beside api in the poll where api failed (a poll reads all at once), then no more
    assert source.polls("ui") == 2
    assert outcomes[1].log_lines == []  # nothing to diagnose: ui did not fail


def test_not_atomic_lets_the_others_finish() -> None:
    outcomes, source = _release(atomic=False)

    assert [(o.service, o.ok) for o in outcomes] == [("api", False), ("ui", True)]
    assert source.polls("ui") == 3
