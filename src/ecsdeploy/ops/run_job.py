"""``run --job NAME``: one task of a scheduled job, now, as its schedule would start it.

The task runs what the job's schedule runs, as deployed (read from the schedule, not the
spec): its task definition, cluster, subnets and security group, on Fargate, in the job's
task group (``job:NAME``), so the job's failure rule and ``status`` see it like a
scheduled run. Watching, the timeout and Ctrl-C are ``run``'s (``ops.run``); the timeout
defaults to the job's ``timeout_minutes``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from ecsdeploy.aws.errors import NotFound
from ecsdeploy.ops.run import (
    STARTED_BY,
    Overrides,
    RunError,
    Started,
    _container,
    _overrides,
    check_size,
    run_one_task,
)
from ecsdeploy.ops.stages import Stages
from ecsdeploy.resources.scheduler_schedule import task_group


def job_schedule(stages: Stages, job: str) -> dict[str, Any]:
    """The job's schedule as deployed, or RunError when there is none."""
    prefix = stages.target.owner.prefix
    try:
        found: dict[str, Any] = stages.aws.client("scheduler").get_schedule(
            Name=job, GroupName=prefix
        )
    except NotFound:
        raise RunError(
            f"job {job} is not deployed (no schedule {job} in schedule group {prefix}); "
            "run `ecsdeploy up` first: `run --job` starts what its schedule runs"
        ) from None
    return found


def start_job_task(
    stages: Stages, job: str, overrides: Overrides, now: Callable[[], float] = time.time
) -> Started:
    """Start one task of ``job`` as its schedule would, with ``overrides``."""
    target = job_schedule(stages, job).get("Target", {})
    params = target.get("EcsParameters", {})
    cluster = str(target.get("Arn", "")).rsplit("/", 1)[-1]
    task_definition = str(params.get("TaskDefinitionArn", ""))
    ecs = stages.aws.client("ecs")
    definition = ecs.describe_task_definition(taskDefinition=task_definition)["taskDefinition"]
    check_size(
        overrides.cpu,
        overrides.memory,
        int(definition.get("cpu") or 256),
        int(definition.get("memory") or 512),
    )
    owner = stages.target.owner
    container, log_group, prefix = _container(definition, owner.log_group(job), job)
    request: dict[str, Any] = {
        "cluster": cluster,
        "taskDefinition": task_definition,
        "count": 1,
        "startedBy": STARTED_BY,
        "group": task_group(job),
        "launchType": params.get("LaunchType") or "FARGATE",
        "overrides": _overrides(container, overrides),
    }
    # Scheduler spells the members Subnets, SecurityGroups, AssignPublicIp; ECS lowercase
    network = params.get("NetworkConfiguration", {}).get("awsvpcConfiguration")
    if network:
        request["networkConfiguration"] = {
            "awsvpcConfiguration": {
                "subnets": list(network.get("Subnets", [])),
                "securityGroups": list(network.get("SecurityGroups", [])),
                "assignPublicIp": network.get("AssignPublicIp", "DISABLED"),
            }
        }
    if params.get("PlatformVersion"):
        request["platformVersion"] = params["PlatformVersion"]
    return run_one_task(
        ecs,
        request,
        now,
        f"job {job}",
        Started(
            arn="",
            cluster=cluster,
            service=job,
            container=container,
            task_definition=task_definition,
            log_group=log_group,
            stream_prefix=prefix,
            started=0.0,
        ),
    )
