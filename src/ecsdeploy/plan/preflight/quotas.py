"""The quota checks: Elastic IPs and load balancers in use plus what the spec adds, against
the account's limits."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ecsdeploy.desired import network_of, owner_of
from ecsdeploy.plan.preflight.base import (
    QUOTA_ALB,
    QUOTA_EIP,
    Check,
    Facts,
)
from ecsdeploy.spec.models import Spec
from ecsdeploy.spec.naming import TAG_APP, TAG_ENV, tags_to_dict

EIP_ATTRIBUTE = "vpc-max-elastic-ips"
ALB_LIMIT = "application-load-balancers"


def check_eip_quota(spec: Spec, ctx: Facts) -> list[Check]:
    """Elastic IPs: addresses in the region plus the spec's new NAT gateways vs the limit."""
    net = network_of(spec)
    need = 0 if net is None else {"none": 0, "single": 1, "per_az": net.azs}[net.nat]
    if need == 0:
        return [Check(QUOTA_EIP, "OK", "the spec needs no Elastic IPs (no NAT gateway)")]
    ec2 = ctx.require().client("ec2")
    attributes = ec2.describe_account_attributes(AttributeNames=[EIP_ATTRIBUTE])
    limit = _attribute(attributes.get("AccountAttributes", []), EIP_ATTRIBUTE)
    if limit is None:
        return [Check(QUOTA_EIP, "SKIP", f"account attribute {EIP_ATTRIBUTE} not returned")]
    addresses = ec2.describe_addresses().get("Addresses", [])
    owner = owner_of(spec)
    ours = sum(1 for a in addresses if _owned(a.get("Tags"), owner.app, owner.env))
    new = max(0, need - ours)  # a redeploy reuses the app's own addresses
    used = len(addresses)
    detail = f"{used} in use + {new} new for NAT, limit {limit} in {spec.region}"
    if used + new > limit:
        return [
            Check(
                QUOTA_EIP,
                "FAIL",
                f"{detail}; release unused Elastic IPs, use nat: single or none, or request "
                "an increase (Service Quotas: EC2-VPC Elastic IPs)",
            )
        ]
    return [Check(QUOTA_EIP, "OK", detail)]


def check_alb_quota(spec: Spec, ctx: Facts) -> list[Check]:
    """Application Load Balancers: existing ones plus the spec's vs DescribeAccountLimits."""
    needs = network_of(spec) is not None and any(
        s.mode == "classic" and s.route is not None for s in spec.services.values()
    )
    if not needs:
        return [Check(QUOTA_ALB, "OK", "the spec needs no load balancer of its own")]
    elbv2 = ctx.require().client("elbv2")
    limits = elbv2.describe_account_limits().get("Limits", [])
    limit = next((_int(x.get("Max")) for x in limits if x.get("Name") == ALB_LIMIT), None)
    if limit is None:
        return [Check(QUOTA_ALB, "SKIP", f"DescribeAccountLimits returned no {ALB_LIMIT}")]
    albs = [
        lb
        for lb in elbv2.pages("DescribeLoadBalancers", "LoadBalancers")
        if lb.get("Type") == "application"
    ]
    name = owner_of(spec).alb_name()
    new = 0 if any(lb.get("LoadBalancerName") == name for lb in albs) else 1
    detail = f"{len(albs)} in use + {new} new, limit {limit} in {spec.region}"
    if len(albs) + new > limit:
        return [
            Check(
                QUOTA_ALB,
                "FAIL",
                f"{detail}; delete unused load balancers or request an increase "
                "(Service Quotas: Application Load Balancers per Region)",
            )
        ]
    return [Check(QUOTA_ALB, "OK", detail)]


def _attribute(attributes: Iterable[Any], name: str) -> int | None:
    for attribute in attributes:
        if attribute.get("AttributeName") == name:
            values = attribute.get("AttributeValues") or [{}]
            return _int(values[0].get("AttributeValue"))
    return None


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _owned(tags: Any, app: str, env: str) -> bool:
    found = tags_to_dict(tags)
    return found.get(TAG_APP) == app and found.get(TAG_ENV) == env
