"""VPC endpoints, so private tasks reach AWS services without a NAT gateway.

``s3`` (and ``dynamodb``) are free gateway endpoints on the private route tables; other
services are interface endpoints in the private subnets with private DNS on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ecsdeploy.aws.errors import classify
from ecsdeploy.resources import keys
from ecsdeploy.resources.base import OPTIONAL, Change, Desired, Observed, Props, Ref, ids
from ecsdeploy.resources.billing import Bill, Meter, Usage
from ecsdeploy.resources.describe import Line, Names
from ecsdeploy.resources.ec2_common import Ec2Handler, client_token, tag_spec
from ecsdeploy.resources.waiting import wait_for

LIVE_STATES = ("pendingacceptance", "pending", "available")
GUARDDUTY_SERVICE = "com.amazonaws.{}.guardduty-data"


@dataclass(frozen=True, kw_only=True)
class VpcEndpointProps(Props):
    """A gateway endpoint has ``route_tables``; an interface endpoint ``subnets``,
    ``security_groups`` and ``private_dns`` (the others are absent)."""

    vpc: str | Ref
    service: str  # com.amazonaws.REGION.NAME
    type: str  # Gateway | Interface
    route_tables: frozenset[str | Ref] | None = field(default=None, metadata=OPTIONAL)
    subnets: frozenset[str | Ref] | None = field(default=None, metadata=OPTIONAL)
    security_groups: frozenset[str | Ref] | None = field(default=None, metadata=OPTIONAL)
    private_dns: bool | None = field(default=None, metadata=OPTIONAL)


class VpcEndpointHandler(Ec2Handler[VpcEndpointProps]):
    kind: ClassVar[str] = "ec2.vpc_endpoint"
    props_class: ClassVar[type[Props]] = VpcEndpointProps
    label: ClassVar[str] = "VPC endpoint"
    rank: ClassVar[int] = 4
    slow: ClassVar[float] = 90.0  # an interface endpoint: pending for 1-2 minutes
    replace_on: ClassVar[frozenset[str]] = frozenset({"vpc", "service", "type"})

    @classmethod
    def describe(cls, props: VpcEndpointProps, names: Names) -> list[Line]:
        return [("service", f"{props.service} ({props.type.lower()})")]

    @classmethod
    def bills(cls, have: Observed, observed: Mapping[str, Observed]) -> list[Bill]:
        """An interface endpoint is billed once per zone it is in (one subnet each)."""
        if have.props.get("type") != "Interface":
            return []
        return [Usage(Meter.INTERFACE_ENDPOINT_AZ, len(have.props.get("subnets") or ()))]

    def observe(self, wants: Sequence[Desired]) -> list[Observed]:
        states = {"Name": "vpc-endpoint-state", "Values": list(LIVE_STATES)}
        found = []
        for key, ep, tags in self.owned_items("DescribeVpcEndpoints", "VpcEndpoints", [states]):
            gateway = ep.get("VpcEndpointType", "Gateway") == "Gateway"
            props: dict[str, Any] = {
                "vpc": ep["VpcId"],
                "service": ep["ServiceName"],
                "type": "Gateway" if gateway else "Interface",
            }
            if gateway:
                props["route_tables"] = frozenset(ep.get("RouteTableIds", []))
            else:
                props["subnets"] = frozenset(ep.get("SubnetIds", []))
                props["security_groups"] = frozenset(g["GroupId"] for g in ep.get("Groups", []))
                props["private_dns"] = bool(ep.get("PrivateDnsEnabled"))
            found.append(
                Observed(
                    kind=self.kind,
                    key=key,
                    id=ep["VpcEndpointId"],
                    name=tags.get("Name", ep["VpcEndpointId"]),
                    props=props,
                    tags=tags,
                    state=ep.get("State", ""),
                )
            )
        return found

    def create(self, want: Desired, props: VpcEndpointProps) -> Observed:
        args: dict[str, Any] = {
            "VpcEndpointType": props.type,
            "VpcId": props.vpc,
            "ServiceName": props.service,
            "TagSpecifications": tag_spec("vpc-endpoint", self.tags(want)),
        }
        if props.type == "Gateway":
            args["RouteTableIds"] = ids(props.route_tables or ())
        else:
            args["SubnetIds"] = ids(props.subnets or ())
            args["SecurityGroupIds"] = ids(props.security_groups or ())
            args["PrivateDnsEnabled"] = bool(props.private_dns)
        args["ClientToken"] = client_token(self.ctx.owner, want.key, args)
        ep = self.client("ec2").create_vpc_endpoint(**args)["VpcEndpoint"]
        ep_id = ep["VpcEndpointId"]
        if props.type == "Interface":
            wait_for(
                self.ctx,
                f"VPC endpoint {ep_id} ({props.service}) to become available",
                lambda: self._available(ep_id),
                self.ctx.timing.resource_ready,
            )
        return Observed(
            self.kind, want.key, ep_id, want.name, props.as_mapping(), tags=self.tags(want)
        )

    def _available(self, ep_id: str) -> bool | None:
        eps = self.client("ec2").describe_vpc_endpoints(VpcEndpointIds=[ep_id])["VpcEndpoints"]
        return True if eps and eps[0].get("State", "").lower() == "available" else None

    def update(
        self, want: Desired, props: VpcEndpointProps, have: Observed, changes: list[Change]
    ) -> Observed:
        args: dict[str, Any] = {}
        pairs = {
            "route_tables": ("AddRouteTableIds", "RemoveRouteTableIds"),
            "subnets": ("AddSubnetIds", "RemoveSubnetIds"),
            "security_groups": ("AddSecurityGroupIds", "RemoveSecurityGroupIds"),
        }
        for change in changes:
            if change.field in pairs:
                add_key, remove_key = pairs[change.field]
                old = set(change.before or ())
                new = set(change.after or ())
                if new - old:
                    args[add_key] = sorted(new - old)
                if old - new:
                    args[remove_key] = sorted(old - new)
            elif change.field == "private_dns":
                args["PrivateDnsEnabled"] = bool(change.after)
        if args:
            self.client("ec2").modify_vpc_endpoint(VpcEndpointId=have.id, **args)
        have.props.update({c.field: c.after for c in changes})
        return have

    def delete(self, have: Observed) -> None:
        out = self.client("ec2").delete_vpc_endpoints(VpcEndpointIds=[have.id])
        # This API reports failures in the response body, not as an error.
        for item in out.get("Unsuccessful", []):
            error = item.get("Error", {})
            code = str(error.get("Code", ""))
            raise classify(code)(
                str(error.get("Message", "delete failed")), code, "DeleteVpcEndpoints"
            )

    def aws_added(self, owned: Sequence[Observed]) -> list[Observed]:
        """GuardDuty's ``guardduty-data`` endpoint in the app's VPC: with GuardDuty Runtime
        Monitoring on (common in AWS Organizations), AWS adds it to every VPC that runs
        Fargate tasks, untagged, and it blocks deleting the subnets and the VPC
        (docs.aws.amazon.com/guardduty/latest/ug/runtime-monitoring-ecs-fargate)."""
        found = []
        for vpc in (o for o in owned if o.kind == "ec2.vpc" and o.owned):
            filters = [
                {"Name": "vpc-id", "Values": [vpc.id]},
                {"Name": "service-name", "Values": [GUARDDUTY_SERVICE.format(self.region)]},
                {"Name": "vpc-endpoint-state", "Values": list(LIVE_STATES)},
            ]
            for ep in self.client("ec2").pages(
                "DescribeVpcEndpoints", "VpcEndpoints", Filters=filters
            ):
                ident = ep["VpcEndpointId"]
                found.append(
                    Observed(
                        self.kind,
                        keys.aws_added("guardduty-endpoint", ident),
                        ident,
                        f"{ident} (added by GuardDuty)",
                        {"vpc": vpc.id, "service": ep["ServiceName"], "type": "Interface"},
                        state=ep.get("State", ""),
                    )
                )
        return found

    @property
    def region(self) -> str:
        return self.ctx.aws.region
