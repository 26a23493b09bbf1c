"""Target groups, one per service: the ECS service registers its tasks' IPs here and the
load balancer forwards to them, health-checking each on ``health_path``.

Name, port, protocol, VPC and target type are fixed at creation; the health check and the
deregistration delay (how long a stopping task keeps draining) change in place.

A change of the fixed fields replaces the target group without downtime: the new one is
created beside the old one under the service's other name (``other_name``: names are
unique per account and region), the listener rule and the ECS service move to it in place
(ECS takes a new load balancer configuration in a rolling deployment: "Updating the load
balancer configuration of a service", Amazon ECS Developer Guide), and the old one is
deleted once its targets have drained.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from ecsdeploy.aws.errors import NotFound
from ecsdeploy.resources.base import Change, Desired, Observed, Props, Ref, owned_key
from ecsdeploy.resources.describe import Line, Names
from ecsdeploy.resources.load_balancer import Elbv2Handler, describe_tags, full_name
from ecsdeploy.resources.reads import read_each
from ecsdeploy.resources.waiting import wait_for
from ecsdeploy.spec.naming import LIMITS, dict_to_tags, fit

DEFAULT_DEREGISTRATION_DELAY = 300  # what AWS gives a new target group
DEREGISTRATION_DELAY = "deregistration_delay.timeout_seconds"

# props -> the ModifyTargetGroup parameter that sets it
HEALTH_FIELDS = {
    "health_path": "HealthCheckPath",
    "health_interval": "HealthCheckIntervalSeconds",
    "health_timeout": "HealthCheckTimeoutSeconds",
    "healthy_threshold": "HealthyThresholdCount",
    "unhealthy_threshold": "UnhealthyThresholdCount",
}


# the fields a replacement changes (name aside): the target group wanted has them as the
# spec says, the one it replaces does not
FIXED = ("port", "protocol", "target_type")


def other_name(name: str) -> str:
    """The second name of a service's target group, for a replacement made beside the
    first; the replacement of that one takes the first name again."""
    return fit(f"{name}-b", LIMITS["target_group"])


def _health_check(props: TargetGroupProps) -> dict[str, Any]:
    """The health-check parameters of CreateTargetGroup / ModifyTargetGroup."""
    return {
        "HealthCheckEnabled": True,
        "HealthCheckProtocol": props.protocol,
        "HealthCheckPort": "traffic-port",
        "Matcher": {"HttpCode": props.matcher},
        # HEALTH_FIELDS, in its order
        "HealthCheckPath": props.health_path,
        "HealthCheckIntervalSeconds": props.health_interval,
        "HealthCheckTimeoutSeconds": props.health_timeout,
        "HealthyThresholdCount": props.healthy_threshold,
        "UnhealthyThresholdCount": props.unhealthy_threshold,
    }


@dataclass(frozen=True, kw_only=True)
class TargetGroupProps(Props):
    name: str
    port: int
    protocol: str
    vpc: str | Ref
    target_type: str  # ip: Fargate tasks register by IP
    health_path: str
    health_interval: int
    health_timeout: int
    healthy_threshold: int
    unhealthy_threshold: int
    matcher: str  # the HTTP codes that pass
    deregistration_delay: int


class TargetGroupHandler(Elbv2Handler[TargetGroupProps]):
    kind: ClassVar[str] = "elbv2.target_group"
    props_class: ClassVar[type[Props]] = TargetGroupProps
    label: ClassVar[str] = "target group"
    rank: ClassVar[int] = 5
    held_by_dependents: ClassVar[bool] = True
    replace_alongside: ClassVar[bool] = True
    replace_on: ClassVar[frozenset[str]] = frozenset(
        {"name", "port", "protocol", "vpc", "target_type"}
    )

    @classmethod
    def describe(cls, props: TargetGroupProps, names: Names) -> list[Line]:
        return [
            ("port", f"{props.protocol} {props.port}"),
            (
                "health check",
                f"GET {props.health_path} every {props.health_interval}s, expects {props.matcher}",
            ),
        ]

    def observe(self, wants: Sequence[Desired]) -> list[Observed]:
        elbv2 = self.client("elbv2")
        wanted = {w.name: w for w in wants}
        groups = list(elbv2.pages("DescribeTargetGroups", "TargetGroups"))
        tags_by_arn = describe_tags(elbv2, [g["TargetGroupArn"] for g in groups])
        found: list[Observed] = []
        owned: list[tuple[str, dict[str, Any], dict[str, str]]] = []
        for group in groups:
            arn = group["TargetGroupArn"]
            if arn not in tags_by_arn:
                continue  # deleted since the Describe
            tags = tags_by_arn[arn]
            key = owned_key(self.ctx.owner, tags)
            if key is None:
                found += self.taken(wanted, group["TargetGroupName"], arn, tags)
            else:
                owned.append((key, group, tags))
        # attributes are read one target group per call: concurrently
        attributes = read_each(lambda item: self._attributes(item[1]["TargetGroupArn"]), owned)
        for (key, group, tags), attrs in zip(owned, attributes, strict=True):
            if attrs is not None:  # None: deleted since the Describe
                found.append(self._observed(key, group, tags, attrs))
        # Two of one key: a replacement made beside the old one, stopped before the old one
        # went. The plan keeps the first of a key: the one as the spec wants it.
        fixed = {w.key: {f: getattr(w.props, f) for f in FIXED} for w in wants}
        found.sort(key=lambda o: o.owned and o.key in fixed and not _matches(o, fixed[o.key]))
        return found

    def _attributes(self, arn: str) -> dict[str, Any] | None:
        try:
            described = self.client("elbv2").describe_target_group_attributes(TargetGroupArn=arn)
        except NotFound:
            return None
        return {a["Key"]: a["Value"] for a in described.get("Attributes", [])}

    def _observed(
        self, key: str, group: dict[str, Any], tags: dict[str, str], attributes: dict[str, Any]
    ) -> Observed:
        arn = group["TargetGroupArn"]
        name = group["TargetGroupName"]
        return Observed(
            kind=self.kind,
            key=key,
            id=arn,
            name=name,
            props={
                "name": name,
                "port": int(group["Port"]),
                "protocol": group.get("Protocol"),
                "vpc": group.get("VpcId"),
                "target_type": group.get("TargetType"),
                "health_path": group.get("HealthCheckPath"),
                "health_interval": int(group.get("HealthCheckIntervalSeconds", 0)),
                "health_timeout": int(group.get("HealthCheckTimeoutSeconds", 0)),
                "healthy_threshold": int(group.get("HealthyThresholdCount", 0)),
                "unhealthy_threshold": int(group.get("UnhealthyThresholdCount", 0)),
                "matcher": group.get("Matcher", {}).get("HttpCode"),
                "deregistration_delay": int(
                    attributes.get(DEREGISTRATION_DELAY, DEFAULT_DEREGISTRATION_DELAY)
                ),
            },
            attrs={"arn": arn, "name": name, "full_name": full_name(arn)},
            tags=tags,
        )

    def diff(self, want: TargetGroupProps, have: Observed) -> list[Change]:
        """Either of the service's two names is its name (see ``other_name``)."""
        changes = super().diff(want, have)
        names = {want.name, other_name(want.name)}
        return [c for c in changes if c.field != "name" or have.props.get("name") not in names]

    def alongside(self, want: Desired, have: Observed) -> Desired:
        props = want.props
        assert isinstance(props, TargetGroupProps)
        name = other_name(props.name) if have.name == props.name else props.name
        # its Name tag stays the service's first name: the one the spec's resource has
        return dataclasses.replace(want, props=dataclasses.replace(props, name=name))

    def retire(self, have: Observed) -> None:
        """Once its targets have drained (ECS deregisters the old tasks as the new ones
        become healthy in the new target group), delete it."""
        elbv2 = self.client("elbv2")

        def drained() -> bool | None:
            try:
                health = elbv2.describe_target_health(TargetGroupArn=have.id)
            except NotFound:
                return True
            return True if not health.get("TargetHealthDescriptions") else None

        wait_for(
            self.ctx,
            f"the targets of target group {have.name} to drain (the service moves to its "
            "replacement)",
            drained,
            self.ctx.timing.resource_ready,
        )
        self.delete(have)

    def create(self, want: Desired, props: TargetGroupProps) -> Observed:
        tags = self.tags(want)
        # Idempotent in AWS: the same name with the same settings returns the existing one.
        group = self.client("elbv2").create_target_group(
            Name=props.name,
            Protocol=props.protocol,
            Port=props.port,
            VpcId=props.vpc,
            TargetType=props.target_type,
            Tags=dict_to_tags(tags),
            **_health_check(props),
        )["TargetGroups"][0]
        have = self._observed(
            want.key, group, tags, {DEREGISTRATION_DELAY: DEFAULT_DEREGISTRATION_DELAY}
        )
        # Only the delay can differ now (it is an attribute, not a CreateTargetGroup field).
        return self.update(want, props, have, self.diff(props, have))

    def update(
        self, want: Desired, props: TargetGroupProps, have: Observed, changes: list[Change]
    ) -> Observed:
        elbv2 = self.client("elbv2")
        fields = {c.field for c in changes}
        if fields & {*HEALTH_FIELDS, "matcher"}:
            elbv2.modify_target_group(TargetGroupArn=have.id, **_health_check(props))
        if "deregistration_delay" in fields:
            elbv2.modify_target_group_attributes(
                TargetGroupArn=have.id,
                Attributes=[
                    {"Key": DEREGISTRATION_DELAY, "Value": str(props.deregistration_delay)}
                ],
            )
        for change in changes:
            if change.field not in self.replace_on:
                have.props[change.field] = change.after
        return have

    def delete(self, have: Observed) -> None:
        # While a listener or rule still forwards here AWS answers ResourceInUse, which is
        # a DependencyViolation: the executor retries until the rule's delete has run.
        self.client("elbv2").delete_target_group(TargetGroupArn=have.id)


def _matches(have: Observed, fixed: dict[str, object]) -> bool:
    return all(have.props.get(f) == v for f, v in fixed.items())
