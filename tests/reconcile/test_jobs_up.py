"""Scheduled jobs against moto: `up` of a spec with a job creates its task definition, log
group, roles, security group, the schedule (in the app's schedule group), the failure rule
and the topic's policy; a second `up` changes nothing; `down` removes them all."""

from __future__ import annotations

import json
from typing import Any

import boto3

from ecsdeploy.resources import keys

from conftest import Harness, owned_anything, spec_text

REGION = "us-west-2"
JOB = """\
alarms:
  email: ops@example.com
jobs:
  train:
    image: 123456789012.dkr.ecr.us-west-2.amazonaws.com/api:v1
    command: [python, train.py]
    cpu: 512
    memory: 1024
    schedule: cron(0 3 * * ? *)
    timezone: Europe/Paris
    timeout_minutes: 45
    permissions:
      - actions: [s3:PutObject]
        resources: ["arn:aws:s3:::mlapp-models/iris/trained/*"]
"""


def job_spec() -> str:
    return spec_text() + JOB


def _schedule() -> dict[str, Any]:
    scheduler = boto3.client("scheduler", region_name=REGION)
    return dict(scheduler.get_schedule(Name="train", GroupName="mlapp-dev"))


def test_up_creates_the_schedule_roles_and_failure_rule(harness: Harness) -> None:
    harness.up(job_spec())
    schedule = _schedule()
    assert schedule["ScheduleExpression"] == "cron(0 3 * * ? *)"
    assert schedule["ScheduleExpressionTimezone"] == "Europe/Paris"
    ecs_params = schedule["Target"]["EcsParameters"]
    assert ecs_params["TaskDefinitionArn"].split("/")[-1].startswith("mlapp-dev-train:")
    assert ecs_params["LaunchType"] == "FARGATE"
    assert ecs_params["Group"] == "job:train"
    net = ecs_params["NetworkConfiguration"]["awsvpcConfiguration"]
    assert net["AssignPublicIp"] == "DISABLED"
    ec2 = boto3.client("ec2", region_name=REGION)
    subnets = ec2.describe_subnets(SubnetIds=net["Subnets"])["Subnets"]
    assert {t["Value"] for s in subnets for t in s["Tags"] if t["Key"] == "ecsdeploy:key"} == {
        keys.subnet("private", 0),
        keys.subnet("private", 1),
    }
    # the scheduler's role: assumed by Scheduler of this account only; RunTask of the
    # job's family, PassRole of exactly its two roles
    iam = boto3.client("iam", region_name=REGION)
    role = iam.get_role(RoleName="mlapp-dev-train-scheduler")["Role"]
    assert schedule["Target"]["RoleArn"] == role["Arn"]
    trust = role["AssumeRolePolicyDocument"]
    trust = json.loads(trust) if isinstance(trust, str) else trust
    statement = trust["Statement"][0]
    assert statement["Principal"] == {"Service": "scheduler.amazonaws.com"}
    assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}
    policy = iam.get_role_policy(RoleName=role["RoleName"], PolicyName="run-task")
    document = policy["PolicyDocument"]
    document = json.loads(document) if isinstance(document, str) else document
    run, passrole = document["Statement"]
    assert run["Action"] == "ecs:RunTask"
    assert all("task-definition/mlapp-dev-train" in r for r in run["Resource"])
    assert sorted(r.rsplit("/", 1)[-1] for r in passrole["Resource"]) == [
        "mlapp-dev-execution",
        "mlapp-dev-train-task",
    ]
    # the task definition: the command, the size, the timeout passed to the program
    ecs = boto3.client("ecs", region_name=REGION)
    task = ecs.describe_task_definition(taskDefinition=ecs_params["TaskDefinitionArn"])
    container = task["taskDefinition"]["containerDefinitions"][0]
    assert container["command"] == ["python", "train.py"]
    assert {"name": "ECSDEPLOY_TIMEOUT_SECONDS", "value": "2700"} in container["environment"]
    assert "portMappings" not in container or not container["portMappings"]
    # the failure rule notifies the alarm topic, which lets EventBridge publish
    events = boto3.client("events", region_name=REGION)
    rule = events.describe_rule(Name="mlapp-dev-train-failed")
    pattern = json.loads(rule["EventPattern"])
    assert pattern["detail"]["group"] == ["job:train"]
    assert pattern["detail"]["lastStatus"] == ["STOPPED"]
    targets = events.list_targets_by_rule(Rule="mlapp-dev-train-failed")["Targets"]
    sns = boto3.client("sns", region_name=REGION)
    topic = next(
        t["TopicArn"] for t in sns.list_topics()["Topics"] if "mlapp-dev-alarms" in t["TopicArn"]
    )
    assert [t["Arn"] for t in targets] == [topic]
    topic_policy = json.loads(sns.get_topic_attributes(TopicArn=topic)["Attributes"]["Policy"])
    events_statement = next(
        s
        for s in topic_policy["Statement"]
        if s["Principal"] == {"Service": "events.amazonaws.com"}
    )
    assert events_statement["Condition"]["ArnEquals"]["aws:SourceArn"] == [rule["Arn"]]


def test_a_second_up_changes_nothing(harness: Harness) -> None:
    harness.up(job_spec())
    harness.assert_up_changes_nothing(job_spec())


def test_down_removes_the_jobs_resources(harness: Harness) -> None:
    harness.up(job_spec())
    harness.down(job_spec())
    assert owned_anything() == []
    scheduler = boto3.client("scheduler", region_name=REGION)
    assert scheduler.list_schedule_groups(NamePrefix="mlapp-dev")["ScheduleGroups"] == []
    assert scheduler.list_schedules()["Schedules"] == []
    events = boto3.client("events", region_name=REGION)
    assert events.list_rules(NamePrefix="mlapp-dev")["Rules"] == []


def test_removing_the_job_removes_its_schedule_and_rule(harness: Harness) -> None:
    harness.up(job_spec())
    without = spec_text() + "alarms:\n  email: ops@example.com\n"
    harness.up(without)
    scheduler = boto3.client("scheduler", region_name=REGION)
    assert scheduler.list_schedules()["Schedules"] == []
    events = boto3.client("events", region_name=REGION)
    assert events.list_rules(NamePrefix="mlapp-dev")["Rules"] == []
    iam = boto3.client("iam", region_name=REGION)
    names = [r["RoleName"] for r in iam.list_roles(PathPrefix="/ecsdeploy/mlapp/dev/")["Roles"]]
    assert "mlapp-dev-train-scheduler" not in names
    harness.assert_up_changes_nothing(without)


def test_a_schedule_changed_by_hand_shows_in_the_plan_and_is_put_back(harness: Harness) -> None:
    harness.up(job_spec())
    scheduler = boto3.client("scheduler", region_name=REGION)
    current = _schedule()
    keep = {k: current[k] for k in ("Name", "GroupName", "Target", "FlexibleTimeWindow")}
    scheduler.update_schedule(ScheduleExpression="rate(5 minutes)", **keep)
    dep: Any = harness.deployment(job_spec())
    plan = dep.plan_up()
    changed = {s.key: s for s in plan.changes}
    assert list(changed) == [keys.schedule("train")]
    assert any(c.field == "expression" for c in changed[keys.schedule("train")].changes)
    assert dep.apply(plan).ok
    assert _schedule()["ScheduleExpression"] == "cron(0 3 * * ? *)"
    harness.assert_up_changes_nothing(job_spec())
