"""spec -> the network layer: VPC, internet gateway, subnets, NAT gateways and their
addresses, route tables, VPC endpoints and security groups. Pure."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from typing import Any

from ecsdeploy.desired.common import ANYWHERE
from ecsdeploy.resources.base import Desired, Ref
from ecsdeploy.resources.vpc_endpoint import GATEWAY_ENDPOINTS
from ecsdeploy.spec.models import Network, Service, Spec
from ecsdeploy.spec.naming import Owner


def subnet_cidrs(cidr: str, azs: int) -> tuple[list[str], list[str]]:
    """Public and private subnet CIDRs: the VPC split in 16; public first, private from 8."""
    net = ipaddress.ip_network(cidr)
    parts = list(net.subnets(prefixlen_diff=4))
    public = [str(parts[i]) for i in range(azs)]
    private = [str(parts[8 + i]) for i in range(azs)]
    return public, private


def network_resources(
    spec: Spec, owner: Owner, net: Network, zones: Sequence[str]
) -> list[Desired]:
    """The VPC and everything in it, security groups included, in creation order."""
    if len(zones) < net.azs:
        raise ValueError(
            f"network.azs is {net.azs} but region {spec.region} offers only {len(zones)} zones"
        )
    vpc = Ref("vpc")
    out = [
        Desired(
            "ec2.vpc",
            "vpc",
            owner.name("vpc"),
            {"cidr": net.cidr, "dns_support": True, "dns_hostnames": True},
        ),
        Desired("ec2.internet_gateway", "igw", owner.name("igw"), {"vpc": vpc}),
    ]
    public, private = subnet_cidrs(net.cidr, net.azs)
    for i in range(net.azs):
        for tier, cidrs in (("public", public), ("private", private)):
            out.append(
                Desired(
                    "ec2.subnet",
                    f"subnet/{tier}-{i}",
                    owner.name(tier, zones[i]),
                    {"vpc": vpc, "cidr": cidrs[i], "az": zones[i]},
                )
            )
    nat_count = {"none": 0, "single": 1, "per_az": net.azs}[net.nat]
    for i in range(nat_count):
        out.append(Desired("ec2.elastic_ip", f"eip/nat-{i}", owner.name("nat", str(i)), {}))
        out.append(
            Desired(
                "ec2.nat_gateway",
                f"nat/{i}",
                owner.name("nat", zones[i]),
                {"subnet": Ref(f"subnet/public-{i}"), "allocation": Ref(f"eip/nat-{i}")},
                # a public NAT gateway needs the VPC's internet gateway to be attached
                depends_on=("igw",),
            )
        )
    out.append(
        Desired(
            "ec2.route_table",
            "rt/public",
            owner.name("public"),
            {
                "vpc": vpc,
                "routes": {ANYWHERE: Ref("igw")},
                "subnets": frozenset(Ref(f"subnet/public-{i}") for i in range(net.azs)),
            },
        )
    )
    # One private table per zone, whatever the NAT mode, so changing the mode only
    # changes routes.
    for i in range(net.azs):
        routes = {}
        if nat_count:
            routes[ANYWHERE] = Ref(f"nat/{i if nat_count > 1 else 0}")
        out.append(
            Desired(
                "ec2.route_table",
                f"rt/private-{i}",
                owner.name("private", zones[i]),
                {"vpc": vpc, "routes": routes, "subnets": frozenset({Ref(f"subnet/private-{i}")})},
            )
        )
    private_tables = frozenset(Ref(f"rt/private-{i}") for i in range(net.azs))
    for name in net.endpoints:
        props: dict[str, Any] = {"vpc": vpc, "service": f"com.amazonaws.{spec.region}.{name}"}
        if name in GATEWAY_ENDPOINTS:  # free; a route in each private route table
            props.update(type="Gateway", route_tables=private_tables)
        else:
            # an interface endpoint: a network interface in each private subnet, private
            # DNS on so the usual service host names resolve to it
            props.update(
                type="Interface",
                subnets=frozenset(Ref(f"subnet/private-{i}") for i in range(net.azs)),
                security_groups=frozenset({Ref("sg/endpoints")}),
                private_dns=True,
            )
        out.append(
            Desired("ec2.vpc_endpoint", f"endpoint/{name}", owner.name("endpoint", name), props)
        )
    out += _security_groups(spec, owner, net)
    if any(name not in GATEWAY_ENDPOINTS for name in net.endpoints):
        out.append(_endpoint_group(spec, owner))
    return out


def _endpoint_group(spec: Spec, owner: Owner) -> Desired:
    """HTTPS to the interface endpoints, from the services' security groups only."""
    return Desired(
        "ec2.security_group",
        "sg/endpoints",
        owner.name("endpoints"),
        {
            "vpc": Ref("vpc"),
            "group_name": owner.name("endpoints"),
            "description": f"ecsdeploy {owner.prefix}: VPC interface endpoints",
            "ingress": frozenset(
                ("tcp", 443, 443, Ref(f"sg/{name}"))
                for name, svc in spec.services.items()
                if svc.mode == "classic"
            ),
        },
    )


def _security_groups(spec: Spec, owner: Owner, net: Network) -> list[Desired]:
    vpc = Ref("vpc")
    out = []
    routed = [name for name, svc in spec.services.items() if svc.routed]
    if routed:
        ports = [80]
        if spec.load_balancer and spec.load_balancer.certificate_arn:
            ports.append(443)
        out.append(
            Desired(
                "ec2.security_group",
                "sg/lb",
                owner.name("lb"),
                {
                    "vpc": vpc,
                    "group_name": owner.name("lb"),
                    "description": f"ecsdeploy {owner.prefix}: load balancer",
                    "ingress": frozenset(("tcp", p, p, ANYWHERE) for p in ports),
                },
            )
        )
    for name, svc in spec.services.items():
        ingress: frozenset[tuple[str, int, int, str | Ref]]
        if svc.mode == "express":
            # Express Mode's own load balancer sits in the VPC: the port from inside it
            ingress = frozenset({("tcp", svc.port, svc.port, net.cidr)})
        elif svc.routed:
            ingress = frozenset({("tcp", svc.port, svc.port, Ref("sg/lb"))})
        else:
            ingress = frozenset()
        out.append(
            Desired(
                "ec2.security_group",
                f"sg/{name}",
                owner.name(name),
                {
                    "vpc": vpc,
                    "group_name": owner.name(name),
                    "description": f"ecsdeploy {owner.prefix}: service {name}",
                    "ingress": ingress,
                },
            )
        )
    return out


def task_network(svc: Service, net: Network) -> tuple[str, ...]:
    """Keys of the route tables (and VPC endpoints) a service's tasks reach AWS through."""
    if svc.subnets == "public":
        return ("rt/public",)
    return (
        *(f"rt/private-{i}" for i in range(net.azs)),
        *(f"endpoint/{name}" for name in net.endpoints),
    )
