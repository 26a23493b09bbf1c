"""Eventual consistency on create: ECS does not see new IAM roles, or a target group's new
listener rule, for a while. `up` retries AWS's errors for that, within
``Timing.iam_propagation``, and fails clearly beyond it; any other error fails at once."""

from __future__ import annotations

import re
from typing import Any

import pytest

from ecsdeploy.reconcile.executor import Event
from ecsdeploy.resources.waiting import WaitTimeout

from conftest import Harness, owned_anything, spec_text
from faults import Fault, first_n, inject

ROLE = "arn:aws:iam::123456789012:role/ecsdeploy/mlapp/dev/mlapp-dev-execution"
TG = "arn:aws:elasticloadbalancing:us-west-2:123456789012:targetgroup/mlapp-dev-api/0a1b2c3d"
# AWS's own wordings: (operation, code, message)
TASK_ROLE_NOT_ASSUMABLE = (
    "RegisterTaskDefinition",
    "ClientException",
    f"ECS was unable to assume the role '{ROLE}' that was provided for this task. Please "
    "verify that the role being passed has the proper trust relationship and permissions "
    "and that your IAM user has permissions to pass this role.",
)
SERVICE_ROLE_NOT_ASSUMABLE = (
    "CreateService",
    "InvalidParameterException",
    "Unable to assume role and validate the specified targetGroupArn. Please verify that the "
    "ECS service role being passed has the proper permissions.",
)
TARGET_GROUP_NOT_ATTACHED = (
    "CreateService",
    "InvalidParameterException",
    f"The target group with targetGroupArn {TG} does not have an associated load balancer.",
)


def _up_with(
    harness: Harness, faults: list[Fault], parallelism: int = 8
) -> tuple[Any, list[Event]]:
    dep: Any = harness.deployment(spec_text())
    for fault in faults:
        inject(dep.aws, "ecs", fault)
    events: list[Event] = []
    return dep.apply(dep.plan_up(), listener=events.append, parallelism=parallelism), events


def test_up_waits_for_new_roles_and_rules_to_propagate(harness: Harness) -> None:
    faults = [
        Fault(*TASK_ROLE_NOT_ASSUMABLE, first_n(3)),
        Fault(*SERVICE_ROLE_NOT_ASSUMABLE, first_n(2)),
        # asked only once the role fault lets a call through (the first answer wins)
        Fault(*TARGET_GROUP_NOT_ATTACHED, first_n(2)),
    ]

    result, events = _up_with(harness, faults)

    assert result.ok, [(s.key, str(e)) for s, e in result.failed]
    assert [f.fired for f in faults] == [3, 2, 2]
    retried = {e.step.key for e in events if "retrying" in e.message}
    assert {"service/api", "service/ui"} & retried and {"taskdef/api", "taskdef/ui"} & retried
    clock = harness.timing.clock  # type: ignore[attr-defined]
    assert 0 < clock() < harness.timing.iam_propagation  # type: ignore[attr-defined]
    assert harness.deployment(spec_text()).plan_up().empty  # type: ignore[attr-defined]
    harness.down(spec_text())
    assert owned_anything() == []


@pytest.mark.parametrize(
    "fault",
    [TASK_ROLE_NOT_ASSUMABLE, SERVICE_ROLE_NOT_ASSUMABLE, TARGET_GROUP_NOT_ATTACHED],
    ids=["task-role", "service-role", "target-group"],
)
def test_propagation_that_never_happens_fails_clearly_at_the_bound(
    harness: Harness, fault: tuple[str, str, str]
) -> None:
    operation, code, message = fault
    # one step at a time: the fake clock then counts this step's waiting only
    result, _ = _up_with(harness, [Fault(operation, code, message, lambda: True)], 1)

    assert not result.ok
    kind = "ecs.task_definition" if operation == "RegisterTaskDefinition" else "ecs.service"
    assert {step.kind for step, _ in result.failed} == {kind}
    bound = harness.timing.iam_propagation  # type: ignore[attr-defined]
    poll = harness.timing.poll  # type: ignore[attr-defined]
    for _, error in result.failed:
        assert isinstance(error, WaitTimeout)
        # what it waited for, how long (up to one poll more), and AWS's own words
        found = re.match(r"gave up after (\d+)s waiting for (.+); last error: (.+)", str(error))
        assert found is not None, str(error)
        assert bound <= int(found[1]) <= bound + poll
        assert "ECS" in found[2] and message in found[3]
    # what did not depend on the failed step was done; a re-run picks up the rest
    harness.up(spec_text())
    assert harness.deployment(spec_text()).plan_up().empty  # type: ignore[attr-defined]


def test_other_invalid_parameters_fail_at_once(harness: Harness) -> None:
    fault = Fault(
        "CreateService",
        "InvalidParameterException",
        "No Fargate configuration exists for given values: 512 CPU, 300 memory.",
        lambda: True,
    )
    result, _ = _up_with(harness, [fault])

    assert not result.ok
    assert {s.key for s, _ in result.failed} <= {"service/api", "service/ui"}
    assert fault.fired == len(result.failed)  # one try each, no retry
    assert all("No Fargate configuration" in str(e) for _, e in result.failed)
    assert harness.timing.clock() == 0  # type: ignore[attr-defined]
