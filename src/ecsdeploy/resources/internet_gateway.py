"""The internet gateway, attached to the VPC, that the public route table points at."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from ecsdeploy.aws.errors import NotFound
from ecsdeploy.resources.base import Change, Desired, Observed, Props, Ref
from ecsdeploy.resources.ec2_common import Ec2Handler, tag_spec


@dataclass(frozen=True, kw_only=True)
class InternetGatewayProps(Props):
    vpc: str | Ref  # the VPC it is attached to


class InternetGatewayHandler(Ec2Handler[InternetGatewayProps]):
    kind: ClassVar[str] = "ec2.internet_gateway"
    props_class: ClassVar[type[Props]] = InternetGatewayProps
    label: ClassVar[str] = "internet gateway"
    rank: ClassVar[int] = 1
    # A new VPC means a new gateway: the old VPC can only be deleted once its gateway is
    # detached, which must happen in the delete half of the replace, not in a later update.
    replace_on: ClassVar[frozenset[str]] = frozenset({"vpc"})

    def observe(self, wants: Sequence[Desired]) -> list[Observed]:
        found = []
        for key, igw, tags in self.owned_items("DescribeInternetGateways", "InternetGateways"):
            attached = [a["VpcId"] for a in igw.get("Attachments", []) if a.get("VpcId")]
            found.append(
                Observed(
                    kind=self.kind,
                    key=key,
                    id=igw["InternetGatewayId"],
                    name=tags.get("Name", igw["InternetGatewayId"]),
                    props={"vpc": attached[0] if attached else None},
                    tags=tags,
                )
            )
        return found

    def create(self, want: Desired, props: InternetGatewayProps) -> Observed:
        igw = self.client("ec2").create_internet_gateway(
            TagSpecifications=tag_spec("internet-gateway", self.tags(want))
        )["InternetGateway"]
        have = Observed(
            kind=self.kind,
            key=want.key,
            id=igw["InternetGatewayId"],
            name=want.name,
            props={"vpc": None},
            tags=self.tags(want),
        )
        return self.update(want, props, have, self.diff(props, have))

    def update(
        self, want: Desired, props: InternetGatewayProps, have: Observed, changes: list[Change]
    ) -> Observed:
        ec2 = self.client("ec2")
        for change in changes:
            if change.field != "vpc":
                continue
            if change.before:
                ec2.detach_internet_gateway(InternetGatewayId=have.id, VpcId=change.before)
            if change.after:
                ec2.attach_internet_gateway(InternetGatewayId=have.id, VpcId=change.after)
            have.props["vpc"] = change.after
        return have

    def delete(self, have: Observed) -> None:
        ec2 = self.client("ec2")
        vpc = have.props.get("vpc")
        if vpc:
            # Fails with DependencyViolation while public addresses (NAT EIPs, load balancer)
            # are still mapped in the VPC; the executor retries that, bounded.
            try:
                ec2.detach_internet_gateway(InternetGatewayId=have.id, VpcId=vpc)
            except NotFound:
                pass
            have.props["vpc"] = None
        ec2.delete_internet_gateway(InternetGatewayId=have.id)
