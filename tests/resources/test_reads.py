"""Reads made concurrently (``read_each``) and once per observe (``SharedReads``)."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import replace
from typing import Any

import pytest

from ecsdeploy.resources.reads import SharedReads, read_each, shared

from conftest import Harness, spec_text


def test_read_each_runs_the_reads_together_and_keeps_their_order() -> None:
    items = list(range(5))
    # every read waits for all the others: only concurrent reads get through the barrier
    barrier = threading.Barrier(len(items), timeout=5)

    def read(item: int) -> int:
        barrier.wait()
        return item * 10

    assert read_each(read, items) == [0, 10, 20, 30, 40]


def test_read_each_raises_the_error_of_a_failed_read() -> None:
    def read(item: int) -> int:
        if item == 2:
            raise ValueError("gone")
        return item

    with pytest.raises(ValueError, match="gone"):
        read_each(read, [1, 2, 3])


def test_a_shared_read_is_made_once_for_every_kind_that_asks_at_the_same_time() -> None:
    reads = SharedReads()
    calls: list[int] = []
    started = threading.Event()
    release = threading.Event()

    def read() -> str:
        calls.append(1)
        started.set()
        release.wait(5)
        return "answer"

    answers: list[str] = []
    threads = [
        threading.Thread(target=lambda: answers.append(reads.get("k", read))) for _ in range(4)
    ]
    for t in threads:
        t.start()
    started.wait(5)
    release.set()
    for t in threads:
        t.join(5)
    assert answers == ["answer"] * 4
    assert len(calls) == 1


def test_a_failed_shared_read_fails_every_asker_and_no_observe_means_no_sharing() -> None:
    reads = SharedReads()

    def broken() -> str:
        raise RuntimeError("throttled")

    for _ in range(2):
        with pytest.raises(RuntimeError, match="throttled"):
            reads.get("k", broken)
    counter = iter(range(10))
    assert shared(None, "k", lambda: next(counter)) == 0
    assert shared(None, "k", lambda: next(counter)) == 1  # outside an observe: always fresh


def test_an_observe_lists_load_balancers_listeners_and_services_once(harness: Harness) -> None:
    text = spec_text()
    harness.up(text)
    harness.recorder.clear()
    dep: Any = harness.deployment(text)
    assert dep.plan_up().empty
    made = Counter(c.operation for c in harness.recorder.calls)
    # four ELBv2 kinds and two ECS service kinds read these: each is made once
    assert made["DescribeLoadBalancers"] == 1
    assert made["DescribeListeners"] == 1
    assert made["ListServices"] == 1
    assert made["DescribeServices"] == 1
    assert made["ListTopics"] == 1  # the alarm topic and its subscriptions
    assert dep.ctx.reads is None  # nothing is shared beyond the observe


def _tag_reads(harness: Harness) -> Counter[str]:
    return Counter(
        c.service for c in harness.recorder.calls if c.operation == "ListTagsForResource"
    )


def test_tags_of_alarms_and_log_groups_are_read_only_where_the_record_does_not_vouch(
    harness: Harness,
) -> None:
    import boto3

    text = spec_text()  # two services: alarms and log groups on by default
    harness.up(text)
    alarms = boto3.client("cloudwatch", region_name="us-west-2").describe_alarms()["MetricAlarms"]
    groups = boto3.client("logs", region_name="us-west-2").describe_log_groups()["logGroups"]
    assert len(alarms) > 5 and len(groups) == 2

    # the applied record names every one of them: their tags need no read
    harness.recorder.clear()
    harness.assert_up_changes_nothing(text)
    assert _tag_reads(harness)["monitoring"] == 0  # CloudWatch's signing name
    assert _tag_reads(harness)["logs"] == 0

    # without the record, ownership comes from the tags again: one read each, same plan
    ssm = boto3.client("ssm", region_name="us-west-2")
    ssm.delete_parameter(Name="/ecsdeploy/mlapp/dev/applied")
    dep: Any = harness.deployment(text)
    harness.recorder.clear()
    assert dep.plan_up().empty
    assert _tag_reads(harness)["monitoring"] == len(alarms)
    assert _tag_reads(harness)["logs"] == len(groups)


def test_an_alarm_the_record_does_not_name_is_still_checked_for_its_owner(
    harness: Harness,
) -> None:
    import boto3

    from ecsdeploy.plan.planner import OwnershipConflict

    # deployed without alarms: the record names none; then someone makes one by hand under
    # the name the app's next spec wants
    harness.up(spec_text() + "alarms: false\n")
    cloudwatch = boto3.client("cloudwatch", region_name="us-west-2")
    cloudwatch.put_metric_alarm(
        AlarmName="mlapp-dev-api-cpu-high",
        MetricName="CPUUtilization",
        Namespace="AWS/ECS",
        Statistic="Average",
        Period=60,
        EvaluationPeriods=1,
        Threshold=90.0,
        ComparisonOperator="GreaterThanThreshold",
    )
    dep: Any = harness.deployment(spec_text())
    with pytest.raises(OwnershipConflict, match="mlapp-dev-api-cpu-high"):
        dep.plan_up()
    assert _tag_reads(harness)["monitoring"] == 1


def test_ecr_repositories_are_read_concurrently_and_vouched_ones_without_their_tags(
    harness: Harness,
) -> None:
    from ecsdeploy.resources.base import Desired
    from ecsdeploy.resources.ecr_repository import RepositoryProps

    dep: Any = harness.deployment(spec_text())
    handler = dep.handlers["ecr.repository"]
    wants = [
        Desired(
            "ecr.repository",
            f"repo/{name}",
            f"mlapp/dev/{name}",
            RepositoryProps(name=f"mlapp/dev/{name}", scan_on_push=True, keep=10),
        )
        for name in ("api", "ui")
    ]
    for want in wants:
        handler.create(want, want.props)

    def observe(recorded: frozenset[str]) -> tuple[list[Any], Counter[str]]:
        harness.recorder.clear()
        observing = handler.using(replace(dep.ctx, recorded=recorded))
        found = sorted(observing.observe(wants), key=lambda o: o.key)
        return found, Counter(c.operation for c in harness.recorder.calls)

    # the two repositories' reads are in flight together: one at a time breaks the barrier
    together = threading.Barrier(2, timeout=5)
    events = dep.aws.client("ecr").raw.meta.events

    def meet(**_: Any) -> None:  # a hook that returns something answers the call itself
        together.wait()

    events.register("before-call.ecr.GetLifecyclePolicy", meet)
    read, calls = observe(frozenset())
    assert calls["ListTagsForResource"] == 2 and calls["GetLifecyclePolicy"] == 2
    vouched, calls = observe(frozenset({"repo/api", "repo/ui"}))
    assert calls["ListTagsForResource"] == 0 and calls["GetLifecyclePolicy"] == 2
    # the same resources either way: owned, same keys, props and tags
    assert [(o.key, o.owned, o.props, o.tags) for o in vouched] == [
        (o.key, o.owned, o.props, o.tags) for o in read
    ]
    assert [o.props["keep"] for o in read] == [10, 10]
