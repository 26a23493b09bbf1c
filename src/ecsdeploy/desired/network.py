"""spec -> the network layer: VPC, internet gateway, subnets, NAT gateways and their
addresses, route tables, VPC endpoints and security groups. Pure."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from ecsdeploy.desired.common import ANYWHERE
from ecsdeploy.desired.service_connect import caller_rules
from ecsdeploy.resources import keys
from ecsdeploy.resources.base import Desired, Ref
from ecsdeploy.resources.elastic_ip import ElasticIpProps
from ecsdeploy.resources.internet_gateway import InternetGatewayProps
from ecsdeploy.resources.nat_gateway import NatGatewayProps
from ecsdeploy.resources.route_table import RouteTableProps
from ecsdeploy.resources.security_group import SecurityGroupProps
from ecsdeploy.resources.subnet import SubnetProps
from ecsdeploy.resources.vpc import VpcProps
from ecsdeploy.resources.vpc_endpoint import VpcEndpointProps
from ecsdeploy.spec.limits import GATEWAY_ENDPOINTS
from ecsdeploy.spec.models import Service, Spec
from ecsdeploy.spec.naming import Owner
from ecsdeploy.spec.network_models import Network


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
    vpc = Ref(keys.VPC)
    out = [
        Desired(
            "ec2.vpc",
            keys.VPC,
            owner.name("vpc"),
            VpcProps(cidr=net.cidr, dns_support=True, dns_hostnames=True),
        ),
        Desired(
            "ec2.internet_gateway",
            keys.INTERNET_GATEWAY,
            owner.name("igw"),
            InternetGatewayProps(vpc=vpc),
        ),
    ]
    public, private = subnet_cidrs(net.cidr, net.azs)
    for i in range(net.azs):
        for tier, cidrs in (("public", public), ("private", private)):
            out.append(
                Desired(
                    "ec2.subnet",
                    keys.subnet(tier, i),
                    owner.name(tier, zones[i]),
                    SubnetProps(vpc=vpc, cidr=cidrs[i], az=zones[i]),
                )
            )
    nat_count = {"none": 0, "single": 1, "per_az": net.azs}[net.nat]
    for i in range(nat_count):
        out.append(
            Desired(
                "ec2.elastic_ip", keys.nat_address(i), owner.name("nat", str(i)), ElasticIpProps()
            )
        )
        out.append(
            Desired(
                "ec2.nat_gateway",
                keys.nat_gateway(i),
                owner.name("nat", zones[i]),
                NatGatewayProps(
                    subnet=Ref(keys.subnet("public", i)), allocation=Ref(keys.nat_address(i))
                ),
                # a public NAT gateway needs the VPC's internet gateway to be attached
                depends_on=(keys.INTERNET_GATEWAY,),
            )
        )
    out.append(
        Desired(
            "ec2.route_table",
            keys.PUBLIC_ROUTE_TABLE,
            owner.name("public"),
            RouteTableProps(
                vpc=vpc,
                routes={ANYWHERE: Ref(keys.INTERNET_GATEWAY)},
                subnets=frozenset(Ref(keys.subnet("public", i)) for i in range(net.azs)),
            ),
        )
    )
    # One private table per zone, whatever the NAT mode, so changing the mode only
    # changes routes.
    for i in range(net.azs):
        routes: dict[str, str | Ref] = {}
        if nat_count:
            routes[ANYWHERE] = Ref(keys.nat_gateway(i if nat_count > 1 else 0))
        out.append(
            Desired(
                "ec2.route_table",
                keys.private_route_table(i),
                owner.name("private", zones[i]),
                RouteTableProps(
                    vpc=vpc, routes=routes, subnets=frozenset({Ref(keys.subnet("private", i))})
                ),
            )
        )
    private_tables = frozenset(Ref(keys.private_route_table(i)) for i in range(net.azs))
    for name in net.endpoints:
        service = f"com.amazonaws.{spec.region}.{name}"
        props: VpcEndpointProps
        if name in GATEWAY_ENDPOINTS:  # free; a route in each private route table
            props = VpcEndpointProps(
                vpc=vpc, service=service, type="Gateway", route_tables=private_tables
            )
        else:
            # an interface endpoint: a network interface in each private subnet, private
            # DNS on so the usual service host names resolve to it
            props = VpcEndpointProps(
                vpc=vpc,
                service=service,
                type="Interface",
                subnets=frozenset(Ref(keys.subnet("private", i)) for i in range(net.azs)),
                security_groups=frozenset({Ref(keys.ENDPOINTS_GROUP)}),
                private_dns=True,
            )
        out.append(
            Desired(
                "ec2.vpc_endpoint", keys.vpc_endpoint(name), owner.name("endpoint", name), props
            )
        )
    out += _security_groups(spec, owner, net)
    if any(name not in GATEWAY_ENDPOINTS for name in net.endpoints):
        out.append(_endpoint_group(spec, owner))
    return out


def _endpoint_group(spec: Spec, owner: Owner) -> Desired:
    """HTTPS to the interface endpoints, from the services' security groups only."""
    return Desired(
        "ec2.security_group",
        keys.ENDPOINTS_GROUP,
        owner.name("endpoints"),
        SecurityGroupProps(
            vpc=Ref(keys.VPC),
            group_name=owner.name("endpoints"),
            description=f"ecsdeploy {owner.prefix}: VPC interface endpoints",
            ingress=frozenset(
                ("tcp", 443, 443, Ref(keys.service_group(name)))
                for name, svc in spec.services.items()
                if svc.mode == "classic"
            )
            | frozenset(("tcp", 443, 443, Ref(keys.service_group(name))) for name in spec.jobs),
        ),
    )


def _security_groups(spec: Spec, owner: Owner, net: Network) -> list[Desired]:
    vpc = Ref(keys.VPC)
    out = []
    routed = [name for name, svc in spec.services.items() if svc.routed]
    if routed:
        ports = [80]
        if spec.load_balancer and spec.load_balancer.https():
            ports.append(443)
        out.append(
            Desired(
                "ec2.security_group",
                keys.LOAD_BALANCER_GROUP,
                owner.name("lb"),
                SecurityGroupProps(
                    vpc=vpc,
                    group_name=owner.name("lb"),
                    description=f"ecsdeploy {owner.prefix}: load balancer",
                    ingress=frozenset(("tcp", p, p, ANYWHERE) for p in ports),
                ),
            )
        )
    for name, svc in spec.services.items():
        ingress: frozenset[tuple[str, int, int, str | Ref]]
        if svc.port is None:  # a worker: nothing connects to it
            ingress = frozenset()
        elif svc.mode == "express":
            # Express Mode's own load balancer sits in the VPC: the port from inside it
            ingress = frozenset({("tcp", svc.port, svc.port, net.cidr)})
        elif svc.routed:
            ingress = frozenset({("tcp", svc.port, svc.port, Ref(keys.LOAD_BALANCER_GROUP))})
        else:
            ingress = frozenset()
        ingress |= caller_rules(spec, name)  # Service Connect: exactly its callers
        out.append(
            Desired(
                "ec2.security_group",
                keys.service_group(name),
                owner.name(name),
                SecurityGroupProps(
                    vpc=vpc,
                    group_name=owner.name(name),
                    description=f"ecsdeploy {owner.prefix}: service {name}",
                    ingress=ingress,
                ),
            )
        )
    return out


def task_network(svc: Service, net: Network) -> tuple[str, ...]:
    """Keys of the route tables (and VPC endpoints) a service's tasks reach AWS through."""
    if svc.subnets == "public":
        return (keys.PUBLIC_ROUTE_TABLE,)
    return (
        *(keys.private_route_table(i) for i in range(net.azs)),
        *(keys.vpc_endpoint(name) for name in net.endpoints),
    )
