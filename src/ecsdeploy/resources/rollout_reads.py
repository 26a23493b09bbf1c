"""The AWS reads behind a rollout watch (``reconcile.rollout.RolloutSource``): the services,
their tasks, the target groups' health and the failing container's last log lines, each a
batched read shaped like the API's answer."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ecsdeploy.aws.clients import Aws
from ecsdeploy.aws.errors import NotFound

_MAX_TASKS = 100  # DescribeTasks takes at most 100 ARNs, ListTasks gives 100 a page
_MAX_STREAMS = 50  # DescribeLogStreams' largest page


class AwsRolloutSource:
    """``RolloutSource`` over real AWS clients: bounded calls, missing things read as empty."""

    def __init__(self, aws: Aws) -> None:
        self.aws = aws

    def describe_services(self, cluster: str, services: Sequence[str]) -> dict[str, Any]:
        """One DescribeServices (it takes ten services at most: the watch sends no more)."""
        try:
            found = self.aws.client("ecs").describe_services(
                cluster=cluster, services=list(services)
            )
        except NotFound:  # ClusterNotFoundException
            return {}
        # A missing service is not an error here: it comes back under `failures` (MISSING).
        return {str(svc["serviceName"]): svc for svc in found.get("services", [])}

    def target_health(self, target_group_arn: str) -> list[dict[str, Any]]:
        try:
            found = self.aws.client("elbv2").describe_target_health(TargetGroupArn=target_group_arn)
        except NotFound:
            return []
        described: list[dict[str, Any]] = found.get("TargetHealthDescriptions", [])
        return described

    def stopped_tasks(self, cluster: str, service: str) -> list[dict[str, Any]]:
        # ECS keeps stopped tasks visible for about an hour only; that is enough right after
        # a rollout, and one bounded page of the newest ones is all a diagnosis needs.
        ecs = self.aws.client("ecs")
        try:
            arns: list[str] = ecs.list_tasks(
                cluster=cluster,
                serviceName=service,
                desiredStatus="STOPPED",
                maxResults=_MAX_TASKS,
            ).get("taskArns", [])
            if not arns:
                return []
            tasks: list[dict[str, Any]] = ecs.describe_tasks(
                cluster=cluster, tasks=arns[:_MAX_TASKS]
            ).get("tasks", [])
        except NotFound:
            return []
        return tasks

    def running_tasks(self, cluster: str, service: str) -> list[dict[str, Any]]:
        ecs = self.aws.client("ecs")
        try:
            arns = list(
                ecs.pages(
                    "ListTasks",
                    "taskArns",
                    cluster=cluster,
                    serviceName=service,
                    desiredStatus="RUNNING",
                )
            )
            tasks: list[dict[str, Any]] = []
            for i in range(0, len(arns), _MAX_TASKS):
                chunk = arns[i : i + _MAX_TASKS]
                tasks += ecs.describe_tasks(cluster=cluster, tasks=chunk).get("tasks", [])
        except NotFound:
            return []
        return tasks

    def log_tail(self, log_group: str, stream_prefix: str, limit: int) -> list[str]:
        logs = self.aws.client("logs")
        try:
            # DescribeLogStreams refuses orderBy=LastEventTime together with
            # logStreamNamePrefix (InvalidParameterException), so: first the newest streams
            # of the group by event time, filtered here; if none matches, one page by
            # prefix, newest picked here. lastEventTimestamp is itself only eventually
            # consistent, which is why `watch` asks for a stopped task's own stream first.
            streams: list[dict[str, Any]] = logs.describe_log_streams(
                logGroupName=log_group,
                orderBy="LastEventTime",
                descending=True,
                limit=_MAX_STREAMS,
            ).get("logStreams", [])
            matching = [s for s in streams if s["logStreamName"].startswith(stream_prefix)]
            if not matching:
                matching = logs.describe_log_streams(
                    logGroupName=log_group, logStreamNamePrefix=stream_prefix, limit=_MAX_STREAMS
                ).get("logStreams", [])
            if not matching:
                return []
            newest = max(
                matching,
                key=lambda s: (s.get("lastEventTimestamp") or 0, s.get("creationTime") or 0),
            )
            events: list[dict[str, Any]] = logs.get_log_events(
                logGroupName=log_group,
                logStreamName=newest["logStreamName"],
                limit=limit,
                startFromHead=False,  # the newest events; the page is still oldest-first
            ).get("events", [])
        except NotFound:
            return []
        return [str(e.get("message", "")).rstrip("\n") for e in events][-limit:]
