"""Subnets: one public and one private per zone, carved from the VPC CIDR."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from ecsdeploy.resources.base import Desired, Observed, Props, Ref
from ecsdeploy.resources.describe import Line, Names
from ecsdeploy.resources.ec2_common import Ec2Handler, tag_spec


@dataclass(frozen=True, kw_only=True)
class SubnetProps(Props):
    vpc: str | Ref
    cidr: str
    az: str


class SubnetHandler(Ec2Handler[SubnetProps]):
    kind: ClassVar[str] = "ec2.subnet"
    props_class: ClassVar[type[Props]] = SubnetProps
    label: ClassVar[str] = "subnet"
    rank: ClassVar[int] = 1
    held_by_dependents: ClassVar[bool] = True
    replace_on: ClassVar[frozenset[str]] = frozenset({"vpc", "cidr", "az"})

    @classmethod
    def describe(cls, props: SubnetProps, names: Names) -> list[Line]:
        return [("address range", f"{props.cidr} in zone {props.az}")]

    def observe(self, wants: Sequence[Desired]) -> list[Observed]:
        found = []
        for key, subnet, tags in self.owned_items("DescribeSubnets", "Subnets"):
            found.append(
                Observed(
                    kind=self.kind,
                    key=key,
                    id=subnet["SubnetId"],
                    name=tags.get("Name", subnet["SubnetId"]),
                    props={
                        "vpc": subnet["VpcId"],
                        "cidr": subnet["CidrBlock"],
                        "az": subnet["AvailabilityZone"],
                    },
                    tags=tags,
                    state=subnet.get("State", ""),
                )
            )
        return found

    def create(self, want: Desired, props: SubnetProps) -> Observed:
        subnet = self.client("ec2").create_subnet(
            VpcId=props.vpc,
            CidrBlock=props.cidr,
            AvailabilityZone=props.az,
            TagSpecifications=tag_spec("subnet", self.tags(want)),
        )["Subnet"]
        return Observed(
            kind=self.kind,
            key=want.key,
            id=subnet["SubnetId"],
            name=want.name,
            props=props.as_mapping(),
            tags=self.tags(want),
        )

    def delete(self, have: Observed) -> None:
        self.client("ec2").delete_subnet(SubnetId=have.id)
