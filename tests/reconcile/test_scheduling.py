"""When more steps are ready than the pool runs, the executor starts those in front of
the longest chains first: the NAT gateway and the load balancer (minutes on AWS) before
alarms and log groups, which nothing slow waits for."""

from __future__ import annotations

from typing import Any

from ecsdeploy.reconcile.executor import Event, State, build_graph, priorities
from ecsdeploy.resources import registry

from conftest import Harness, spec_text


def test_the_chains_in_front_of_slow_resources_come_first(harness: Harness) -> None:
    dep: Any = harness.deployment(spec_text())
    plan = dep.plan_up()
    graph = build_graph(plan, registry.ordering())
    urgency = priorities(graph, {k: h.slow for k, h in dep.handlers.items()})
    alarms = [n for n in graph if n.startswith("apply:alarm/")]
    assert alarms and max(urgency[n] for n in alarms) < 1  # nothing waits on an alarm
    assert urgency["ready:lb"] >= 150  # the wait itself
    assert urgency["apply:lb"] > urgency["ready:lb"]  # and everything after it
    nat = next(n for n in graph if n.startswith("apply:nat"))
    assert urgency[nat] >= 90
    # the VPC is in front of both
    assert urgency["apply:vpc"] > max(urgency["apply:lb"], urgency[nat])


def test_with_one_worker_the_slow_resources_start_before_alarms_and_log_groups(
    harness: Harness,
) -> None:
    dep: Any = harness.deployment(spec_text())
    plan = dep.plan_up()
    started: list[str] = []

    def listener(event: Event) -> None:
        if event.state is State.CREATING and not event.message:
            started.append(event.step.kind)

    assert dep.apply(plan, listener, parallelism=1).ok
    # alarms and log groups are ready from the start; first in, first out would make them
    # first: by urgency they wait until the NAT gateway and load balancer are under way
    slow = max(started.index("ec2.nat_gateway"), started.index("elbv2.load_balancer"))
    fillers = [
        i for i, kind in enumerate(started) if kind in ("cloudwatch.alarm", "logs.log_group")
    ]
    assert fillers and min(fillers) > slow
