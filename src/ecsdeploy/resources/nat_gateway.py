"""NAT gateways in the public subnets, so private tasks can reach the internet.

AWS takes one to two minutes to make a NAT gateway ``available`` and as long to delete it;
its Elastic IP can be released and its subnet deleted only once it is ``deleted``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from ecsdeploy.aws.errors import NotFound
from ecsdeploy.resources.base import Desired, Observed, Props, Ref
from ecsdeploy.resources.billing import Bill, Meter, Usage
from ecsdeploy.resources.describe import Line, Names, value
from ecsdeploy.resources.ec2_common import Ec2Handler, client_token, tag_spec
from ecsdeploy.resources.waiting import wait_for

LIVE_STATES = ("pending", "available")


@dataclass(frozen=True, kw_only=True)
class NatGatewayProps(Props):
    subnet: str | Ref  # a public subnet
    allocation: str | Ref  # its Elastic IP


class NatGatewayHandler(Ec2Handler[NatGatewayProps]):
    kind: ClassVar[str] = "ec2.nat_gateway"
    props_class: ClassVar[type[Props]] = NatGatewayProps
    label: ClassVar[str] = "NAT gateway"
    delete_note: ClassVar[str] = "private subnets lose outbound internet"
    rank: ClassVar[int] = 2
    slow: ClassVar[float] = 90.0  # pending for 1-2 minutes
    replace_on: ClassVar[frozenset[str]] = frozenset({"subnet", "allocation"})

    @classmethod
    def describe(cls, props: NatGatewayProps, names: Names) -> list[Line]:
        return [
            ("in subnet", value(props.subnet, names)),
            ("address", value(props.allocation, names)),
        ]

    @classmethod
    def bills(cls, have: Observed, observed: Mapping[str, Observed]) -> list[Bill]:
        return [Usage(Meter.NAT_GATEWAY, 1)]

    def observe(self, wants: Sequence[Desired]) -> list[Observed]:
        states = {"Name": "state", "Values": [*LIVE_STATES, "deleting"]}
        return [
            self._observed(key, nat, tags)
            for key, nat, tags in self.owned_items(
                "DescribeNatGateways", "NatGateways", [states], filter_param="Filter"
            )
        ]

    def _observed(self, key: str, nat: dict[str, Any], tags: dict[str, str]) -> Observed:
        addresses = nat.get("NatGatewayAddresses") or [{}]
        state = nat.get("State", "")
        props: dict[str, Any] = {
            "subnet": nat.get("SubnetId"),
            "allocation": addresses[0].get("AllocationId"),
        }
        if state == "deleting":
            props["subnet"] = None  # on its way out: the plan must create a new one
        return Observed(
            kind=self.kind,
            key=key,
            id=nat["NatGatewayId"],
            name=tags.get("Name", nat["NatGatewayId"]),
            props=props,
            tags=tags,
            state=state,
        )

    def create(self, want: Desired, props: NatGatewayProps) -> Observed:
        tags = self.tags(want)
        args = {
            "SubnetId": props.subnet,
            "AllocationId": props.allocation,
            "ConnectivityType": "public",
            "TagSpecifications": tag_spec("natgateway", tags),
        }
        # Same token for the same request: a create re-run after a crash returns the first one.
        token = client_token(self.ctx.owner, want.key, args)
        nat = self.client("ec2").create_nat_gateway(**args, ClientToken=token)["NatGateway"]
        nat_id = nat["NatGatewayId"]
        ready = wait_for(
            self.ctx,
            f"NAT gateway {nat_id} to become available",
            lambda: self._state_if(nat_id, ("available",), fail=("failed",)),
            self.ctx.timing.resource_ready,
        )
        return self._observed(want.key, ready, tags)

    def _state_if(
        self, nat_id: str, states: tuple[str, ...], fail: tuple[str, ...] = ()
    ) -> dict[str, Any] | None:
        try:
            nats = self.client("ec2").describe_nat_gateways(NatGatewayIds=[nat_id])["NatGateways"]
        except NotFound:
            return {"State": "deleted", "NatGatewayId": nat_id} if "deleted" in states else None
        if not nats:
            return {"State": "deleted", "NatGatewayId": nat_id} if "deleted" in states else None
        nat: dict[str, Any] = nats[0]
        if nat.get("State") in fail:
            raise RuntimeError(
                f"NAT gateway {nat_id} failed: {nat.get('FailureMessage', 'no reason given')}"
            )
        return nat if nat.get("State") in states else None

    def delete(self, have: Observed) -> None:
        if have.state != "deleting":
            try:
                self.client("ec2").delete_nat_gateway(NatGatewayId=have.id)
            except NotFound:
                return
        wait_for(
            self.ctx,
            f"NAT gateway {have.id} to be deleted",
            lambda: self._state_if(have.id, ("deleted",)),
            self.ctx.timing.resource_ready,
        )
