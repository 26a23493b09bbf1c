"""Rollout sources for tests that script what ECS answers one service at a time.

A watch reads every service of a poll in one ``describe_services`` (reconcile.poll_reads);
a fake written per service gets those reads one ``describe_service`` each, in the order
asked. ``FinishedRollout`` plays ECS after a clean rollout over moto's services (moto never
finishes one).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import boto3

from ecsdeploy.resources.rollout_reads import AwsRolloutSource


class PerService:
    """``describe_services`` made of the subclass's ``describe_service``."""

    def describe_service(self, cluster: str, service: str) -> dict[str, Any]:
        raise NotImplementedError

    def describe_services(self, cluster: str, services: Sequence[str]) -> dict[str, Any]:
        found = {name: self.describe_service(cluster, name) for name in services}
        return {name: svc for name, svc in found.items() if svc}


class AwsPerService(PerService, AwsRolloutSource):
    """The real source (moto's answers), read one service at a time, for fakes that change
    what it says of each."""

    def describe_service(self, cluster: str, service: str) -> dict[str, Any]:
        found: dict[str, Any] = AwsRolloutSource.describe_services(self, cluster, [service])
        return dict(found.get(service, {}))

    def desired_behind(self, target_group_arn: str) -> int:
        """The task count of the service registered in the target group, read from moto
        past the run's clients and its call recorder (the code under test makes no such
        read): a fake's health then depends on no other read of the poll."""
        ecs = boto3.client("ecs", region_name=self.aws.region)
        for cluster in ecs.list_clusters()["clusterArns"]:
            arns = ecs.list_services(cluster=cluster)["serviceArns"]
            for i in range(0, len(arns), 10):
                described = ecs.describe_services(cluster=cluster, services=arns[i : i + 10])
                for svc in described["services"]:
                    groups = [lb["targetGroupArn"] for lb in svc.get("loadBalancers", [])]
                    if target_group_arn in groups:
                        return int(svc["desiredCount"])
        return 0


class FinishedRollout(AwsPerService):
    """ECS after a clean rollout of the revision the service was last given: moto keeps
    the first deployment's revision PRIMARY after UpdateService; ECS makes a new one. Its
    targets are all healthy."""

    def describe_service(self, cluster: str, service: str) -> dict[str, Any]:
        svc = super().describe_service(cluster, service)
        count = svc["desiredCount"]
        svc["deployments"] = [
            {
                "id": f"ecs-svc/{abs(hash(svc['taskDefinition'])) % 10**12}",
                "status": "PRIMARY",
                "taskDefinition": svc["taskDefinition"],
                "rolloutState": "COMPLETED",
                "runningCount": count,
                "pendingCount": 0,
            }
        ]
        svc["runningCount"] = count
        return svc

    def target_health(self, target_group_arn: str) -> list[dict[str, Any]]:
        return [{"TargetHealth": {"State": "healthy"}}] * self.desired_behind(target_group_arn)
