"""The ``status`` use case: what the app runs now, read from AWS (changes nothing)."""

from __future__ import annotations

import contextvars
from concurrent.futures import ThreadPoolExecutor

from ecsdeploy.aws.clients import Client
from ecsdeploy.ops.deployment_status import deployments
from ecsdeploy.ops.stages import Stages
from ecsdeploy.reconcile import applied
from ecsdeploy.reconcile.job_runs import job_statuses
from ecsdeploy.reconcile.status import ServiceStatus, Status, alarm_statuses, load_balancer_url
from ecsdeploy.resources import keys, registry
from ecsdeploy.resources.base import Observed
from ecsdeploy.resources.reads import read_each


def status(stages: Stages) -> Status:
    """What runs: per service counts, revision, rollout, target health; and the URL.

    After the observe, the reads that remain (each service's target health, the
    deployments shifting traffic, the jobs' last runs) depend on it only, not on each
    other: they run side by side, one round trip for all instead of one each."""
    found = inventory(stages)
    by_key = {o.key: o for o in found}
    url = load_balancer_url(by_key)
    # the target group of each classic service that has one
    groups = [
        group
        for o in found
        if o.kind == "ecs.service" and (group := by_key.get(keys.target_group(o.name)))
    ]
    elbv2 = stages.aws.client("elbv2")
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="ecsdeploy-status") as pool:
        moving = pool.submit(contextvars.copy_context().run, deployments, stages, found)
        jobs = pool.submit(
            contextvars.copy_context().run,
            job_statuses,
            stages.aws.client("ecs"),
            stages.target.owner,
            found,
        )
        health = read_each(lambda group: _target_health(elbv2, group), groups)
    healthy_of = dict(zip([group.key for group in groups], health, strict=True))
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
        healthy, total = healthy_of.get(keys.target_group(item.name), (0, 0))
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
    shifting = moving.result()
    for svc in services:
        svc.deployment = shifting.get(svc.name)
    return Status(url, services, found, alarm_statuses(found), dashboard, jobs.result())


def _target_health(elbv2: Client, group: Observed) -> tuple[int, int]:
    """(healthy targets, targets) of a target group."""
    health = elbv2.describe_target_health(TargetGroupArn=group.attr("arn"))[
        "TargetHealthDescriptions"
    ]
    return sum(1 for h in health if h["TargetHealth"]["State"] == "healthy"), len(health)


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
