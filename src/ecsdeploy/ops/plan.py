"""The ``plan`` use case: what ``up`` would change and what the app costs now and after;
and the cost of what the app runs now, which ``up`` shows too."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from ecsdeploy.desired.monitoring import billed_metrics
from ecsdeploy.images.refs import ImageRef
from ecsdeploy.ops.stages import Stages
from ecsdeploy.plan.cost import CostEstimate, estimate, estimate_observed
from ecsdeploy.plan.guidance import advise
from ecsdeploy.plan.model import Plan
from ecsdeploy.spec.models import Spec

# kinds billed by the hour, one each (see plan.cost)
HOURLY_KINDS = frozenset({"ec2.nat_gateway", "ec2.elastic_ip", "elbv2.load_balancer"})


@dataclass
class PlanResult:
    """What ``plan`` found: the plan, the monthly cost before and after, sizing advice."""

    plan: Plan
    cost_now: CostEstimate
    cost_after: CostEstimate
    image_refs: dict[str, ImageRef] = field(default_factory=dict)  # the image of each service
    advice: list[str] = field(default_factory=list)


def plan_changes(stages: Stages) -> PlanResult:
    """Observe and plan (reads AWS, changes nothing), with the costs and advice."""
    plan = stages.plan_up()
    spec = stages.target.spec
    return PlanResult(
        plan,
        cost_now(plan, stages.target.region),
        cost_after(spec),
        stages.image_refs,
        advise(spec) if spec is not None else [],
    )


def cost_now(plan: Plan, region: str) -> CostEstimate:
    """The fixed monthly cost of what this app runs now (from what the plan observed)."""
    kinds: Counter[str] = Counter()
    services: list[tuple[int, int, int]] = []
    for have in plan.observed.values():
        props = have.props
        if have.kind in HOURLY_KINDS:
            kinds[have.kind] += 1
        if have.kind == "ec2.vpc_endpoint" and props.get("type") == "Interface":
            kinds["ec2.vpc_endpoint"] += len(props.get("subnets") or ())  # billed per zone
        elif have.kind == "elbv2.load_balancer" and props.get("scheme") == "internet-facing":
            kinds["ec2.public_ipv4"] += len(props.get("subnets") or ())
        elif have.kind == "wafv2.web_acl":
            kinds["wafv2.web_acl"] += 1
            kinds["wafv2.rule"] += len(props.get("managed") or ()) + 1
        elif have.kind == "cloudwatch.alarm":
            kinds["cloudwatch.alarm_metric"] += billed_metrics(props)
        elif have.kind == "cloudwatch.dashboard":
            kinds["cloudwatch.dashboard"] += 1
        elif have.kind == "ecs.service":
            task = plan.observed.get(f"taskdef/{have.name}")
            count = int(have.attrs.get("desired", props.get("desired_count") or 0))
            if task is not None:
                cpu, memory = int(task.props["cpu"]), int(task.props["memory"])
                services.append((cpu, memory, count))
            if props.get("public_ip"):
                kinds["ec2.public_ipv4"] += count
    return estimate_observed(kinds, services, region)


def cost_after(spec: Spec | None) -> CostEstimate:
    """The fixed monthly cost of what the spec asks for."""
    return estimate(spec)
