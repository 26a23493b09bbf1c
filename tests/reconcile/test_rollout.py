"""Rollout watching on scripted ECS timelines: no moto (it never runs tasks), a fake clock."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from rollout_fakes import PerService

from ecsdeploy.aws.errors import NotFound, Throttled
from ecsdeploy.reconcile.rollout import (
    CIRCUIT_BREAKER,
    DRAINING,
    UNSEEN_GRACE,
    Outcome,
    Progress,
    Watch,
    watch,
)
from ecsdeploy.resources.base import Timing
from ecsdeploy.resources.rollout_reads import AwsRolloutSource

from conftest import FakeClock

ARN = "arn:aws:ecs:us-west-2:123456789012"
TD_OLD = f"{ARN}:task-definition/mlapp-dev-api:3"
TD_NEW = f"{ARN}:task-definition/mlapp-dev-api:4"
TD_OTHER = f"{ARN}:task-definition/mlapp-dev-api:5"
UI_OLD = f"{ARN}:task-definition/mlapp-dev-ui:7"
UI_NEW = f"{ARN}:task-definition/mlapp-dev-ui:8"
TG = "arn:aws:elasticloadbalancing:us-west-2:123456789012:targetgroup/mlapp-dev-api/abc"
POLL = 5.0
# reconcile.polling with a 5 s base: 1 s after a change; while a transition is due, 1 s for
# five unchanged polls more; then each unchanged poll waits 1.5 times longer, up to 3 s
# while a transition is due and 15 s while nothing can change.
FAST, DUE_CAP, SLOW = 1.0, 3.0, 15.0

CRASH_LOG = [f"line {i}" for i in range(25)]


# --- timeline builders: shaped like DescribeServices / DescribeTargetHealth ------------------
def dep(
    td: str,
    status: str = "PRIMARY",
    rollout: str | None = "IN_PROGRESS",
    running: int = 0,
    pending: int = 0,
    failed: int = 0,
    desired: int = 2,
    reason: str = "",
) -> dict[str, Any]:
    found: dict[str, Any] = {
        "id": f"ecs-svc/{td.rsplit(':', 1)[-1]}{status}",
        "status": status,
        "taskDefinition": td,
        "desiredCount": desired,
        "runningCount": running,
        "pendingCount": pending,
        "failedTasks": failed,
    }
    if rollout is not None:
        found["rolloutState"] = rollout
        found["rolloutStateReason"] = reason
    return found


def step(
    *deployments: dict[str, Any],
    events: tuple[str, ...] = (),
    health: tuple[str, ...] = (),
    desired: int = 2,
    tasks: tuple[tuple[str, int], ...] = (),
) -> dict[str, Any]:
    """One poll's view: the service (events newest first), its targets' states (target i is
    10.0.1.i), and its running tasks as (task definition, the target they are)."""
    return {
        "service": {
            "serviceName": "?",
            "status": "ACTIVE",
            "desiredCount": desired,
            "runningCount": sum(d["runningCount"] for d in deployments),
            "deployments": list(deployments),
            "events": [
                {"id": f"e{len(events) - i}", "createdAt": len(events) - i, "message": m}
                for i, m in enumerate(events)
            ],
        },
        "targets": [
            {"Target": {"Id": f"10.0.1.{i}", "Port": 8000}, "TargetHealth": {"State": s}}
            for i, s in enumerate(health)
        ],
        "tasks": [
            {
                "taskArn": f"{ARN}:task/mlapp-dev/t{i}",
                "taskDefinitionArn": td,
                "lastStatus": "RUNNING",
                "attachments": [
                    {
                        "type": "ElasticNetworkInterface",
                        "details": [
                            {"name": "subnetId", "value": "subnet-1"},
                            {"name": "privateIPv4Address", "value": f"10.0.1.{i}"},
                        ],
                    }
                ],
            }
            for td, i in tasks
        ],
    }


def crashed_task(task_id: str, td: str = TD_NEW, stopped_at: int = 1) -> dict[str, Any]:
    return {
        "taskArn": f"{ARN}:task/mlapp-dev/{task_id}",
        "taskDefinitionArn": td,
        "stoppedAt": stopped_at,
        "stopCode": "EssentialContainerExited",
        "stoppedReason": "Essential container in task exited",
        "containers": [{"name": "api", "exitCode": 1, "reason": None}],
    }


class FakeSource(PerService):
    """Plays one scripted timeline per service: the next step at each DescribeServices call,
    the last step repeating. Records every call."""

    def __init__(
        self,
        timelines: dict[str, list[dict[str, Any]]],
        stopped: dict[str, list[dict[str, Any]]] | None = None,
        logs: dict[str, list[str]] | None = None,
    ) -> None:
        self.timelines = timelines
        self.stopped = stopped or {}
        self.logs = logs or {}
        self.index = dict.fromkeys(timelines, -1)
        self.calls: list[tuple[str, ...]] = []

    def _now(self, service: str) -> dict[str, Any]:
        steps = self.timelines[service]
        return steps[min(self.index[service], len(steps) - 1)]

    def describe_service(self, cluster: str, service: str) -> dict[str, Any]:
        self.calls.append(("describe_service", service))
        if service not in self.timelines:
            return {}
        self.index[service] += 1
        return dict(self._now(service)["service"], serviceName=service)

    def target_health(self, target_group_arn: str) -> list[dict[str, Any]]:
        service = target_group_arn.rsplit("/", 2)[-2].removeprefix("mlapp-dev-")
        self.calls.append(("target_health", service))
        return list(self._now(service)["targets"])

    def stopped_tasks(self, cluster: str, service: str) -> list[dict[str, Any]]:
        self.calls.append(("stopped_tasks", service))
        return list(self.stopped.get(service, []))

    def running_tasks(self, cluster: str, service: str) -> list[dict[str, Any]]:
        self.calls.append(("running_tasks", service))
        return list(self._now(service)["tasks"])

    def log_tail(self, log_group: str, stream_prefix: str, limit: int) -> list[str]:
        self.calls.append(("log_tail", log_group, stream_prefix, str(limit)))
        service = log_group.rsplit("/", 1)[-1]
        if not stream_prefix.startswith(f"ecs/{service}/"):
            return []
        return self.logs.get(service, [])[-limit:]

    def polls(self, service: str) -> int:
        return self.calls.count(("describe_service", service))


def api_watch(desired: int = 2, tg: str | None = TG, td: str = TD_NEW) -> Watch:
    return Watch(
        cluster="mlapp-dev",
        service="api",
        task_definition=td,
        target_group_arn=tg,
        log_group="/ecsdeploy/mlapp/dev/api",
        container="api",
        desired=desired,
    )


def ui_watch() -> Watch:
    return Watch(
        cluster="mlapp-dev",
        service="ui",
        task_definition=UI_NEW,
        target_group_arn=TG.replace("mlapp-dev-api", "mlapp-dev-ui"),
        log_group="/ecsdeploy/mlapp/dev/ui",
        container="ui",
        desired=1,
    )


def run(
    watches: list[Watch], source: FakeSource, timeout: float = 600.0
) -> tuple[list[Outcome], list[Progress], FakeClock]:
    clock = FakeClock()
    seen: list[Progress] = []
    outcomes = watch(
        watches, source, timeout, Timing(poll=POLL, sleep=clock.sleep, clock=clock), seen.append
    )
    return outcomes, seen, clock


CLEAN = [
    step(dep(TD_NEW, pending=2), dep(TD_OLD, "ACTIVE", "COMPLETED", running=2)),
    step(
        dep(TD_NEW, running=1, pending=1),
        dep(TD_OLD, "ACTIVE", "COMPLETED", running=1),
        health=("initial",),
    ),
    step(dep(TD_NEW, running=2), health=("healthy", "initial")),
    step(dep(TD_NEW, rollout="COMPLETED", running=2), health=("healthy", "healthy")),
]


# --- (1) a clean rollout -------------------------------------------------------------------
def test_clean_rollout_is_ok_with_progress() -> None:
    source = FakeSource({"api": CLEAN})
    outcomes, seen, clock = run([api_watch()], source)

    # every poll sees a change while tasks start and targets are initial: 1 s apart
    assert outcomes == [Outcome("api", True, "", [], [], 3 * FAST)]
    assert clock.now == 3 * FAST
    assert [(p.running, p.pending, p.healthy_targets, p.total_targets, p.state) for p in seen] == [
        (0, 2, 0, 0, "IN_PROGRESS"),
        (1, 1, 0, 1, "IN_PROGRESS"),
        (2, 0, 1, 2, "IN_PROGRESS"),
        (2, 0, 2, 2, "COMPLETED"),
    ]
    assert all(p.service == "api" and p.desired == 2 for p in seen)
    assert source.polls("api") == 4  # no poll after it is done
    assert not [c for c in source.calls if c[0] in ("stopped_tasks", "log_tail")]


# --- (1b) behind a load balancer: done once only our tasks take requests -------------------
OLD_TASKS = ((TD_OLD, 0), (TD_OLD, 1))
NEW_TASKS = ((TD_NEW, 2), (TD_NEW, 3))
SWAP = [
    # the new tasks start; the old ones serve
    step(
        dep(TD_NEW, pending=2),
        dep(TD_OLD, "ACTIVE", "COMPLETED", running=2),
        health=("healthy", "healthy"),
        tasks=OLD_TASKS,
    ),
    # the new tasks run and are registered; the load balancer checks them
    step(
        dep(TD_NEW, running=2),
        dep(TD_OLD, "ACTIVE", "COMPLETED", running=2),
        health=("healthy", "healthy", "initial", "initial"),
        tasks=OLD_TASKS + NEW_TASKS,
    ),
    # all four take requests: ECS has not deregistered the old ones yet
    step(
        dep(TD_NEW, running=2),
        dep(TD_OLD, "ACTIVE", "COMPLETED", running=2),
        health=("healthy", "healthy", "healthy", "healthy"),
        tasks=OLD_TASKS + NEW_TASKS,
    ),
    # the old targets drain (the deregistration delay); only ours take new requests
    step(
        dep(TD_NEW, running=2),
        dep(TD_OLD, "ACTIVE", "COMPLETED", running=2),
        health=("draining", "draining", "healthy", "healthy"),
        tasks=OLD_TASKS + NEW_TASKS,
    ),
    step(dep(TD_NEW, rollout="COMPLETED", running=2), health=("", "", "healthy", "healthy")),
]


def test_done_once_our_tasks_are_the_only_healthy_targets_while_the_old_ones_drain() -> None:
    source = FakeSource({"api": SWAP})
    outcomes, seen, clock = run([api_watch()], source)

    assert outcomes == [Outcome("api", True, "", [], [], 3 * FAST, DRAINING)]
    assert clock.now == 3 * FAST
    assert source.polls("api") == 4  # not waiting out the drain until COMPLETED
    assert [p.state for p in seen] == ["IN_PROGRESS"] * len(seen)
    # a task read only once ours all run and enough targets are healthy: not at the first poll
    assert source.calls.count(("running_tasks", "api")) == 3


def test_a_new_service_is_done_once_its_tasks_serve_with_nothing_said_of_old_ones() -> None:
    tasks = ((TD_NEW, 0), (TD_NEW, 1))
    serving = step(dep(TD_NEW, running=2), health=("healthy", "healthy"), tasks=tasks)
    source = FakeSource({"api": [serving]})
    outcomes, _, _ = run([api_watch()], source)

    assert outcomes == [Outcome("api", True, "", [], [], 0.0)]


@pytest.mark.parametrize(
    ("health", "tasks"),
    [
        # one of ours is not healthy yet, an old one still is
        (("draining", "healthy", "healthy", "initial"), OLD_TASKS + NEW_TASKS),
        # ours are healthy but a third task of ours runs unregistered: not all ours serve
        (("draining", "draining", "healthy", "healthy"), (*OLD_TASKS, *NEW_TASKS, (TD_NEW, 4))),
        # healthy targets that are not our tasks (another revision's)
        (("draining", "draining", "healthy", "healthy"), ((TD_OTHER, 2), (TD_OTHER, 3))),
        # ECS says ours run but no task read shows them yet
        (("draining", "draining", "healthy", "healthy"), ()),
    ],
)
def test_not_done_while_the_healthy_targets_are_not_exactly_our_tasks(
    health: tuple[str, ...], tasks: tuple[tuple[str, int], ...]
) -> None:
    waiting = step(
        dep(TD_NEW, running=2), dep(TD_OLD, "ACTIVE", "COMPLETED", running=2), health=health,
        tasks=tasks,
    )  # fmt: skip
    source = FakeSource({"api": [waiting, waiting, SWAP[-1]]})
    outcomes, _, _ = run([api_watch()], source)

    # draining or initial targets: due; the second poll sees no change, the third is 1 s on
    assert outcomes == [Outcome("api", True, "", [], [], 2 * FAST)]  # at COMPLETED
    assert source.calls.count(("running_tasks", "api")) == 2


def test_without_a_load_balancer_done_only_at_completed() -> None:
    timeline = [
        step(dep(TD_NEW, running=2), dep(TD_OLD, "ACTIVE", "COMPLETED", running=2)),
        step(dep(TD_NEW, rollout="COMPLETED", running=2)),
    ]
    source = FakeSource({"api": timeline})
    outcomes, _, _ = run([api_watch(tg=None)], source)

    assert outcomes == [Outcome("api", True, "", [], [], FAST)]
    assert ("running_tasks", "api") not in source.calls


def test_progress_only_when_something_changes() -> None:
    timeline = [CLEAN[0], CLEAN[0], CLEAN[0], CLEAN[1], CLEAN[1], CLEAN[3]]
    source = FakeSource({"api": timeline})
    outcomes, seen, _ = run([api_watch()], source)

    assert outcomes[0].ok
    assert source.polls("api") == 6
    assert [p.running for p in seen] == [0, 1, 2]


# --- (2) crash loop, then the circuit breaker rolls back -------------------------------------
def test_crash_loop_rolled_back_by_circuit_breaker() -> None:
    old = dep(TD_OLD, "ACTIVE", "COMPLETED", running=2)
    timeline = [
        step(dep(TD_NEW, pending=2), old),
        step(dep(TD_NEW, pending=1, failed=1), old, events=("(service api) has started 1 tasks",)),
        step(dep(TD_NEW, pending=2, failed=3), old),
        step(
            dep(TD_NEW, rollout="FAILED", failed=4, reason="ECS deployment circuit breaker: ..."),
            old,
        ),
        step(dep(TD_OLD, rollout="COMPLETED", running=2)),
    ]
    stopped = [
        crashed_task("aaa111", stopped_at=1),
        crashed_task("bbb222", stopped_at=3),
        {  # an old-revision task the rollout itself stopped: not a diagnosis
            "taskArn": f"{ARN}:task/mlapp-dev/old999",
            "taskDefinitionArn": TD_OLD,
            "stoppedReason": "Scaling activity initiated by (deployment ecs-svc/4PRIMARY)",
            "containers": [{"name": "api", "exitCode": 0}],
        },
    ]
    source = FakeSource({"api": timeline}, {"api": stopped}, {"api": CRASH_LOG})
    outcomes, seen, _ = run([api_watch()], source)

    [outcome] = outcomes
    assert not outcome.ok
    assert outcome.reason == CIRCUIT_BREAKER
    assert "circuit breaker" in outcome.reason
    assert outcome.stopped_reasons == ["Essential container in task exited (exit code 1)"]
    assert outcome.log_lines == CRASH_LOG[-20:]
    assert outcome.elapsed == 3 * FAST
    # the newest crashed task's own stream first
    assert ("log_tail", "/ecsdeploy/mlapp/dev/api", "ecs/api/bbb222", "20") in source.calls
    assert seen[-1].state == "FAILED"
    assert source.polls("api") == 4


def test_rollback_seen_only_afterwards_is_circuit_breaker() -> None:
    """The poll missed FAILED on PRIMARY: ECS already made the old revision PRIMARY again."""
    timeline = [
        step(dep(TD_NEW, pending=2), dep(TD_OLD, "ACTIVE", "COMPLETED", running=2)),
        step(
            dep(TD_OLD, running=2),
            dep(TD_NEW, "ACTIVE", "FAILED", failed=4, reason="ECS deployment circuit breaker"),
        ),
    ]
    source = FakeSource({"api": timeline}, {"api": [crashed_task("ccc333")]}, {"api": CRASH_LOG})
    outcomes, _, _ = run([api_watch()], source)

    assert (outcomes[0].ok, outcomes[0].reason) == (False, CIRCUIT_BREAKER)
    assert outcomes[0].stopped_reasons == ["Essential container in task exited (exit code 1)"]


def test_logs_fall_back_to_the_container_prefix() -> None:
    timeline = [step(dep(TD_NEW, rollout="FAILED", failed=3))]
    source = FakeSource({"api": timeline}, {}, {"api": ["boom"]})
    outcomes, _, _ = run([api_watch()], source)

    assert outcomes[0].reason == CIRCUIT_BREAKER
    assert outcomes[0].stopped_reasons == []
    assert outcomes[0].log_lines == ["boom"]
    assert [c[2] for c in source.calls if c[0] == "log_tail"] == ["ecs/api/"]


# --- (3) the deadline ----------------------------------------------------------------------
def test_deadline_when_always_in_progress() -> None:
    timeline = [step(dep(TD_NEW, running=1, pending=1), health=("healthy",))]
    source = FakeSource({"api": timeline}, {"api": [crashed_task("ddd444")]}, {"api": ["x"]})
    started = time.perf_counter()
    outcomes, seen, clock = run([api_watch()], source, timeout=60.0)
    took = time.perf_counter() - started

    [outcome] = outcomes
    assert not outcome.ok
    assert outcome.reason == "deadline reached after 60s"
    assert "deadline" in outcome.reason
    assert outcome.elapsed >= 60.0
    assert outcome.elapsed == clock.now == 60.0
    assert outcome.stopped_reasons == ["Essential container in task exited (exit code 1)"]
    assert outcome.log_lines == ["x"]
    # unchanged and due: at 0, 1, ..., 6, then 7.5, 9.75, then every 3 s (DUE_CAP) from
    # 12.75 to 57.75, and at 60
    assert source.polls("api") == 7 + 2 + 16 + 1
    assert [p.state for p in seen] == ["IN_PROGRESS", "TIMED_OUT"]
    assert took < 1.0


def test_deadline_not_a_multiple_of_poll() -> None:
    source = FakeSource({"api": [step(dep(TD_NEW))]})
    outcomes, _, clock = run([api_watch()], source, timeout=12.0)

    assert outcomes[0].reason == "deadline reached after 12s"
    assert clock.now == 12.0
    assert source.polls("api") == 10  # at 0, 1, 2, 3, 4, 5, 6, 7.5, 9.75 and 12


def test_a_clock_that_never_moves_cannot_hang_the_loop() -> None:
    source = FakeSource({"api": [step(dep(TD_NEW))]})
    stuck = Timing(poll=POLL, sleep=lambda seconds: None, clock=lambda: 100.0)
    outcomes = watch([api_watch()], source, 20.0, stuck)

    assert not outcomes[0].ok
    assert outcomes[0].reason.startswith("deadline reached")
    assert source.polls("api") == 22  # ceil(20 / FAST) + 2


def test_errors_keep_polling_and_are_reported_at_the_deadline() -> None:
    class Flaky(FakeSource):
        def describe_service(self, cluster: str, service: str) -> dict[str, Any]:
            self.calls.append(("describe_service", service))
            raise Throttled("Rate exceeded", code="ThrottlingException")

    source = Flaky({"api": [step(dep(TD_NEW))]})
    outcomes, _, _ = run([api_watch()], source, timeout=10.0)

    assert outcomes[0].reason == (
        "deadline reached after 10s (last error: ThrottlingException: Rate exceeded)"
    )
    # no poll sees anything, not even the first: five 1 s waits, then 1.5, 2.25 (to 10)
    assert source.polls("api") == 9  # at 0, 1, 2, 3, 4, 5, 6.5, 8.75 and 10


def test_errors_then_recovery_is_ok() -> None:
    class FlakyOnce(FakeSource):
        def describe_service(self, cluster: str, service: str) -> dict[str, Any]:
            if not self.calls:
                self.calls.append(("error", service))
                raise Throttled("Rate exceeded", code="ThrottlingException")
            return super().describe_service(cluster, service)

    source = FlakyOnce({"api": [CLEAN[-1]]})
    outcomes, _, _ = run([api_watch()], source)

    assert (outcomes[0].ok, outcomes[0].elapsed) == (True, FAST)


# --- (4) another deployment takes over -------------------------------------------------------
def test_replaced_by_another_deployment() -> None:
    timeline = [
        step(dep(TD_NEW, running=1, pending=1), dep(TD_OLD, "ACTIVE", "COMPLETED", running=1)),
        step(dep(TD_OTHER, pending=2), dep(TD_NEW, "ACTIVE", running=1)),
    ]
    source = FakeSource({"api": timeline})
    outcomes, seen, _ = run([api_watch()], source)

    assert not outcomes[0].ok
    assert outcomes[0].reason == f"replaced by another deployment (task definition {TD_OTHER})"
    assert outcomes[0].elapsed == FAST
    assert seen[-1].state == "REPLACED"


# --- (5) a rollback that ends "stable" is still a failed deploy ------------------------------
@pytest.mark.parametrize(
    ("events", "reason"),
    [
        (
            ("(service api) rolling back to deployment ecs-svc/3.", "(service api) started"),
            CIRCUIT_BREAKER,
        ),
        ((), f"replaced by another deployment (task definition {TD_OLD})"),
    ],
)
def test_stable_after_rollback_is_a_failure(events: tuple[str, ...], reason: str) -> None:
    stable = step(
        dep(TD_OLD, rollout="COMPLETED", running=2),
        events=(*events, "(service api) has reached a steady state."),
        health=("healthy", "healthy"),
    )
    timeline = [
        step(
            dep(TD_NEW, pending=2),
            dep(TD_OLD, "ACTIVE", "COMPLETED", running=2),
            events=("(service api) has reached a steady state.",),
            health=("healthy", "healthy"),
        ),
        stable,
    ]
    source = FakeSource({"api": timeline})
    outcomes, _, _ = run([api_watch()], source)

    assert outcomes[0].ok is False
    assert outcomes[0].reason == reason


def test_stable_old_revision_never_ok_even_if_ours_never_shows() -> None:
    """Only the old deployment, done, no circuit breaker configured: waits out the
    eventual-consistency grace, then fails; never ok."""
    stable = step(dep(TD_OLD, rollout=None, running=2), health=("healthy", "healthy"))
    source = FakeSource({"api": [stable]})
    outcomes, _, _ = run([api_watch()], source)

    assert outcomes[0].ok is False
    assert outcomes[0].reason == f"replaced by another deployment (task definition {TD_OLD})"
    # ours not shown yet: a transition is due, so the grace is over at most 3 s late
    assert UNSEEN_GRACE <= outcomes[0].elapsed < UNSEEN_GRACE + DUE_CAP


def test_an_old_rollback_event_is_not_this_rollouts_circuit_breaker() -> None:
    """A previous rollout's rollback, still in the events and in the old deployment's
    rolloutStateReason, says nothing about who replaced this one."""
    before = ("(service api) rolling back to deployment ecs-svc/2.",)
    old = dep(TD_OLD, "ACTIVE", "COMPLETED", running=2, reason="ECS deployment circuit breaker")
    timeline = [
        step(dep(TD_NEW), old, events=before),
        step(dep(TD_OTHER), dep(TD_NEW, "ACTIVE"), old, events=before),
    ]
    outcomes, _, _ = run([api_watch()], FakeSource({"api": timeline}))

    assert outcomes[0].reason == f"replaced by another deployment (task definition {TD_OTHER})"


# --- (6) several services in one loop --------------------------------------------------------
def test_two_services_one_ok_one_failed_in_order() -> None:
    ui_timeline = [
        step(dep(UI_NEW, pending=1, desired=1), dep(UI_OLD, "ACTIVE", "COMPLETED", running=1)),
        step(dep(UI_NEW, "PRIMARY", "FAILED", failed=3, desired=1)),
    ]
    source = FakeSource(
        {"api": CLEAN, "ui": ui_timeline},
        {
            "ui": [
                crashed_task("ui0001", td=UI_NEW)
                | {"containers": [{"name": "ui", "exitCode": 137}]}
            ]
        },
        {"ui": ["Killed"]},
    )
    outcomes, seen, clock = run([api_watch(), ui_watch()], source)

    assert [(o.service, o.ok, o.reason) for o in outcomes] == [
        ("api", True, ""),
        ("ui", False, CIRCUIT_BREAKER),
    ]
    assert outcomes[1].stopped_reasons == ["Essential container in task exited (exit code 137)"]
    assert outcomes[1].log_lines == ["Killed"]
    assert (outcomes[0].elapsed, outcomes[1].elapsed) == (3 * FAST, FAST)
    assert clock.now == 3 * FAST  # one loop: both watched at once, not one after the other
    described = [c[1] for c in source.calls if c[0] == "describe_service"]
    assert described == ["api", "ui", "api", "ui", "api", "api"]
    assert {p.service for p in seen} == {"api", "ui"}


def test_service_not_found() -> None:
    source = FakeSource({"api": CLEAN})
    gone = Watch("mlapp-dev", "worker", TD_NEW, None, "/ecsdeploy/mlapp/dev/worker", "worker", 1)
    outcomes, _, _ = run([gone, api_watch()], source)

    assert [(o.service, o.ok, o.reason) for o in outcomes] == [
        ("worker", False, "service not found"),
        ("api", True, ""),
    ]
    assert outcomes[0].elapsed == 0.0


# --- (7) healthy targets, not just ECS's word ------------------------------------------------
def test_unhealthy_targets_keep_it_waiting_after_completed() -> None:
    done = dep(TD_NEW, rollout="COMPLETED", running=2)
    timeline = [
        step(done, health=("initial", "initial")),
        step(done, health=("healthy", "unhealthy")),
        step(done, health=("healthy", "healthy", "draining")),
    ]
    source = FakeSource({"api": timeline})
    outcomes, seen, _ = run([api_watch()], source)

    assert (outcomes[0].ok, outcomes[0].elapsed) == (True, 2 * FAST)
    assert [(p.healthy_targets, p.total_targets) for p in seen] == [(0, 2), (1, 2), (2, 3)]
    assert all(p.state == "COMPLETED" for p in seen)


def test_targets_never_healthy_hits_the_deadline() -> None:
    timeline = [step(dep(TD_NEW, rollout="COMPLETED", running=2), health=("unhealthy",) * 2)]
    outcomes, _, _ = run([api_watch()], FakeSource({"api": timeline}), timeout=30.0)

    assert (outcomes[0].ok, outcomes[0].reason) == (False, "deadline reached after 30s")


def test_no_target_group_needs_no_targets() -> None:
    timeline = [step(dep(TD_NEW, rollout="COMPLETED", running=2))]
    outcomes, _, _ = run([api_watch(tg=None)], FakeSource({"api": timeline}))

    assert (outcomes[0].ok, outcomes[0].elapsed) == (True, 0.0)


# --- no circuit breaker configured: no rolloutState ------------------------------------------
def test_without_rollout_state_done_when_single_deployment_runs_desired() -> None:
    timeline = [
        step(dep(TD_NEW, rollout=None, running=2), dep(TD_OLD, "ACTIVE", None, running=1)),
        step(dep(TD_NEW, rollout=None, running=2), health=("healthy", "healthy")),
    ]
    source = FakeSource({"api": timeline})
    outcomes, seen, _ = run([api_watch()], source)

    assert (outcomes[0].ok, outcomes[0].elapsed) == (True, FAST)
    assert [p.state for p in seen] == ["IN_PROGRESS", "COMPLETED"]


# --- the AWS-backed source: bounded calls, NotFound reads as empty ---------------------------
class StubClient:
    def __init__(self, replies: dict[str, Any]) -> None:
        self.replies = replies
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def pages(self, operation: str, result_key: str, **kwargs: Any) -> Iterator[Any]:
        """``Client.pages`` over the stubbed replies: each page's nextToken asks for the next."""
        from botocore import xform_name

        call = getattr(self, xform_name(operation))
        while True:
            page = call(**kwargs)
            yield from page.get(result_key, [])
            if not page.get("nextToken"):
                return
            kwargs = {**kwargs, "nextToken": page["nextToken"]}

    def __getattr__(self, operation: str) -> Any:
        def call(**kwargs: Any) -> Any:
            self.calls.append((operation, kwargs))
            reply = self.replies[operation]
            if isinstance(reply, Exception):
                raise reply
            return reply(kwargs) if callable(reply) else reply

        return call


class StubAws:
    def __init__(self, **clients: StubClient) -> None:
        self.clients = clients

    def client(self, service: str) -> StubClient:
        return self.clients[service]


def test_aws_source_bounded_calls() -> None:
    ecs = StubClient(
        {
            "describe_services": {"services": [{"serviceName": "api"}], "failures": []},
            "list_tasks": {"taskArns": [f"{ARN}:task/c/{i}" for i in range(150)]},
            "describe_tasks": lambda kw: {"tasks": [{"taskArn": a} for a in kw["tasks"]]},
        }
    )
    logs = StubClient(
        {
            "describe_log_streams": lambda kw: {
                "logStreams": []
                if "orderBy" in kw
                else [
                    {"logStreamName": "ecs/api/a", "lastEventTimestamp": 5},
                    {"logStreamName": "ecs/api/b", "lastEventTimestamp": 9},
                ]
            },
            "get_log_events": {"events": [{"message": "one\n"}, {"message": "two\n"}]},
        }
    )
    elbv2 = StubClient({"describe_target_health": {"TargetHealthDescriptions": [{"x": 1}]}})
    source = AwsRolloutSource(StubAws(ecs=ecs, logs=logs, elbv2=elbv2))  # type: ignore[arg-type]

    assert source.describe_services("c", ["api"]) == {"api": {"serviceName": "api"}}
    assert source.target_health(TG) == [{"x": 1}]
    assert len(source.stopped_tasks("c", "api")) == 100
    assert ecs.calls[1] == (
        "list_tasks",
        {"cluster": "c", "serviceName": "api", "desiredStatus": "STOPPED", "maxResults": 100},
    )
    assert source.log_tail("/g", "ecs/api/", 20) == ["one", "two"]
    # orderBy LastEventTime cannot be combined with a prefix: one query each way
    assert [kw for op, kw in logs.calls if op == "describe_log_streams"] == [
        {"logGroupName": "/g", "orderBy": "LastEventTime", "descending": True, "limit": 50},
        {"logGroupName": "/g", "logStreamNamePrefix": "ecs/api/", "limit": 50},
    ]
    assert logs.calls[-1] == (
        "get_log_events",
        {"logGroupName": "/g", "logStreamName": "ecs/api/b", "limit": 20, "startFromHead": False},
    )


def test_aws_source_reads_every_running_task_in_pages_of_100() -> None:
    arns = [f"{ARN}:task/c/{i}" for i in range(150)]
    pages = {None: {"taskArns": arns[:100], "nextToken": "p2"}, "p2": {"taskArns": arns[100:]}}
    ecs = StubClient(
        {
            "list_tasks": lambda kw: pages[kw.get("nextToken")],
            "describe_tasks": lambda kw: {"tasks": [{"taskArn": a} for a in kw["tasks"]]},
        }
    )
    source = AwsRolloutSource(StubAws(ecs=ecs))  # type: ignore[arg-type]

    assert [t["taskArn"] for t in source.running_tasks("c", "api")] == arns
    query = {"cluster": "c", "serviceName": "api", "desiredStatus": "RUNNING"}
    assert ecs.calls[:2] == [
        ("list_tasks", query),
        ("list_tasks", {**query, "nextToken": "p2"}),
    ]
    assert [len(kw["tasks"]) for op, kw in ecs.calls if op == "describe_tasks"] == [100, 50]


def test_aws_source_missing_things_are_empty() -> None:
    missing = NotFound("gone", code="ClusterNotFoundException")
    ecs = StubClient(
        {"describe_services": missing, "list_tasks": missing, "describe_tasks": missing}
    )
    logs = StubClient({"describe_log_streams": NotFound("no group")})
    elbv2 = StubClient({"describe_target_health": NotFound("no tg")})
    source = AwsRolloutSource(StubAws(ecs=ecs, logs=logs, elbv2=elbv2))  # type: ignore[arg-type]

    assert source.describe_services("c", ["api"]) == {}
    assert source.stopped_tasks("c", "api") == []
    assert source.running_tasks("c", "api") == []
    assert source.target_health(TG) == []
    assert source.log_tail("/g", "ecs/api/", 20) == []
    ecs.replies["describe_services"] = {"services": [], "failures": [{"reason": "MISSING"}]}
    assert source.describe_services("c", ["api"]) == {}


# --- an alarm handed to ECS went to ALARM: ECS rolled back, and says which ------------------
ALARM_REASON = (
    "ECS deployment ecs-svc/123 failed: alarm(s) mlapp-dev-api-p95-latency in ALARM state."
)


def test_alarm_rollback_is_reported_with_ecs_reason() -> None:
    old = dep(TD_OLD, "ACTIVE", "COMPLETED", running=2)
    timeline = [
        step(dep(TD_NEW, pending=2), old),
        step(dep(TD_NEW, rollout="FAILED", running=2, reason=ALARM_REASON), old),
    ]
    outcomes, seen, _ = run([api_watch()], FakeSource({"api": timeline}))

    [outcome] = outcomes
    assert not outcome.ok
    assert outcome.reason.startswith("rolled back on a CloudWatch alarm")
    assert "mlapp-dev-api-p95-latency" in outcome.reason
    assert "circuit breaker" not in outcome.reason
    assert seen[-1].state == "FAILED"


def test_alarm_rollback_seen_only_afterwards() -> None:
    timeline = [
        step(dep(TD_NEW, pending=2), dep(TD_OLD, "ACTIVE", "COMPLETED", running=2)),
        step(
            dep(TD_OLD, running=2),
            dep(TD_NEW, "ACTIVE", "FAILED", running=2, reason=ALARM_REASON),
        ),
    ]
    outcomes, _, _ = run([api_watch()], FakeSource({"api": timeline}))

    assert not outcomes[0].ok
    assert outcomes[0].reason == f"rolled back on a CloudWatch alarm: {ALARM_REASON}"
