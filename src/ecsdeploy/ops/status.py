"""The ``status`` use case: what the app runs now, read from AWS (changes nothing)."""

from __future__ import annotations

from ecsdeploy.ops.deployment_status import deployments
from ecsdeploy.ops.stages import Stages
from ecsdeploy.reconcile import applied
from ecsdeploy.reconcile.job_runs import job_statuses
from ecsdeploy.reconcile.status import ServiceStatus, Status, alarm_statuses, load_balancer_url
from ecsdeploy.resources import keys, registry
from ecsdeploy.resources.base import Observed


def status(stages: Stages) -> Status:
    """What runs: per service counts, revision, rollout, target health; and the URL."""
    found = inventory(stages)
    by_key = {o.key: o for o in found}
    url = load_balancer_url(by_key)
    services = []
    for item in found:
        if item.kind == "ecs.express_service":
            services.append(
                ServiceStatus(
                    name=item.name,
                    desired=0,
                    running=0,
                    pending=0,
                    revision="",
                    rollout=item.state or "-",
                    healthy_targets=0,
                    targets=0,
                    events=[],
                    url=str(item.attrs.get("url") or ""),
                )
            )
            url = url or str(item.attrs.get("url") or "")
        if item.kind != "ecs.service":
            continue
        task = str(item.props.get("task_definition") or "")
        healthy = total = 0
        tg = by_key.get(keys.target_group(item.name))
        if tg is not None:
            health = stages.aws.client("elbv2").describe_target_health(
                TargetGroupArn=tg.attr("arn")
            )["TargetHealthDescriptions"]
            total = len(health)
            healthy = sum(1 for h in health if h["TargetHealth"]["State"] == "healthy")
        services.append(
            ServiceStatus(
                name=item.name,
                desired=int(item.attrs.get("desired", 0)),
                running=int(item.attrs.get("running", 0)),
                pending=int(item.attrs.get("pending", 0)),
                revision=task.rsplit(":", 1)[-1] if ":" in task else "",
                rollout=str(item.attrs.get("rollout") or "").lower() or "-",
                healthy_targets=healthy,
                targets=total,
                events=list(item.attrs.get("events", [])),
            )
        )
    dashboard = next(
        (str(o.attrs.get("url", "")) for o in found if o.kind == "cloudwatch.dashboard"), ""
    )
    moving = deployments(stages, found)
    for svc in services:
        svc.deployment = moving.get(svc.name)
    jobs = job_statuses(stages.aws.client("ecs"), stages.target.owner, found)
    return Status(url, services, found, alarm_statuses(found), dashboard, jobs)


def inventory(stages: Stages) -> list[Observed]:
    """What this app owns now, in creation order."""
    rank = registry.ordering().rank
    layers = [cls.layer for cls in registry.KINDS]
    layer_of = {cls.kind: cls.layer for cls in registry.KINDS}
    spec = stages.target.spec
    if spec is not None and spec.load_balancer is not None and spec.load_balancer.domain:
        # the certificate and DNS records are read only for keys the applied record holds
        # (an app without a domain makes no ACM or Route 53 call): read it first
        stages.applied_before = applied.load(stages.aws, stages.target.owner)
    found = [o for o in stages.observe([]) if o.owned]
    return sorted(
        found, key=lambda o: (layers.index(layer_of[o.kind]), rank[o.kind], o.kind, o.key)
    )


def layers() -> dict[str, str]:
    """The layer each kind is shown under (network, iam, ...)."""
    return {cls.kind: cls.layer for cls in registry.KINDS}
