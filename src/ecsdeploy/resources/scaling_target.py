"""Application Auto Scaling: the scalable target (min/max tasks) of an ECS service.

Scalable targets are addressed by ``service/CLUSTER/SERVICE``; the cluster is this app's
own (named and tagged for it), which is how ownership is decided here.
RegisterScalableTarget is an upsert, so create and update are the same call.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from ecsdeploy.resources import keys
from ecsdeploy.resources.base import Desired, Handler, Observed, Props, UpsertHandler
from ecsdeploy.resources.describe import Line, Names
from ecsdeploy.resources.ecs_common import cluster_name, owns_cluster

NAMESPACE = "ecs"
DIMENSION = "ecs:service:DesiredCount"


def resource_id(cluster: str, service: str) -> str:
    return f"service/{cluster}/{service}"


def app_items(
    handler: Handler, operation: str, result_key: str
) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(service name, resource id, item) of the items on this app's cluster's services."""
    if not owns_cluster(handler.client("ecs"), handler.ctx.owner, handler.ctx.reads):
        return
    prefix = resource_id(cluster_name(handler.ctx.owner), "")
    pages = handler.client("application-autoscaling").pages(
        operation, result_key, ServiceNamespace=NAMESPACE
    )
    for item in pages:
        rid = item["ResourceId"]
        if rid.startswith(prefix) and item["ScalableDimension"] == DIMENSION:
            yield rid.removeprefix(prefix), rid, item


@dataclass(frozen=True, kw_only=True)
class ScalingTargetProps(Props):
    resource_id: str  # service/CLUSTER/SERVICE
    min: int
    max: int


class ScalingTargetHandler(UpsertHandler[ScalingTargetProps]):
    kind: ClassVar[str] = "autoscaling.target"
    props_class: ClassVar[type[Props]] = ScalingTargetProps
    label: ClassVar[str] = "autoscaling range"
    layer: ClassVar[str] = "services"
    rank: ClassVar[int] = 9
    services: ClassVar[tuple[str, ...]] = ("application-autoscaling", "ecs")
    replace_on: ClassVar[frozenset[str]] = frozenset({"resource_id"})

    @classmethod
    def describe(cls, props: ScalingTargetProps, names: Names) -> list[Line]:
        return [("tasks", f"between {props.min} and {props.max}")]

    def observe(self, wants: Sequence[Desired]) -> list[Observed]:
        found = []
        for service, rid, target in app_items(self, "DescribeScalableTargets", "ScalableTargets"):
            found.append(
                Observed(
                    kind=self.kind,
                    key=keys.scaling_target(service),
                    id=rid,
                    name=rid,
                    props={
                        "resource_id": rid,
                        "min": target["MinCapacity"],
                        "max": target["MaxCapacity"],
                    },
                    attrs={"resource_id": rid, "arn": target.get("ScalableTargetARN", "")},
                )
            )
        return found

    def create(self, want: Desired, props: ScalingTargetProps) -> Observed:
        args: dict[str, Any] = {
            "ServiceNamespace": NAMESPACE,
            "ResourceId": props.resource_id,
            "ScalableDimension": DIMENSION,
            "MinCapacity": props.min,
            "MaxCapacity": props.max,
        }
        out = self.client("application-autoscaling").register_scalable_target(
            **args, Tags=self.tags(want)
        )
        return Observed(
            self.kind,
            want.key,
            props.resource_id,
            props.resource_id,
            props.as_mapping(),
            attrs={"resource_id": props.resource_id, "arn": out.get("ScalableTargetARN", "")},
        )

    def delete(self, have: Observed) -> None:
        # also removes the target's scaling policies
        self.client("application-autoscaling").deregister_scalable_target(
            ServiceNamespace=NAMESPACE, ResourceId=have.id, ScalableDimension=DIMENSION
        )
