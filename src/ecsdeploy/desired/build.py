"""spec -> the list of resources the app needs. Pure: no AWS calls, same input, same output.

The only fact from AWS it needs is the region's zone names, passed in by the caller.
Each resource has a logical key (stable across runs, stored in its ``ecsdeploy:key`` tag)
and refers to others through ``Ref``s, which give the dependency graph.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from ecsdeploy.resources.base import Desired, Ref
from ecsdeploy.resources.iam_role import canonical, trust_policy
from ecsdeploy.spec.models import Network, Spec
from ecsdeploy.spec.naming import Owner

EXECUTION_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
ANYWHERE = "0.0.0.0/0"


def owner_of(spec: Spec) -> Owner:
    return Owner(spec.app, spec.env)


def network_of(spec: Spec) -> Network | None:
    """The network to build: the spec's, or the defaults when classic services need one."""
    if spec.network is not None:
        return spec.network
    if any(s.mode == "classic" for s in spec.services.values()):
        return Network()
    return None  # express-only apps use the account's default VPC, as Express Mode does


def subnet_cidrs(cidr: str, azs: int) -> tuple[list[str], list[str]]:
    """Public and private subnet CIDRs: the VPC split in 16; public first, private from 8."""
    net = ipaddress.ip_network(cidr)
    parts = list(net.subnets(prefixlen_diff=4))
    public = [str(parts[i]) for i in range(azs)]
    private = [str(parts[8 + i]) for i in range(azs)]
    return public, private


def build(spec: Spec, zones: Sequence[str]) -> list[Desired]:
    """Everything the spec asks for, in creation order."""
    owner = owner_of(spec)
    out: list[Desired] = []
    net = network_of(spec)
    if net is not None:
        out += _network(spec, owner, net, zones)
    out += _iam(spec, owner)
    out += _logs(spec, owner)
    return out


def _network(spec: Spec, owner: Owner, net: Network, zones: Sequence[str]) -> list[Desired]:
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
        if name in ("s3", "dynamodb"):
            out.append(
                Desired(
                    "ec2.vpc_endpoint",
                    f"endpoint/{name}",
                    owner.name("endpoint", name),
                    {
                        "vpc": vpc,
                        "service": f"com.amazonaws.{spec.region}.{name}",
                        "type": "Gateway",
                        "route_tables": private_tables,
                    },
                )
            )
    out += _security_groups(spec, owner)
    return out


def _security_groups(spec: Spec, owner: Owner) -> list[Desired]:
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
        if svc.mode != "classic":
            continue
        ingress = (
            frozenset({("tcp", svc.port, svc.port, Ref("sg/lb"))}) if svc.routed else frozenset()
        )
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


def _iam(spec: Spec, owner: Owner) -> list[Desired]:
    path = owner.iam_path()
    tasks = trust_policy("ecs-tasks.amazonaws.com")
    secret_arns = sorted({arn for svc in spec.services.values() for arn in svc.secrets.values()})
    inline: dict[str, str] = {}
    if secret_arns:
        inline["read-secrets"] = canonical(_secrets_policy(secret_arns))
    out = [
        Desired(
            "iam.role",
            "role/execution",
            owner.role_name("execution"),
            {
                "path": path,
                "trust": tasks,
                "managed": frozenset({EXECUTION_POLICY}),
                "inline": inline,
            },
        )
    ]
    for name, svc in spec.services.items():
        policy: dict[str, str] = {}
        if svc.permissions:
            policy["permissions"] = canonical(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {"Effect": p.effect, "Action": list(p.actions), "Resource": p.resources}
                        for p in svc.permissions
                    ],
                }
            )
        out.append(
            Desired(
                "iam.role",
                f"role/{name}-task",
                owner.role_name(name, "task"),
                {"path": path, "trust": tasks, "managed": frozenset(), "inline": policy},
            )
        )
    return out


def _secrets_policy(arns: list[str]) -> dict[str, object]:
    statements: list[dict[str, object]] = []
    ssm = [a for a in arns if ":ssm:" in a]
    sm = [a for a in arns if ":secretsmanager:" in a]
    if ssm:
        statements.append({"Effect": "Allow", "Action": ["ssm:GetParameters"], "Resource": ssm})
    if sm:
        # ``valueFrom`` may add ":json-key::" to a secret ARN; the grant is on the secret.
        statements.append(
            {
                "Effect": "Allow",
                "Action": ["secretsmanager:GetSecretValue"],
                "Resource": sorted({_secret_base(a) for a in sm}),
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


def _secret_base(arn: str) -> str:
    parts = arn.split(":")
    return ":".join(parts[:7])


def _logs(spec: Spec, owner: Owner) -> list[Desired]:
    return [
        Desired(
            "logs.log_group",
            f"logs/{name}",
            owner.log_group(name),
            {"retention_days": spec.logs.retention_days},
        )
        for name in spec.services
    ]
