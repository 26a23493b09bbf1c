"""Elastic IP addresses for the NAT gateways (one per NAT)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from ecsdeploy.resources.base import Desired, Observed, Props, owned_key
from ecsdeploy.resources.billing import Bill, Meter, Usage
from ecsdeploy.resources.ec2_common import Ec2Handler, owner_filters, tag_spec
from ecsdeploy.spec.naming import tags_to_dict


@dataclass(frozen=True, kw_only=True)
class ElasticIpProps(Props):
    """None: an address has nothing to set beyond its tags."""


class ElasticIpHandler(Ec2Handler[ElasticIpProps]):
    kind: ClassVar[str] = "ec2.elastic_ip"
    props_class: ClassVar[type[Props]] = ElasticIpProps
    label: ClassVar[str] = "Elastic IP address"
    delete_note: ClassVar[str] = "the address is released"
    rank: ClassVar[int] = 1
    held_by_dependents: ClassVar[bool] = True

    @classmethod
    def bills(cls, have: Observed, observed: Mapping[str, Observed]) -> list[Bill]:
        return [Usage(Meter.ELASTIC_IP, 1)]

    def observe(self, wants: Sequence[Desired]) -> list[Observed]:
        # DescribeAddresses has no paginator; it returns every address in one answer.
        out = self.client("ec2").describe_addresses(Filters=owner_filters(self.ctx.owner))
        found = []
        for address in out.get("Addresses", []):
            tags = tags_to_dict(address.get("Tags"))
            key = owned_key(self.ctx.owner, tags)
            if key is not None:
                found.append(self._observed(key, address, tags))
        return found

    def _observed(self, key: str, address: dict[str, Any], tags: dict[str, str]) -> Observed:
        return Observed(
            kind=self.kind,
            key=key,
            id=address["AllocationId"],
            name=tags.get("Name", address["AllocationId"]),
            props={},
            attrs={"public_ip": address.get("PublicIp", "")},
            tags=tags,
        )

    def create(self, want: Desired, props: ElasticIpProps) -> Observed:
        tags = self.tags(want)
        address = self.client("ec2").allocate_address(
            Domain="vpc", TagSpecifications=tag_spec("elastic-ip", tags)
        )
        return self._observed(want.key, address, tags)

    def delete(self, have: Observed) -> None:
        # While its NAT gateway is still being deleted AWS answers InvalidIPAddress.InUse
        # (mapped to DependencyViolation), which the executor retries.
        self.client("ec2").release_address(AllocationId=have.id)
