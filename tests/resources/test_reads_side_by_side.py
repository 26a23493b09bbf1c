"""Reads that do not depend on each other go out together: a read that has to wait for
the other one's start is held at botocore's ``before-call`` until it has started (or
until a short deadline, and then the test fails), so code that made them one after the
other fails here, while on a network it would pay a round trip more."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from ecsdeploy.aws.recorder import CallRecorder
from ecsdeploy.ops.stages import Stages
from ecsdeploy.ops.status import status
from ecsdeploy.ops.target import Target
from ecsdeploy.reconcile.job_runs import runs_of
from ecsdeploy.resources import keys
from ecsdeploy.resources.base import Timing
from ecsdeploy.spec.naming import Owner, dict_to_tags

from conftest import Harness, spec_text
from faults import Fault, inject

REGION = "us-west-2"
OWNER = Owner("sides", "test")
WAIT = 5.0  # seconds a held read waits for the other to start


class Overlap:
    """Holds ``held`` (an operation, or an operation with a parameter's value) until
    ``awaited`` has started; ``overlapped`` says whether it had, every time."""

    def __init__(self, held: tuple[str, ...], awaited: tuple[str, ...]) -> None:
        self.held, self.awaited = held, awaited
        self.started = threading.Event()
        self.overlapped: list[bool] = []

    def _matches(self, wanted: tuple[str, ...], model: Any, params: dict[str, Any]) -> bool:
        operation, *values = wanted
        body = str(params.get("body", ""))  # before-call sees the serialised request
        return model.name == operation and all(v in body for v in values)

    def before_call(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        if self._matches(self.awaited, model, params):
            self.started.set()
        elif self._matches(self.held, model, params):
            self.overlapped.append(self.started.wait(WAIT))

    def install(self, stages: Stages, service: str) -> Any:
        client = stages.aws.client(service)
        client.raw.meta.events.register("before-call.*.*", self.before_call)
        return client


@pytest.fixture
def stages(aws: None, fast_timing: Timing) -> Iterator[Stages]:
    yield Stages.connect(Target(OWNER, REGION), CallRecorder(), fast_timing)


def test_the_vpcs_two_attributes_are_read_at_once(stages: Stages) -> None:
    boto3.client("ec2", region_name=REGION).create_vpc(
        CidrBlock="10.9.0.0/16",
        TagSpecifications=[{"ResourceType": "vpc", "Tags": dict_to_tags(OWNER.tags(keys.VPC))}],
    )
    overlap = Overlap(("DescribeVpcAttribute", "enableDnsSupport"),
                      ("DescribeVpcAttribute", "enableDnsHostnames"))  # fmt: skip
    overlap.install(stages, "ec2")
    found = stages.handlers["ec2.vpc"].observe([])
    assert [o.props["dns_support"] for o in found] == [True]
    assert overlap.overlapped == [True]


def test_a_schedule_groups_schedules_are_listed_while_the_group_is_read(
    stages: Stages,
) -> None:
    scheduler = boto3.client("scheduler", region_name=REGION)
    tags = {k: v for k, v in OWNER.tags(keys.SCHEDULE_GROUP).items() if k != "Name"}
    scheduler.create_schedule_group(Name=OWNER.prefix, Tags=dict_to_tags(tags))
    overlap = Overlap(("ListTagsForResource",), ("ListSchedules",))
    overlap.install(stages, "scheduler")
    assert stages.handlers["scheduler.schedule"].observe([]) == []  # the group has none
    assert overlap.overlapped == [True]


def test_an_app_without_a_group_has_no_schedules_whatever_aws_answers(stages: Stages) -> None:
    """Listed before the group is known to exist, the schedules of a group that does not
    exist: AWS answers ResourceNotFoundException (EventBridge Scheduler API Reference,
    ListSchedules, Errors), which moto may not; the observe finds no schedule."""
    missing = Fault("ListSchedules", "ResourceNotFoundException", "no such group", lambda: True)
    inject(stages.aws, "scheduler", missing)
    assert stages.handlers["scheduler.schedule"].observe([]) == []
    assert missing.fired == 1


def test_a_group_of_another_app_keeps_its_schedules_to_itself(stages: Stages) -> None:
    """Listed beside the group's read, the schedules of a group under the app's name that
    is not the app's (no owner tags) are not the app's either."""
    scheduler = boto3.client("scheduler", region_name=REGION)
    scheduler.create_schedule_group(Name=OWNER.prefix)
    role = "arn:aws:iam::123456789012:role/someone"
    scheduler.create_schedule(
        Name="theirs",
        GroupName=OWNER.prefix,
        ScheduleExpression="rate(1 day)",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={"Arn": "arn:aws:ecs:us-west-2:123456789012:cluster/x", "RoleArn": role},
    )
    assert stages.handlers["scheduler.schedule"].observe([]) == []


def test_a_jobs_running_and_stopped_tasks_are_listed_at_once(stages: Stages) -> None:
    overlap = Overlap(("ListTasks", "RUNNING"), ("ListTasks", "STOPPED"))
    ecs = overlap.install(stages, "ecs")
    boto3.client("ecs", region_name=REGION).create_cluster(clusterName=OWNER.prefix)
    assert runs_of(ecs, OWNER, "train", "job:train") == []
    assert overlap.overlapped == [True]


def test_status_reads_each_services_target_health_at_once(harness: Harness) -> None:
    """After its observe, `status` reads the target health of both services of the spec
    (and the deployments and job runs) side by side: the first DescribeTargetHealth is
    held until the second has started."""
    harness.up(spec_text())
    stages: Any = harness.deployment(spec_text())
    started: list[str] = []
    second = threading.Event()
    overlapped: list[bool] = []

    def hold_first(call: Any) -> None:
        if str(call) != "elasticloadbalancing:DescribeTargetHealth":
            return
        started.append(str(call))
        if len(started) == 1:
            overlapped.append(second.wait(WAIT))
        else:
            second.set()

    harness.recorder.listeners.append(hold_first)
    found = status(stages)
    assert sorted(s.name for s in found.services) == ["api", "ui"]
    assert overlapped == [True]
