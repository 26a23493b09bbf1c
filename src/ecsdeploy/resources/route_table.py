"""Route tables: a public one (default route to the internet gateway) and one per zone for
the private subnets (default route to that zone's NAT, the single NAT, or none).

Routes and subnet associations are props of the table, so a NAT mode change is an update
of routes, never a new table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar

from ecsdeploy.aws.errors import NotFound
from ecsdeploy.resources.base import Change, Desired, Observed, Props, Ref, ids
from ecsdeploy.resources.describe import Line, Names, value
from ecsdeploy.resources.ec2_common import Ec2Handler, tag_spec

# props.routes: {destination CIDR: target id}; the target kind is read from its prefix.
_TARGET_PARAM = {"igw-": "GatewayId", "nat-": "NatGatewayId"}


def _target_param(target: str) -> str:
    for prefix, param in _TARGET_PARAM.items():
        if target.startswith(prefix):
            return param
    raise ValueError(f"unsupported route target {target}")


@dataclass(frozen=True, kw_only=True)
class RouteTableProps(Props):
    vpc: str | Ref
    routes: Mapping[str, str | Ref]  # destination CIDR -> internet or NAT gateway id
    subnets: frozenset[str | Ref]  # the subnets associated with it


class RouteTableHandler(Ec2Handler[RouteTableProps]):
    kind: ClassVar[str] = "ec2.route_table"
    props_class: ClassVar[type[Props]] = RouteTableProps
    label: ClassVar[str] = "route table"
    rank: ClassVar[int] = 3
    replace_on: ClassVar[frozenset[str]] = frozenset({"vpc"})

    @classmethod
    def describe(cls, props: RouteTableProps, names: Names) -> list[Line]:
        routes = ", ".join(
            f"{dest} via {value(to, names)}" for dest, to in sorted(props.routes.items())
        )
        return [("routes", routes or "local only"), ("subnets", value(props.subnets, names))]

    def observe(self, wants: Sequence[Desired]) -> list[Observed]:
        found = []
        for key, table, tags in self.owned_items("DescribeRouteTables", "RouteTables"):
            routes: dict[str, str] = {}
            for route in table.get("Routes", []):
                dest = route.get("DestinationCidrBlock")
                target = route.get("GatewayId") or route.get("NatGatewayId")
                # the VPC's own "local" route and endpoint prefix-list routes are AWS's
                if dest and target and target != "local":
                    routes[dest] = target
            associations = {
                a["SubnetId"]: a["RouteTableAssociationId"]
                for a in table.get("Associations", [])
                if a.get("SubnetId") and not a.get("Main")
            }
            found.append(
                Observed(
                    kind=self.kind,
                    key=key,
                    id=table["RouteTableId"],
                    name=tags.get("Name", table["RouteTableId"]),
                    props={
                        "vpc": table["VpcId"],
                        "routes": routes,
                        "subnets": frozenset(associations),
                    },
                    attrs={"associations": associations},
                    tags=tags,
                )
            )
        return found

    def create(self, want: Desired, props: RouteTableProps) -> Observed:
        table = self.client("ec2").create_route_table(
            VpcId=props.vpc, TagSpecifications=tag_spec("route-table", self.tags(want))
        )["RouteTable"]
        have = Observed(
            kind=self.kind,
            key=want.key,
            id=table["RouteTableId"],
            name=want.name,
            props={"vpc": props.vpc, "routes": {}, "subnets": frozenset()},
            attrs={"associations": {}},
            tags=self.tags(want),
        )
        return self.update(want, props, have, self.diff(props, have))

    def update(
        self, want: Desired, props: RouteTableProps, have: Observed, changes: list[Change]
    ) -> Observed:
        ec2 = self.client("ec2")
        fields = {c.field for c in changes}
        if "routes" in fields:
            old: dict[str, str] = dict(have.props.get("routes") or {})
            new = {dest: str(target) for dest, target in props.routes.items()}
            for dest, target in sorted(new.items()):
                if dest not in old:
                    ec2.create_route(
                        RouteTableId=have.id,
                        DestinationCidrBlock=dest,
                        **{_target_param(target): target},
                    )
                elif old[dest] != target:
                    ec2.replace_route(
                        RouteTableId=have.id,
                        DestinationCidrBlock=dest,
                        **{_target_param(target): target},
                    )
            for dest in sorted(set(old) - set(new)):
                try:
                    ec2.delete_route(RouteTableId=have.id, DestinationCidrBlock=dest)
                except NotFound:
                    pass
            have.props["routes"] = new
        if "subnets" in fields:
            associations: dict[str, str] = dict(have.attrs.get("associations", {}))
            wanted = set(ids(props.subnets))
            for subnet in sorted(wanted - set(associations)):
                out = ec2.associate_route_table(RouteTableId=have.id, SubnetId=subnet)
                associations[subnet] = out["AssociationId"]
            for subnet in sorted(set(associations) - wanted):
                try:
                    ec2.disassociate_route_table(AssociationId=associations.pop(subnet))
                except NotFound:
                    pass
            have.props["subnets"] = frozenset(associations)
            have.attrs["associations"] = associations
        return have

    def delete(self, have: Observed) -> None:
        ec2 = self.client("ec2")
        for association in have.attrs.get("associations", {}).values():
            try:
                ec2.disassociate_route_table(AssociationId=association)
            except NotFound:
                pass
        ec2.delete_route_table(RouteTableId=have.id)
