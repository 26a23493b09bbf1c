"""What ``status`` says of a deployment that moves load-balancer traffic (canary, linear,
blue/green): the strategy, whether it waits at its pause before production traffic (with
the URL that reaches the new revision), and the share of production traffic it has.

Read only for a service running such a strategy with a rollout in progress (one
ListServiceDeployments and one DescribeServiceDeployments each): an app that rolls makes
no extra call. ECS developer guide: deployment-lifecycle-hooks; the API reference of
ServiceRevisionSummary (requestedProductionTrafficWeight).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ecsdeploy.ops.paused import preview_urls
from ecsdeploy.ops.stages import Stages
from ecsdeploy.reconcile.status import DeploymentStatus
from ecsdeploy.resources.base import Observed
from ecsdeploy.resources.ecs_common import cluster_name
from ecsdeploy.resources.ecs_strategy import ROLLING
from ecsdeploy.resources.service_deployments import newest


def shifting(item: Observed) -> bool:
    """Whether a service runs a traffic-shifting strategy and is rolling out."""
    strategy = item.props.get("strategy")
    if item.kind != "ecs.service" or strategy in (None, ROLLING):
        return False
    return str(item.attrs.get("rollout") or "") == "IN_PROGRESS" or (
        int(item.attrs.get("deployments") or 0) > 1
    )


def deployments(stages: Stages, found: Sequence[Observed]) -> dict[str, DeploymentStatus]:
    """Each service's traffic-shifting deployment in progress, by service name."""
    moving = [o for o in found if shifting(o)]
    if not moving:
        return {}
    by_key: Mapping[str, Observed] = {o.key: o for o in found}
    cluster = cluster_name(stages.target.owner)
    out = {}
    for item in moving:
        dep = newest(stages.aws, cluster, item.name)
        if dep is None or dep.finished:
            continue
        url = preview_urls(stages, [item.name], by_key).get(item.name, "") if dep.paused else ""
        out[item.name] = DeploymentStatus(
            strategy=str(item.props["strategy"]).lower(),
            paused=dep.paused,
            production_percent=dep.production_percent,
            test_url=url,
        )
    return out
