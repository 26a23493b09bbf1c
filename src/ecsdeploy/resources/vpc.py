"""The VPC: one per app/env, with DNS support and DNS host names on (needed by endpoints)."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from ecsdeploy.aws.clients import Client
from ecsdeploy.aws.errors import DependencyViolation
from ecsdeploy.resources.base import Change, Desired, Observed, Props
from ecsdeploy.resources.describe import Line, Names
from ecsdeploy.resources.ec2_common import Ec2Handler, tag_spec
from ecsdeploy.resources.reads import read_each
from ecsdeploy.spec.naming import TAG_APP, tags_to_dict


@dataclass(frozen=True, kw_only=True)
class VpcProps(Props):
    cidr: str
    dns_support: bool
    dns_hostnames: bool


class VpcHandler(Ec2Handler[VpcProps]):
    kind: ClassVar[str] = "ec2.vpc"
    props_class: ClassVar[type[Props]] = VpcProps
    label: ClassVar[str] = "VPC (private network)"
    rank: ClassVar[int] = 0
    held_by_dependents: ClassVar[bool] = True
    replace_on: ClassVar[frozenset[str]] = frozenset({"cidr"})

    @classmethod
    def describe(cls, props: VpcProps, names: Names) -> list[Line]:
        return [("address range", str(props.cidr))]

    def observe(self, wants: Sequence[Desired]) -> list[Observed]:
        found = []
        for key, vpc, tags in self.owned_items("DescribeVpcs", "Vpcs"):
            vpc_id = vpc["VpcId"]
            # DescribeVpcAttribute takes one attribute a call: both at once, one round trip
            support, hostnames = read_each(
                functools.partial(self._attr, vpc_id), ["enableDnsSupport", "enableDnsHostnames"]
            )
            found.append(
                Observed(
                    kind=self.kind,
                    key=key,
                    id=vpc_id,
                    name=tags.get("Name", vpc_id),
                    props={
                        "cidr": vpc["CidrBlock"],
                        "dns_support": support,
                        "dns_hostnames": hostnames,
                    },
                    tags=tags,
                    state=vpc.get("State", ""),
                )
            )
        return found

    def _attr(self, vpc_id: str, attribute: str) -> bool:
        out = self.client("ec2").describe_vpc_attribute(VpcId=vpc_id, Attribute=attribute)
        key = attribute[0].upper() + attribute[1:]
        return bool(out[key]["Value"])

    def create(self, want: Desired, props: VpcProps) -> Observed:
        out = self.client("ec2").create_vpc(
            CidrBlock=props.cidr, TagSpecifications=tag_spec("vpc", self.tags(want))
        )
        vpc = out["Vpc"]
        have = Observed(
            kind=self.kind,
            key=want.key,
            id=vpc["VpcId"],
            name=want.name,
            props={"cidr": vpc["CidrBlock"], "dns_support": True, "dns_hostnames": False},
            tags=self.tags(want),
        )
        return self.update(want, props, have, self.diff(props, have))

    def update(
        self, want: Desired, props: VpcProps, have: Observed, changes: list[Change]
    ) -> Observed:
        ec2 = self.client("ec2")
        # AWS takes one attribute per ModifyVpcAttribute call; hostnames need support on.
        for change in changes:
            if change.field == "dns_support":
                ec2.modify_vpc_attribute(
                    VpcId=have.id, EnableDnsSupport={"Value": bool(change.after)}
                )
            elif change.field == "dns_hostnames":
                ec2.modify_vpc_attribute(
                    VpcId=have.id, EnableDnsHostnames={"Value": bool(change.after)}
                )
        have.props.update({c.field: c.after for c in changes})
        return have

    def delete(self, have: Observed) -> None:
        ec2 = self.client("ec2")
        try:
            ec2.delete_vpc(VpcId=have.id)
        except DependencyViolation as exc:
            # name what is still in the VPC (AWS only says "has dependencies"): the app's
            # own leftovers go away as their deletes finish; anything else the user must see
            left = _left_in(ec2, have.id)
            if not left:
                raise
            raise DependencyViolation(
                f"{exc.message}; still in the VPC: {', '.join(left)} (not made by ecsdeploy: "
                "delete or move it, then run `ecsdeploy down` again)",
                exc.code,
                exc.operation,
            ) from exc


def _left_in(ec2: Client, vpc_id: str) -> list[str]:
    """What is in the VPC and not this app's: security groups other than the default one,
    VPC endpoints and network interfaces without ecsdeploy's tags (one read each)."""
    in_vpc = [{"Name": "vpc-id", "Values": [vpc_id]}]
    left = []
    for group in ec2.pages("DescribeSecurityGroups", "SecurityGroups", Filters=in_vpc):
        if group.get("GroupName") != "default" and TAG_APP not in tags_to_dict(group.get("Tags")):
            left.append(f"security group {group['GroupId']} ({group.get('GroupName', '')})")
    for ep in ec2.pages("DescribeVpcEndpoints", "VpcEndpoints", Filters=in_vpc):
        if ep.get("State") != "deleted" and TAG_APP not in tags_to_dict(ep.get("Tags")):
            left.append(f"VPC endpoint {ep['VpcEndpointId']} ({ep.get('ServiceName', '')})")
    for eni in ec2.pages("DescribeNetworkInterfaces", "NetworkInterfaces", Filters=in_vpc):
        if not eni.get("RequesterManaged") and TAG_APP not in tags_to_dict(eni.get("TagSet")):
            left.append(
                f"network interface {eni['NetworkInterfaceId']} ({eni.get('Description', '')})"
            )
    return left
