"""The ``plan`` use case: what ``up`` would change and what the app costs now and after;
and the cost of what the app runs now, which ``up`` shows too."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from ecsdeploy.images.refs import ImageRef
from ecsdeploy.ops.stages import Stages
from ecsdeploy.plan.cost import CostEstimate, PriceBook, estimate, estimate_now
from ecsdeploy.plan.guidance import advise
from ecsdeploy.plan.model import Plan
from ecsdeploy.plan.price_list import price_book
from ecsdeploy.spec.models import Spec


@dataclass
class PlanResult:
    """What ``plan`` found: the plan, the monthly cost before and after, sizing advice."""

    plan: Plan
    cost_now: CostEstimate
    cost_after: CostEstimate
    image_refs: dict[str, ImageRef] = field(default_factory=dict)  # the image of each service
    advice: list[str] = field(default_factory=list)


def plan_changes(stages: Stages) -> PlanResult:
    """Observe and plan (reads AWS, changes nothing), with the costs and advice. The
    prices are asked for while the observe runs."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="prices") as pool:
        book = pool.submit(prices, stages)
        plan = stages.plan_up()
        spec = stages.target.spec
        return PlanResult(
            plan,
            cost_now(plan, stages.target.region, book.result()),
            cost_after(spec, book.result()),
            stages.image_refs,
            advise(spec) if spec is not None else [],
        )


def prices(stages: Stages) -> PriceBook:
    """The region's on-demand prices: the AWS Price List API's (cached for the day), or
    the dated table with a note saying why (``plan.price_list``)."""
    return price_book(stages.target.region, stages.aws.price_list)


def cost_now(plan: Plan, region: str, book: PriceBook | None = None) -> CostEstimate:
    """The fixed monthly cost of what this app runs now (from what the plan observed)."""
    return estimate_now(plan.observed, region, book)


def cost_after(spec: Spec | None, book: PriceBook | None = None) -> CostEstimate:
    """The fixed monthly cost of what the spec asks for."""
    return estimate(spec, book)
