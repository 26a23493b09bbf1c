"""A job's EventBridge Scheduler schedule: runs one task of the job's task definition on
Fargate, in the private subnets with the job's security group, as the job's scheduler role.

The schedule lives in the app's schedule group (``resources.scheduler_group``), whose tags
decide ownership: Scheduler tags groups, not schedules. Observed by ListSchedules in that
group and a GetSchedule per schedule (concurrently; ListSchedules omits the target). An
update is UpdateSchedule, which replaces every field.

AWS: "Using templated targets in EventBridge Scheduler" / ECS RunTask
(https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-targets-templated.html):
the target ARN is the cluster's, ``EcsParameters`` carries the task definition, launch
type and network; the role needs ``ecs:RunTask`` and ``iam:PassRole`` on the task's roles.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from ecsdeploy.aws.errors import NotFound
from ecsdeploy.resources import keys
from ecsdeploy.resources.base import Desired, Handler, Observed, Props, Ref, ids
from ecsdeploy.resources.describe import Line, Names, value
from ecsdeploy.resources.reads import both, read_each
from ecsdeploy.resources.scheduler_group import schedule_group

# Scheduler retries a failed invocation (RunTask refused, e.g. no Fargate capacity); a
# task that starts and then fails is not retried
RETRY = {"MaximumEventAgeInSeconds": 3600, "MaximumRetryAttempts": 3}


def task_group(job: str) -> str:
    """The ECS task group of a job's tasks (scheduled or `run --job`): what the failure
    rule and `status` find them by."""
    return f"job:{job}"


@dataclass(frozen=True, kw_only=True)
class ScheduleProps(Props):
    group: str  # the schedule group's name
    expression: str  # cron(...) or rate(...)
    timezone: str
    cluster: str | Ref  # the cluster ARN: the target
    task_definition: str | Ref  # the revision ARN
    role: str | Ref  # the role Scheduler assumes
    subnets: frozenset[str | Ref]
    security_groups: frozenset[str | Ref]
    task_group: str


class ScheduleHandler(Handler[ScheduleProps]):
    kind: ClassVar[str] = "scheduler.schedule"
    props_class: ClassVar[type[Props]] = ScheduleProps
    label: ClassVar[str] = "job schedule"
    delete_note: ClassVar[str] = "the job stops running on its schedule"
    layer: ClassVar[str] = "jobs"
    rank: ClassVar[int] = 9
    services: ClassVar[tuple[str, ...]] = ("scheduler",)
    replace_on: ClassVar[frozenset[str]] = frozenset({"group"})

    @classmethod
    def describe(cls, props: ScheduleProps, names: Names) -> list[Line]:
        return [
            ("runs", f"{props.expression} ({props.timezone})"),
            ("task", value(props.task_definition, names)),
            ("as", value(props.role, names)),
        ]

    def observe(self, wants: Sequence[Desired]) -> list[Observed]:
        scheduler = self.client("scheduler")
        name = self.ctx.owner.prefix

        def schedules_listed() -> list[str]:
            try:
                found = scheduler.pages("ListSchedules", "Schedules", GroupName=name)
                return [s["Name"] for s in found]
            except NotFound:  # no such group: AWS answers ResourceNotFoundException
                return []  # (EventBridge Scheduler API Reference, ListSchedules: Errors)

        # the group's name is the app's: its schedules are listed while the group and its
        # tags are read (two round trips fewer), and kept only if the group is this app's
        group, names = both(
            lambda: schedule_group(scheduler, self.ctx.owner, self.ctx.reads), schedules_listed
        )
        if group is None or group[0] is None:  # no group, or not this app's
            return []
        schedules = read_each(self._get, names)
        return [self._observed(s) for s in schedules if s is not None]

    def _get(self, name: str) -> dict[str, Any] | None:
        try:
            found: dict[str, Any] = self.client("scheduler").get_schedule(
                Name=name, GroupName=self.ctx.owner.prefix
            )
        except NotFound:
            return None
        return found

    def _observed(self, schedule: dict[str, Any]) -> Observed:
        target = schedule.get("Target", {})
        ecs = target.get("EcsParameters", {})
        net = ecs.get("NetworkConfiguration", {}).get("awsvpcConfiguration", {})
        name = str(schedule["Name"])
        return Observed(
            self.kind,
            keys.schedule(name),
            name,
            name,
            {
                "group": schedule.get("GroupName"),
                "expression": schedule.get("ScheduleExpression"),
                "timezone": schedule.get("ScheduleExpressionTimezone") or "UTC",
                "cluster": target.get("Arn"),
                "task_definition": ecs.get("TaskDefinitionArn"),
                "role": target.get("RoleArn"),
                "subnets": frozenset(net.get("Subnets", [])),
                "security_groups": frozenset(net.get("SecurityGroups", [])),
                "task_group": ecs.get("Group"),
            },
            attrs={"arn": schedule.get("Arn"), "created": schedule.get("CreationDate")},
            tags={},
            state=str(schedule.get("State", "")),
        )

    def _request(self, want: Desired, props: ScheduleProps) -> dict[str, Any]:
        return {
            "Name": want.name,
            "GroupName": props.group,
            "ScheduleExpression": props.expression,
            "ScheduleExpressionTimezone": props.timezone,
            "Description": f"ecsdeploy {self.ctx.owner.prefix} {want.key}",
            "State": "ENABLED",
            "FlexibleTimeWindow": {"Mode": "OFF"},
            "Target": {
                "Arn": str(props.cluster),
                "RoleArn": str(props.role),
                "RetryPolicy": dict(RETRY),
                "EcsParameters": {
                    "TaskDefinitionArn": str(props.task_definition),
                    "TaskCount": 1,
                    "LaunchType": "FARGATE",
                    "PlatformVersion": "LATEST",
                    "Group": props.task_group,
                    "NetworkConfiguration": {
                        "awsvpcConfiguration": {
                            "Subnets": ids(props.subnets),
                            "SecurityGroups": ids(props.security_groups),
                            "AssignPublicIp": "DISABLED",
                        }
                    },
                },
            },
        }

    def create(self, want: Desired, props: ScheduleProps) -> Observed:
        scheduler = self.client("scheduler")
        scheduler.create_schedule(**self._request(want, props))
        return self._after(want, props)

    def update(
        self, want: Desired, props: ScheduleProps, have: Observed, changes: list[Any]
    ) -> Observed:
        self.client("scheduler").update_schedule(**self._request(want, props))
        return self._after(want, props)

    def _after(self, want: Desired, props: ScheduleProps) -> Observed:
        found = self._get(want.name)
        if found is None:  # not readable yet: what was asked for
            mapping = props.as_mapping()
            return Observed(self.kind, want.key, want.name, want.name, mapping)
        return self._observed(found)

    def delete(self, have: Observed) -> None:
        try:
            self.client("scheduler").delete_schedule(
                Name=have.id, GroupName=have.props.get("group") or self.ctx.owner.prefix
            )
        except NotFound:  # deleted with its group
            pass
