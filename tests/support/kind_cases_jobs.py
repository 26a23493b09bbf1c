"""Lifecycle cases for the scheduled jobs' kinds: the schedule group, a schedule, the
failure rule and the alarm topic's policy.

``CASES`` holds one dict per kind with the fields of ``test_resource_kinds.Case``. The
parents an observe finds them through (the schedule group of a schedule, the topic of its
policy) carry the test owner's tags, as ecsdeploy would have made them.
"""

from __future__ import annotations

from typing import Any

import boto3

from ecsdeploy.resources import keys
from ecsdeploy.resources.events_rule import failure_pattern
from ecsdeploy.resources.sns_topic_policy import topic_policy
from ecsdeploy.spec.naming import Owner, dict_to_tags

REGION = "us-west-2"
OWNER = Owner("kinds", "test")
ACCOUNT = "123456789012"
CLUSTER = f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/kinds-test"
Refs = dict[str, str]


def _group() -> Refs:
    """The owner's schedule group, a role and two task-definition revisions."""
    scheduler = boto3.client("scheduler", region_name=REGION)
    tags = {k: v for k, v in OWNER.tags(keys.SCHEDULE_GROUP).items() if k != "Name"}
    scheduler.create_schedule_group(Name=OWNER.prefix, Tags=dict_to_tags(tags))
    role = boto3.client("iam", region_name=REGION).create_role(
        RoleName="kinds-test-train-scheduler", AssumeRolePolicyDocument="{}"
    )["Role"]["Arn"]
    base = f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/kinds-test-train"
    return {"role": role, "td1": f"{base}:1", "td2": f"{base}:2"}


def _schedule_props(expression: str, revision: str, group: str = "kinds-test") -> Any:
    def props(r: Refs) -> dict[str, Any]:
        return {
            "group": group,
            "expression": expression,
            "timezone": "Europe/Paris",
            "cluster": CLUSTER,
            "task_definition": r[revision],
            "role": r["role"],
            "subnets": frozenset({"subnet-1", "subnet-2"}),
            "security_groups": frozenset({"sg-1"}),
            "task_group": "job:train",
        }

    return props


def _topic() -> Refs:
    arn = boto3.client("sns", region_name=REGION).create_topic(
        Name="kinds-test-alarms", Tags=dict_to_tags(OWNER.tags(keys.ALARM_TOPIC))
    )["TopicArn"]
    return {"topic": arn}


def _rule_props(message: str) -> Any:
    return lambda r: {
        "pattern": failure_pattern(CLUSTER, "job:train"),
        "topic": r["topic"],
        "message": message,
    }


def _policy_props(rules: list[str]) -> Any:
    def props(r: Refs) -> dict[str, Any]:
        arns = [f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{n}" for n in rules]
        return {"topic": r["topic"], "policy": topic_policy(r["topic"], ACCOUNT, arns)}

    return props


CASES: list[dict[str, Any]] = [
    dict(
        kind="scheduler.group",
        name="kinds-test",
        key=keys.SCHEDULE_GROUP,
        setup=dict,
        props=lambda r: {"name": "kinds-test"},
        replace=lambda r: {"name": "kinds-other"},
    ),
    dict(
        kind="scheduler.schedule",
        name="train",
        key=keys.schedule("train"),
        setup=_group,
        props=_schedule_props("cron(0 3 * * ? *)", "td1"),
        update=_schedule_props("rate(6 hours)", "td2"),
        replace=_schedule_props("cron(0 3 * * ? *)", "td1", group="kinds-other"),
    ),
    dict(
        kind="events.rule",
        name="kinds-test-train-failed",
        setup=_topic,
        props=_rule_props("job train failed: <task>"),
        update=_rule_props("job train failed: <task> (<code>)"),
    ),
    dict(
        kind="sns.topic_policy",
        name="kinds-test-alarms",
        key=keys.ALARM_TOPIC_POLICY,
        setup=_topic,
        props=_policy_props(["kinds-test-train-failed"]),
        update=_policy_props(["kinds-test-train-failed", "kinds-test-etl-failed"]),
    ),
]
