"""The rollout watch's calls per minute, counted with botocore event hooks on real clients
(``after-call``) while a scripted ECS and load balancer answer (``before-call``, requests
and responses checked against botocore's models): often while a rollout moves, rarely
while nothing can change, and never more than 36 DescribeServices a minute per service
(a fixed 5 s interval made 12; the bound is three times that, docs/performance.md)."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import pytest

from ecsdeploy.aws.clients import Aws
from ecsdeploy.reconcile.polling import Cadence
from ecsdeploy.reconcile.rollout import Watch, watch
from ecsdeploy.resources.base import Timing
from ecsdeploy.resources.rollout_reads import AwsRolloutSource

from conftest import FakeClock
from express_fake import ModelChecked

TD = "arn:aws:ecs:us-west-2:123456789012:task-definition/mlapp-dev-api:4"
TG = "arn:aws:elasticloadbalancing:us-west-2:123456789012:targetgroup/mlapp-dev-api/abc"
BUDGET = 36  # DescribeServices per service in any minute
FIXED = 12  # what a fixed 5 s interval made


class ScriptedRollout(ModelChecked):
    """DescribeServices and DescribeTargetHealth answered from ``state(now, n)``, ``n`` the
    DescribeServices calls so far."""

    params_key: ClassVar[str] = "scripted_rollout_params"

    def __init__(self, clock: FakeClock, state: Callable[[float, int], tuple[dict[str, Any], str]]):
        self.clock = clock
        self.state = state
        self.calls: Counter[str] = Counter()
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.rejected: list[str] = []
        self.n = 0

    def install(self, raw: Any, operation: str) -> None:
        service = raw.meta.service_model.service_id.hyphenize()
        raw.meta.events.register(
            f"before-parameter-build.{service}.{operation}", self._check_request
        )
        raw.meta.events.register(f"before-call.{service}.{operation}", self._answer)

    def handlers(self) -> Mapping[str, Callable[[dict[str, Any]], dict[str, Any]]]:
        return {
            "DescribeServices": self._services,
            "DescribeTargetHealth": self._targets,
            "ListTasks": lambda p: {"taskArns": []},  # no task stopped
            "DescribeLogStreams": lambda p: {"logStreams": []},
        }

    def _services(self, p: dict[str, Any]) -> dict[str, Any]:
        self.n += 1
        deployment, _ = self.state(self.clock.now, self.n)
        service = {
            "serviceName": p["services"][0],
            "status": "ACTIVE",
            "desiredCount": 2,
            "runningCount": deployment["runningCount"],
            "taskDefinition": TD,
            "deployments": [deployment],
            "events": [],
        }
        return {"services": [service], "failures": []}

    def _targets(self, p: dict[str, Any]) -> dict[str, Any]:
        _, health = self.state(self.clock.now, self.n)
        return {
            "TargetHealthDescriptions": [
                {"Target": {"Id": f"10.0.1.{i}", "Port": 8000}, "TargetHealth": {"State": health}}
                for i in range(2)
            ]
        }


def _deployment(state: str, running: int, pending: int) -> dict[str, Any]:
    return {
        "id": "ecs-svc/4",
        "status": "PRIMARY",
        "taskDefinition": TD,
        "desiredCount": 2,
        "runningCount": running,
        "pendingCount": pending,
        "failedTasks": 0,
        "rolloutState": state,
    }


def _watch_counting(
    state: Callable[[float, int], tuple[dict[str, Any], str]],
    timeout: float,
    round_trip: float = 0.0,
) -> tuple[list[float], FakeClock]:
    """Watch one service through real botocore clients; the fake clock's time of every
    DescribeServices call, from an ``after-call`` hook. Each call takes ``round_trip``
    seconds of the fake clock."""
    clock = FakeClock()
    aws = Aws("us-west-2")
    fake = ScriptedRollout(clock, state)
    times: list[float] = []
    ecs, elbv2 = aws.client("ecs").raw, aws.client("elbv2").raw
    fake.install(ecs, "DescribeServices")
    fake.install(ecs, "ListTasks")
    fake.install(elbv2, "DescribeTargetHealth")
    fake.install(aws.client("logs").raw, "DescribeLogStreams")
    for raw in (ecs, elbv2, aws.client("logs").raw):  # nothing else may reach the network
        raw.meta.events.register("before-send", _no_network)
    ecs.meta.events.register("after-call.ecs.DescribeServices", lambda **_: times.append(clock.now))
    if round_trip:
        for raw in (ecs, elbv2):
            raw.meta.events.register("before-call.*.*", lambda **_: clock.sleep(round_trip))
    target = Watch("mlapp-dev", "api", TD, TG, "/ecsdeploy/mlapp/dev/api", "api", 2)
    timing = Timing(poll=5.0, sleep=clock.sleep, clock=clock)
    watch([target], AwsRolloutSource(aws), timeout, timing)
    assert fake.rejected == []
    return times, clock


def _starting_until(done: float) -> Callable[[float, int], tuple[dict[str, Any], str]]:
    """Tasks PENDING and targets ``initial`` until ``done``; then the rollout is COMPLETED
    with healthy targets."""

    def starting(now: float, n: int) -> tuple[dict[str, Any], str]:
        if now >= done:
            return _deployment("COMPLETED", 2, 0), "healthy"
        return _deployment("IN_PROGRESS", 0, 2), "initial"

    return starting


def _no_network(request: Any, **_: Any) -> None:
    raise AssertionError(f"unscripted call: {request.url}")


def _most_in_a_minute(times: list[float]) -> int:
    return max(sum(1 for t in times if start <= t < start + 60.0) for start in times)


@pytest.fixture(autouse=True)
def _credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")


def test_a_rollout_that_moves_at_every_poll_stays_within_the_budget() -> None:
    """The worst case: something changes at every poll for 150 s (tasks start and
    stop, targets initial): the watch polls at its fastest until the budget holds it."""

    def moving(now: float, n: int) -> tuple[dict[str, Any], str]:
        if now >= 150:
            return _deployment("COMPLETED", 2, 0), "healthy"
        return _deployment("IN_PROGRESS", n % 2, 1 + n % 2), "initial"

    times, _ = _watch_counting(moving, timeout=300.0)

    assert _most_in_a_minute(times) == BUDGET  # held to the budget, and it is reached
    assert BUDGET == 3 * FIXED
    assert Cadence.scaled(5.0).budget == BUDGET
    # in the first seconds, one poll a second: a change is seen 1 s after it happens
    assert times[:5] == [0.0, 1.0, 2.0, 3.0, 4.0]


def test_nothing_can_change_backs_off_to_one_poll_in_15_s() -> None:
    """Every task runs and the targets are unhealthy: the polls spread out to 15 s."""

    def stuck(now: float, n: int) -> tuple[dict[str, Any], str]:
        return _deployment("COMPLETED", 2, 0), "unhealthy"

    times, clock = _watch_counting(stuck, timeout=300.0)

    gaps = [round(b - a, 3) for a, b in itertools.pairwise(times)]
    # 1 s after the first poll, then 1.5 times longer each time, up to 15 s
    assert gaps[:8] == [1.0, 1.5, 2.25, 3.375, 5.062, 7.594, 11.391, 15.0]
    assert set(gaps[8:-1]) == {15.0}
    assert sum(1 for t in times if t >= clock.now - 60) <= 5  # the last minute: 4 or 5
    assert clock.now == 300.0


def test_a_transition_due_polls_at_least_every_3_s() -> None:
    """Tasks PENDING that take their time to start: nothing changes, but something is
    about to: the polls never spread beyond 3 s, so the start is seen within 3 s."""

    times, clock = _watch_counting(_starting_until(40.0), timeout=300.0)

    gaps = [b - a for a, b in itertools.pairwise(times)]
    # 1 s apart for the first poll and five unchanged ones, then 1.5 times longer, up to 3 s
    assert gaps[:9] == [1.0] * 6 + [1.5, 2.25, 3.0]
    assert max(gaps) == 3.0
    assert 40.0 <= clock.now <= 43.0


def test_polls_start_one_interval_apart_whatever_their_calls_take() -> None:
    """Each call takes 0.1 s (a round trip): the polls still start 1 s apart, the
    interval measured from one poll's start to the next, not from its end (which made
    them 1.2 s apart: a change seen up to 0.2 s later)."""

    times, _ = _watch_counting(_starting_until(40.0), timeout=300.0, round_trip=0.1)

    gaps = [round(b - a, 6) for a, b in itertools.pairwise(times)]
    assert times[0] == pytest.approx(0.1)  # the first DescribeServices' answer
    assert gaps[:9] == [1.0] * 6 + [1.5, 2.25, 3.0]
    assert max(gaps) == 3.0


def test_a_poll_longer_than_the_interval_is_still_followed_by_a_rest() -> None:
    """Each call takes 0.7 s (a poll: 1.4 s, more than the 1 s interval): the next poll
    does not start at once but after half an interval's rest (0.5 s), so the calls never
    run back to back."""

    times, _ = _watch_counting(_starting_until(20.0), timeout=300.0, round_trip=0.7)

    gaps = [round(b - a, 6) for a, b in itertools.pairwise(times)]
    assert gaps[:6] == [1.9] * 6  # 1.4 s of calls, then 0.5 s of rest
