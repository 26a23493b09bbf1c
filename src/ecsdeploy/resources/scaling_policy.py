"""Target-tracking scaling policies on average CPU, memory or ALB requests per target.

PutScalingPolicy is an upsert: create and update are the same call.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from ecsdeploy.resources import keys
from ecsdeploy.resources.base import Desired, Joined, Observed, Props, UpsertHandler
from ecsdeploy.resources.describe import Line, Names
from ecsdeploy.resources.scaling_target import DIMENSION, NAMESPACE, app_items

METRICS = {
    "cpu": "ECSServiceAverageCPUUtilization",
    "memory": "ECSServiceAverageMemoryUtilization",
    "requests": "ALBRequestCountPerTarget",
}
COOLDOWN_OUT = 60
COOLDOWN_IN = 300


@dataclass(frozen=True, kw_only=True)
class ScalingPolicyProps(Props):
    resource_id: str  # service/CLUSTER/SERVICE
    policy_name: str
    metric: str  # a predefined metric type
    # app/LB/ID/targetgroup/TG/ID, for the request count per target (None for the others)
    resource_label: str | Joined | None
    target: float


class ScalingPolicyHandler(UpsertHandler[ScalingPolicyProps]):
    kind: ClassVar[str] = "autoscaling.policy"
    props_class: ClassVar[type[Props]] = ScalingPolicyProps
    label: ClassVar[str] = "autoscaling policy"
    layer: ClassVar[str] = "services"
    rank: ClassVar[int] = 10
    services: ClassVar[tuple[str, ...]] = ("application-autoscaling", "ecs")
    replace_on: ClassVar[frozenset[str]] = frozenset({"resource_id", "policy_name"})

    @classmethod
    def describe(cls, props: ScalingPolicyProps, names: Names) -> list[Line]:
        return [("keeps", f"{props.metric} near {props.target:g}")]

    def observe(self, wants: Sequence[Desired]) -> list[Observed]:
        found = []
        for service, rid, policy in app_items(self, "DescribeScalingPolicies", "ScalingPolicies"):
            config = policy.get("TargetTrackingScalingPolicyConfiguration")
            if config is None:
                continue
            spec = config.get("PredefinedMetricSpecification", {})
            metric = next(
                (k for k, v in METRICS.items() if v == spec.get("PredefinedMetricType")), "?"
            )
            found.append(
                Observed(
                    kind=self.kind,
                    key=keys.scaling_policy(service, metric),
                    id=policy["PolicyARN"],
                    name=policy["PolicyName"],
                    props={
                        "resource_id": rid,
                        "policy_name": policy["PolicyName"],
                        "metric": spec.get("PredefinedMetricType"),
                        "resource_label": spec.get("ResourceLabel"),
                        "target": float(config["TargetValue"]),
                    },
                )
            )
        return found

    def create(self, want: Desired, props: ScalingPolicyProps) -> Observed:
        metric: dict[str, Any] = {"PredefinedMetricType": props.metric}
        if props.resource_label:
            metric["ResourceLabel"] = props.resource_label
        out = self.client("application-autoscaling").put_scaling_policy(
            PolicyName=props.policy_name,
            ServiceNamespace=NAMESPACE,
            ResourceId=props.resource_id,
            ScalableDimension=DIMENSION,
            PolicyType="TargetTrackingScaling",
            TargetTrackingScalingPolicyConfiguration={
                "TargetValue": props.target,
                "PredefinedMetricSpecification": metric,
                "ScaleOutCooldown": COOLDOWN_OUT,
                "ScaleInCooldown": COOLDOWN_IN,
            },
        )
        return Observed(
            self.kind, want.key, out["PolicyARN"], props.policy_name, props.as_mapping()
        )

    def delete(self, have: Observed) -> None:
        self.client("application-autoscaling").delete_scaling_policy(
            PolicyName=have.name,
            ServiceNamespace=NAMESPACE,
            ResourceId=have.props["resource_id"],
            ScalableDimension=DIMENSION,
        )
