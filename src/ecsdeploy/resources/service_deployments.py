"""ECS service deployments: the newest deployment of a service, whether it waits at a
PAUSE lifecycle hook, and the calls that continue it or roll it back.

ECS developer guide: deployment-lifecycle-hooks (a PAUSE hook waits for
ContinueServiceDeployment; DescribeServiceDeployments' ``lifecycleHookDetails`` gives the
hook's id), continue-service-deployment, stop-service-deployment (StopServiceDeployment
with ROLLBACK).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ecsdeploy.aws.clients import Aws

DONE = "SUCCESSFUL"
ROLLED_BACK = ("ROLLBACK_SUCCESSFUL", "STOPPED")
FAILED = ("ROLLBACK_FAILED",)
# what a rollout outcome notes of a deployment waiting at its pause
PAUSED_NOTE = "paused before production traffic"
MAX_PAGES = 10  # of ListServiceDeployments (20 a page): ECS's recent deployments
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class ServiceDeployment:
    """One service deployment as ECS describes it."""

    arn: str
    status: str
    stage: str  # lifecycleStage ("" before the first)
    hook: str | None  # the id of a PAUSE hook waiting for an action
    reason: str
    # the share of production traffic on the new revision, where ECS gives it
    # (targetServiceRevision.requestedProductionTrafficWeight, 0-100)
    production_percent: float | None = None

    @property
    def paused(self) -> bool:
        return self.hook is not None

    @property
    def finished(self) -> bool:
        return self.status == DONE or self.status in ROLLED_BACK or self.status in FAILED


def newest(
    aws: Aws, cluster: str, service: str, before: datetime | None = None
) -> ServiceDeployment | None:
    """The service's newest deployment (a List, one page of up to 20 for most services, and
    one Describe), None without one; with ``before``, the newest created by then.

    ListServiceDeployments documents no order (API reference; botocore's model has no
    paginator for it either), so the newest is the one created last among every page,
    whatever order AWS lists them in, up to ``MAX_PAGES``."""
    ecs = aws.client("ecs")
    found: list[dict[str, Any]] = []
    token = None
    for _ in range(MAX_PAGES):
        page = ecs.list_service_deployments(
            cluster=cluster, service=service, **({"nextToken": token} if token else {})
        )
        found += page.get("serviceDeployments") or []
        token = page.get("nextToken")
        if not token:
            break

    def created(brief: dict[str, Any]) -> datetime:
        at = brief.get("createdAt") or brief.get("startedAt")
        return at if isinstance(at, datetime) else _EPOCH

    if before is not None:
        found = [b for b in found if created(b) <= before]
    if not found:
        return None
    last = max(found, key=created)
    arn = str(last["serviceDeploymentArn"])
    described = ecs.describe_service_deployments(serviceDeploymentArns=[arn])
    deployments: list[dict[str, Any]] = described.get("serviceDeployments") or []
    return _of(deployments[0]) if deployments else None


def _of(dep: dict[str, Any]) -> ServiceDeployment:
    hook = next(
        (
            str(h["hookId"])
            for h in dep.get("lifecycleHookDetails") or []
            if h.get("targetType") == "PAUSE" and h.get("status") == "AWAITING_ACTION"
        ),
        None,
    )
    return ServiceDeployment(
        arn=str(dep["serviceDeploymentArn"]),
        status=str(dep.get("status", "")),
        stage=str(dep.get("lifecycleStage", "")),
        hook=hook,
        reason=str(dep.get("statusReason", "")),
        production_percent=_weight(dep.get("targetServiceRevision")),
    )


def _weight(revision: object) -> float | None:
    if not isinstance(revision, dict):
        return None
    found = revision.get("requestedProductionTrafficWeight")
    return float(found) if found is not None else None


def resume(aws: Aws, deployment: ServiceDeployment) -> None:
    """Continue a deployment waiting at its PAUSE hook."""
    assert deployment.hook is not None
    aws.client("ecs").continue_service_deployment(
        serviceDeploymentArn=deployment.arn, hookId=deployment.hook, action="CONTINUE"
    )


def roll_back(aws: Aws, deployment: ServiceDeployment) -> None:
    """Roll a deployment in progress back to the previous revision."""
    aws.client("ecs").stop_service_deployment(
        serviceDeploymentArn=deployment.arn, stopType="ROLLBACK"
    )
