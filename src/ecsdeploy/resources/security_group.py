"""Security groups: one for the load balancer (80/443 from anywhere) and one per service
(its port from the load balancer's group only).

Ingress rules are a set of ``(protocol, from_port, to_port, source)`` where the source is
a CIDR or a security-group id; rules added by hand show up as drift and are revoked. The
default allow-all egress rule is left as AWS creates it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from ecsdeploy.aws.errors import AlreadyExists, NotFound
from ecsdeploy.resources import keys
from ecsdeploy.resources.base import Change, Desired, Observed, Props, Ref
from ecsdeploy.resources.describe import Line, Names, value
from ecsdeploy.resources.ec2_common import Ec2Handler, tag_spec

Rule = tuple[str, int, int, str]
GUARDDUTY_GROUP = "GuardDutyManagedSecurityGroup"


def _rules_of(permissions: list[dict[str, Any]]) -> frozenset[Rule]:
    rules: set[Rule] = set()
    for perm in permissions:
        proto = str(perm.get("IpProtocol", "-1"))
        low = int(perm.get("FromPort", -1))
        high = int(perm.get("ToPort", -1))
        for ip_range in perm.get("IpRanges", []):
            rules.add((proto, low, high, ip_range["CidrIp"]))
        for ip_range in perm.get("Ipv6Ranges", []):
            rules.add((proto, low, high, ip_range["CidrIpv6"]))
        for pair in perm.get("UserIdGroupPairs", []):
            rules.add((proto, low, high, pair["GroupId"]))
    return frozenset(rules)


def _permission(rule: Rule) -> dict[str, Any]:
    proto, low, high, source = rule
    perm: dict[str, Any] = {"IpProtocol": proto, "FromPort": low, "ToPort": high}
    if source.startswith("sg-"):
        perm["UserIdGroupPairs"] = [{"GroupId": source}]
    elif ":" in source:
        perm["Ipv6Ranges"] = [{"CidrIpv6": source}]
    else:
        perm["IpRanges"] = [{"CidrIp": source}]
    return perm


@dataclass(frozen=True, kw_only=True)
class SecurityGroupProps(Props):
    vpc: str | Ref
    group_name: str
    description: str
    # (protocol, from port, to port, source CIDR or security group)
    ingress: frozenset[tuple[str, int, int, str | Ref]]


class SecurityGroupHandler(Ec2Handler[SecurityGroupProps]):
    kind: ClassVar[str] = "ec2.security_group"
    props_class: ClassVar[type[Props]] = SecurityGroupProps
    label: ClassVar[str] = "security group (firewall)"
    rank: ClassVar[int] = 2
    held_by_dependents: ClassVar[bool] = True
    replace_on: ClassVar[frozenset[str]] = frozenset({"vpc", "group_name", "description"})
    # a rule no longer wanted (the old port's) is revoked in ``tidy``: the old tasks keep
    # their traffic until they have drained
    tidies: ClassVar[bool] = True

    @classmethod
    def describe(cls, props: SecurityGroupProps, names: Names) -> list[Line]:
        return [("allows in", _ingress(props.ingress, names))]

    def observe(self, wants: Sequence[Desired]) -> list[Observed]:
        found = []
        for key, group, tags in self.owned_items("DescribeSecurityGroups", "SecurityGroups"):
            found.append(
                Observed(
                    kind=self.kind,
                    key=key,
                    id=group["GroupId"],
                    name=group["GroupName"],
                    props={
                        "vpc": group.get("VpcId"),
                        "group_name": group["GroupName"],
                        "description": group.get("Description", ""),
                        "ingress": _rules_of(group.get("IpPermissions", [])),
                    },
                    tags=tags,
                )
            )
        return found

    def create(self, want: Desired, props: SecurityGroupProps) -> Observed:
        group_id = self.client("ec2").create_security_group(
            GroupName=props.group_name,
            Description=props.description,
            VpcId=props.vpc,
            TagSpecifications=tag_spec("security-group", self.tags(want)),
        )["GroupId"]
        have = Observed(
            kind=self.kind,
            key=want.key,
            id=group_id,
            name=props.group_name,
            props={**props.as_mapping(), "ingress": frozenset()},
            tags=self.tags(want),
        )
        return self.update(want, props, have, self.diff(props, have))

    def update(
        self, want: Desired, props: SecurityGroupProps, have: Observed, changes: list[Change]
    ) -> Observed:
        if not any(c.field == "ingress" for c in changes):
            return have
        ec2 = self.client("ec2")
        old: frozenset[Rule] = have.props.get("ingress") or frozenset()
        new = frozenset((p, low, high, str(source)) for p, low, high, source in props.ingress)
        add = sorted(new - old)
        if add:
            try:
                ec2.authorize_security_group_ingress(
                    GroupId=have.id, IpPermissions=[_permission(r) for r in add]
                )
            except AlreadyExists:
                # An interrupted earlier run added some: AWS rejects the whole batch, so
                # add the rules one at a time, skipping those already there.
                for rule in add:
                    try:
                        ec2.authorize_security_group_ingress(
                            GroupId=have.id, IpPermissions=[_permission(rule)]
                        )
                    except AlreadyExists:
                        pass
        have.props["ingress"] = old | new  # the rules no longer wanted go in ``tidy``
        return have

    def tidy(self, want: Desired, props: SecurityGroupProps, have: Observed) -> Observed:
        old: frozenset[Rule] = have.props.get("ingress") or frozenset()
        new = frozenset((p, low, high, str(source)) for p, low, high, source in props.ingress)
        remove = sorted(old - new)
        if remove:
            try:
                self.client("ec2").revoke_security_group_ingress(
                    GroupId=have.id, IpPermissions=[_permission(r) for r in remove]
                )
            except NotFound:
                pass
        have.props["ingress"] = new
        return have

    def delete(self, have: Observed) -> None:
        ec2 = self.client("ec2")
        # A group referenced by another group's rule cannot be deleted: drop our own
        # rules first so the groups of one app never block each other.
        rules: frozenset[Rule] = have.props.get("ingress") or frozenset()
        if rules:
            try:
                ec2.revoke_security_group_ingress(
                    GroupId=have.id, IpPermissions=[_permission(r) for r in sorted(rules)]
                )
            except NotFound:
                pass
            have.props["ingress"] = frozenset()
        ec2.delete_security_group(GroupId=have.id)

    def aws_added(self, owned: Sequence[Observed]) -> list[Observed]:
        """GuardDuty's ``GuardDutyManagedSecurityGroup-<vpc id>`` in the app's VPC, which it
        adds with its endpoint (see ``VpcEndpointHandler.aws_added``); untagged, it blocks
        deleting the VPC."""
        found = []
        for vpc in (o for o in owned if o.kind == "ec2.vpc" and o.owned):
            filters = [
                {"Name": "vpc-id", "Values": [vpc.id]},
                {"Name": "group-name", "Values": [f"{GUARDDUTY_GROUP}-{vpc.id}"]},
            ]
            for group in self.client("ec2").pages(
                "DescribeSecurityGroups", "SecurityGroups", Filters=filters
            ):
                ident = group["GroupId"]
                found.append(
                    Observed(
                        self.kind,
                        keys.aws_added("guardduty-group", ident),
                        ident,
                        f"{group['GroupName']} (added by GuardDuty)",
                        {"vpc": vpc.id, "group_name": group["GroupName"]},
                    )
                )
        return found


def _ingress(rules: Iterable[tuple[Any, ...]], names: Names) -> str:
    out = []
    for protocol, low, high, source in sorted(rules, key=str):
        ports = str(low) if low == high else f"{low}-{high}"
        out.append(f"{protocol} {ports} from {value(source, names)}")
    return "; ".join(out) or "none"
