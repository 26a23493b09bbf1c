"""spec -> the list of resources the app needs. Pure: no AWS calls, same input, same output.

The only fact from AWS it needs is the region's zone names, passed in by the caller.
Each resource has a logical key (stable across runs, stored in its ``ecsdeploy:key`` tag)
and refers to others through ``Ref``s, which give the dependency graph.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from collections.abc import Mapping, Sequence
from typing import Any

from ecsdeploy.desired.hardening import build_hardening, exec_policy, lb_attribute_props
from ecsdeploy.desired.monitoring import build_alarms, build_dashboard
from ecsdeploy.images.artifacts import ArtifactRef
from ecsdeploy.images.refs import ImageRef
from ecsdeploy.resources.base import Desired, Joined, Ref
from ecsdeploy.resources.ecs_task_definition import container_health
from ecsdeploy.resources.iam_role import canonical, trust_policy
from ecsdeploy.spec.limits import GATEWAY_ENDPOINTS
from ecsdeploy.spec.models import Network, Route, Service, Spec
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


def build(
    spec: Spec,
    zones: Sequence[str],
    images: Mapping[str, ImageRef] | None = None,
    artifacts: Mapping[str, ArtifactRef] | None = None,
    account: str | None = None,
) -> list[Desired]:
    """Everything the spec asks for, in creation order.

    ``images`` maps each classic service to the image its task definition runs (resolved
    by the caller: given by ``image:`` or built from ``build:``); without it, no ECS
    resources (nor their alarms and dashboard) are planned. ``account`` names the
    access-log bucket, when the spec asks for one.
    """
    owner = owner_of(spec)
    out: list[Desired] = []
    net = network_of(spec)
    if net is not None:
        out += _network(spec, owner, net, zones)
    artifacts = artifacts or {}
    out += _artifacts(owner, artifacts)
    out += _iam(spec, owner, artifacts)
    out += _logs(spec, owner)
    classic = {n: s for n, s in spec.services.items() if s.mode == "classic"}
    express = {n: s for n, s in spec.services.items() if s.mode == "express"}
    out += _images(owner, images or {})
    has_lb = net is not None and bool(_routed(spec))
    if net is not None and classic:
        out += _load_balancer(spec, owner, net)
    if has_lb:
        out += build_hardening(spec, owner, account)
    if images is not None and (classic or express):
        out.append(_cluster(owner))
        ecs_services: dict[str, Ref | str] = {}
        if net is not None and classic:
            out += _ecs(spec, owner, net, classic, images, artifacts)
            ecs_services.update({n: Ref(f"service/{n}", "name") for n in classic})
        out += _express(spec, owner, net, express, images, artifacts)
        ecs_services.update({n: n for n in express})
        out += build_alarms(spec, owner, has_lb)
        out += build_dashboard(spec, owner, list(_routed(spec)) if has_lb else [], ecs_services)
    return out


def _cluster(owner: Owner) -> Desired:
    return Desired(
        "ecs.cluster", "cluster", owner.prefix, {"name": owner.prefix, "insights": "enabled"}
    )


INFRASTRUCTURE_POLICY = (
    "arn:aws:iam::aws:policy/service-role/AmazonECSInfrastructureRoleforExpressGatewayServices"
)
EXPRESS_METRICS = {
    "cpu": "AVERAGE_CPU",
    "memory": "AVERAGE_MEMORY",
    "requests": "REQUEST_COUNT_PER_TARGET",
}


def _express(
    spec: Spec,
    owner: Owner,
    net: Network | None,
    express: Mapping[str, Service],
    images: Mapping[str, ImageRef],
    artifacts: Mapping[str, ArtifactRef],
) -> list[Desired]:
    """Express Mode services: AWS provisions their load balancer, URL and scaling."""
    out: list[Desired] = []
    for name, svc in express.items():
        auto = svc.autoscaling
        scaling = None
        if auto is not None:
            metric, target = next(
                (m, v) for m, v in (("cpu", auto.cpu), ("memory", auto.memory),
                                    ("requests", auto.requests)) if v is not None
            )  # fmt: skip
            scaling = {
                "metric": EXPRESS_METRICS[metric],
                "target": target,
                "min": auto.min,
                "max": auto.max,
            }
        out.append(
            Desired(
                "ecs.express_service",
                f"express/{name}",
                name,
                {
                    "cluster": owner.prefix,
                    "execution_role": Ref("role/execution", "arn"),
                    "infrastructure_role": Ref("role/infrastructure", "arn"),
                    "task_role": Ref(f"role/{name}-task", "arn"),
                    "image": images[name].uri,
                    "port": svc.port,
                    "cpu": str(svc.cpu),
                    "memory": str(svc.memory),
                    "health_path": svc.health_check.path,
                    "env": {k: _env_value(spec, v, artifacts) for k, v in sorted(svc.env.items())},
                    "secrets": dict(sorted(svc.secrets.items())),
                    "log_group": owner.log_group(name),
                    # no network block: the account's default VPC, as Express Mode does
                    "subnets": (
                        frozenset(Ref(f"subnet/public-{i}") for i in range(net.azs))
                        if net
                        else None
                    ),
                    "security_groups": frozenset({Ref(f"sg/{name}")}) if net else None,
                    "scaling": scaling,
                },
                depends_on=(
                    "cluster",
                    f"logs/{name}",
                    *((f"image/{name}",) if images[name].built else ()),
                    *(f"artifact/{a}" for a in sorted(_artifacts_used(svc, artifacts))),
                ),
            )
        )
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


def _iam(spec: Spec, owner: Owner, artifacts: Mapping[str, ArtifactRef]) -> list[Desired]:
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
    if any(svc.mode == "express" for svc in spec.services.values()):
        out.append(
            Desired(
                "iam.role",
                "role/infrastructure",
                owner.role_name("infrastructure"),
                {
                    "path": path,
                    "trust": trust_policy("ecs.amazonaws.com"),
                    "managed": frozenset({INFRASTRUCTURE_POLICY}),
                    "inline": {},
                },
            )
        )
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
        if svc.exec:
            policy["exec"] = exec_policy()
        used = sorted(_artifacts_used(svc, artifacts))
        if used:  # read access to exactly the artifacts its env names, every version
            policy["artifacts"] = canonical(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": ["s3:GetObject"],
                            "Resource": [
                                f"arn:aws:s3:::{artifacts[a].bucket}/{artifacts[a].prefix}/*"
                                for a in used
                            ],
                        }
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


# --- images ----------------------------------------------------------------------------

KEEP_IMAGES = 10  # the repository lifecycle policy keeps this many


def _images(owner: Owner, images: Mapping[str, ImageRef]) -> list[Desired]:
    out = []
    for name, ref in images.items():
        if not ref.built:
            continue
        assert ref.repository and ref.tag and ref.registry
        out.append(
            Desired(
                "ecr.repository",
                f"repo/{name}",
                ref.repository,
                {"name": ref.repository, "scan_on_push": True, "keep": KEEP_IMAGES},
            )
        )
        out.append(
            Desired(
                "ecr.image",
                f"image/{name}",
                f"{ref.repository}:{ref.tag}",
                {"registry": ref.registry, "repository": ref.repository, "tag": ref.tag},
                depends_on=(f"repo/{name}",),
            )
        )
    return out


# --- load balancer ---------------------------------------------------------------------

TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"


def _routed(spec: Spec) -> dict[str, Route]:
    return {
        name: svc.route
        for name, svc in spec.services.items()
        if svc.mode == "classic" and svc.route is not None
    }


def default_service(spec: Spec) -> str | None:
    """The service whose route is ``/*`` with no host: the listener's default action."""
    for name, route in _routed(spec).items():
        if route.host is None and route.path in ("/*", "*", "/"):
            return name
    return None


def rule_priority(route: Route, name: str, taken: set[int]) -> int:
    """A priority that does not churn when other services come and go.

    More specific routes (a host, a longer literal path prefix) get lower numbers, so AWS
    evaluates them first; within one specificity band, a hash of the service name picks
    the slot (the next free one on a collision).
    """
    literal = len(re.split(r"[*?]", route.path or "")[0])
    score = min(literal, 199) + (200 if route.host else 0)
    base = (400 - score) * 100  # 100..40000, inside AWS's 1..50000
    offset = int(hashlib.sha256(name.encode()).hexdigest(), 16) % 100
    for step in range(100):
        priority = base + (offset + step) % 100
        if priority not in taken and priority >= 1:
            taken.add(priority)
            return priority
    raise ValueError("more than 100 routes of the same specificity")


def _load_balancer(spec: Spec, owner: Owner, net: Network) -> list[Desired]:
    routed = _routed(spec)
    if not routed:
        return []
    lb_spec = spec.load_balancer
    public = lb_spec.public if lb_spec else True
    cert = lb_spec.certificate_arn if lb_spec else None
    tier = "public" if public else "private"
    out = [
        Desired(
            "elbv2.load_balancer",
            "lb",
            owner.alb_name(),
            {
                "name": owner.alb_name(),
                "scheme": "internet-facing" if public else "internal",
                "subnets": frozenset(Ref(f"subnet/{tier}-{i}") for i in range(net.azs)),
                "security_groups": frozenset({Ref("sg/lb")}),
                "idle_timeout": lb_spec.idle_timeout if lb_spec else 60,
                **lb_attribute_props(lb_spec),
            },
        )
    ]
    for name in routed:
        svc = spec.services[name]
        hc = svc.health_check
        out.append(
            Desired(
                "elbv2.target_group",
                f"tg/{name}",
                owner.target_group_name(name),
                {
                    "name": owner.target_group_name(name),
                    "port": svc.port,
                    "protocol": "HTTP",
                    "vpc": Ref("vpc"),
                    "target_type": "ip",  # Fargate tasks register by IP
                    "health_path": hc.path,
                    "health_interval": hc.interval,
                    "health_timeout": hc.timeout,
                    "healthy_threshold": hc.healthy_threshold,
                    "unhealthy_threshold": hc.unhealthy_threshold,
                    "matcher": hc.matcher,
                    "deregistration_delay": svc.deregistration_delay,
                },
            )
        )
    fallback = default_service(spec)
    default_action: dict[str, Any] = (
        {"type": "forward", "target_group": Ref(f"tg/{fallback}", "arn")}
        if fallback
        else {
            "type": "fixed-response",
            "status": "404",
            "content_type": "text/plain",
            "body": "Not found",
        }
    )
    main = "listener/https" if cert else "listener/http"
    http_action = (
        {"type": "redirect", "protocol": "HTTPS", "port": "443", "status": "HTTP_301"}
        if cert
        else default_action
    )
    out.append(_listener(owner, "listener/http", 80, "HTTP", None, http_action))
    if cert:
        out.append(_listener(owner, "listener/https", 443, "HTTPS", cert, default_action))
    taken: set[int] = set()
    for name in sorted(routed):
        route = routed[name]
        if name == fallback:
            continue
        out.append(
            Desired(
                "elbv2.listener_rule",
                f"rule/{name}",
                owner.name(name, "rule"),
                {
                    "listener": Ref(main, "arn"),
                    "priority": rule_priority(route, name, taken),
                    "paths": frozenset({route.path} if route.path else ()),
                    "hosts": frozenset({route.host} if route.host else ()),
                    "target_group": Ref(f"tg/{name}", "arn"),
                },
            )
        )
    return out


def _listener(
    owner: Owner, key: str, port: int, protocol: str, cert: str | None, action: dict[str, Any]
) -> Desired:
    return Desired(
        "elbv2.listener",
        key,
        owner.name(key.split("/")[1]),
        {
            "load_balancer": Ref("lb", "arn"),
            "port": port,
            "protocol": protocol,
            "certificate": cert,
            "ssl_policy": TLS_POLICY if cert else None,
            "default_action": action,
        },
    )


def service_url(spec: Spec, name: str) -> Joined | str:
    """Where a routed service answers: load balancer (or host) plus its path prefix."""
    svc = spec.services[name]
    route = svc.route or Route(path="/*")
    scheme = "https" if spec.load_balancer and spec.load_balancer.certificate_arn else "http"
    prefix = re.split(r"[*?]", route.path or "")[0].rstrip("/")
    if route.host:
        return f"{scheme}://{route.host}{prefix}"
    return Joined((f"{scheme}://", Ref("lb", "dns_name"), prefix))


def _env_value(
    spec: Spec, value: str, artifacts: Mapping[str, ArtifactRef] | None = None
) -> str | Joined:
    """Expand ``${services.X.url}`` and ``${artifacts.X.uri}`` inside an env value."""
    parts: list[str | Ref] = []
    last = 0
    for match in REFERENCE.finditer(value):
        parts.append(value[last : match.start()])
        kind, name = match.group(1), match.group(2)
        if kind == "artifacts":
            parts.append((artifacts or {})[name].uri)
        else:
            url = service_url(spec, name)
            parts.extend(url.parts if isinstance(url, Joined) else (url,))
        last = match.end()
    if not parts:
        return value
    parts.append(value[last:])
    kept = tuple(p for p in parts if p != "")
    return Joined(kept) if any(isinstance(p, Ref) for p in kept) else "".join(map(str, kept))


REFERENCE = re.compile(r"\$\{\s*(services|artifacts)\.([a-z0-9-]+)\.(?:url|uri)\s*\}")


def _artifacts_used(svc: Service, artifacts: Mapping[str, ArtifactRef]) -> set[str]:
    return {
        m.group(2)
        for value in svc.env.values()
        for m in REFERENCE.finditer(value)
        if m.group(1) == "artifacts" and m.group(2) in artifacts
    }


def _artifacts(owner: Owner, artifacts: Mapping[str, ArtifactRef]) -> list[Desired]:
    out = []
    buckets = sorted({a.bucket for a in artifacts.values() if a.created_bucket})
    for bucket in buckets:
        out.append(
            Desired(
                "s3.bucket",
                "bucket/artifacts",
                bucket,
                {"name": bucket, "private": True, "encryption": "AES256"},
            )
        )
    for name, ref in sorted(artifacts.items()):
        out.append(
            Desired(
                "s3.object",
                f"artifact/{name}",
                ref.uri,
                {"bucket": ref.bucket, "key": ref.key, "sha256": ref.sha256},
                depends_on=("bucket/artifacts",) if ref.created_bucket else (),
                initial={"path": str(ref.path)},
            )
        )
    return out


# --- ECS -------------------------------------------------------------------------------


def _ecs(
    spec: Spec,
    owner: Owner,
    net: Network,
    classic: Mapping[str, Service],
    images: Mapping[str, ImageRef],
    artifacts: Mapping[str, ArtifactRef],
) -> list[Desired]:
    out: list[Desired] = []
    fallback = default_service(spec)
    main = (
        "listener/https"
        if spec.load_balancer and spec.load_balancer.certificate_arn
        else "listener/http"
    )
    for name, svc in classic.items():
        hc = svc.health_check
        out.append(
            Desired(
                "ecs.task_definition",
                f"taskdef/{name}",
                owner.name(name),
                {
                    "cpu": str(svc.cpu),
                    "memory": str(svc.memory),
                    "execution_role": Ref("role/execution", "arn"),
                    "task_role": Ref(f"role/{name}-task", "arn"),
                    "container": name,
                    "image": images[name].uri,
                    "port": svc.port,
                    "env": {k: _env_value(spec, v, artifacts) for k, v in sorted(svc.env.items())},
                    "secrets": dict(sorted(svc.secrets.items())),
                    "log_group": owner.log_group(name),
                    "health": container_health(hc.command, hc.grace_period),
                },
                # awslogs needs the group to exist first; a built image must be pushed
                depends_on=(
                    f"logs/{name}",
                    *((f"image/{name}",) if images[name].built else ()),
                    *(f"artifact/{a}" for a in sorted(_artifacts_used(svc, artifacts))),
                ),
            )
        )
        props: dict[str, Any] = {
            "cluster": Ref("cluster", "arn"),
            "launch_type": "FARGATE",
            "task_definition": Ref(f"taskdef/{name}", "arn"),
            "subnets": frozenset(Ref(f"subnet/{svc.subnets}-{i}") for i in range(net.azs)),
            "security_groups": frozenset({Ref(f"sg/{name}")}),
            "public_ip": svc.subnets == "public",
            "load_balancers": frozenset(),
            "grace_period": None,
            "circuit_breaker": True,
            "min_healthy": 100,
            "max_percent": 200,
            "exec": svc.exec,
        }
        # ECS starts the tasks at once, and they pull their image and write their logs
        # through their subnets' routes (to the NAT or internet gateway) and the VPC
        # endpoints: those must be in place first, or the tasks fail to start
        depends: tuple[str, ...] = _task_network(svc, net)
        if svc.route is not None:
            props["load_balancers"] = frozenset({(Ref(f"tg/{name}", "arn"), name, svc.port)})
            props["grace_period"] = hc.grace_period
            # AWS refuses a target group that no listener or rule forwards to yet
            depends += (main,) if name == fallback else (f"rule/{name}",)
        initial: dict[str, Any] = {}
        if svc.autoscaling is None:
            props["desired_count"] = svc.desired_count
        else:
            initial["desired_count"] = svc.desired_count
        out.append(Desired("ecs.service", f"service/{name}", name, props, depends, initial=initial))
        if svc.autoscaling is not None:
            out += _scaling(owner, name, svc)
    return out


def _task_network(svc: Service, net: Network) -> tuple[str, ...]:
    """Keys of the route tables (and VPC endpoints) a service's tasks reach AWS through."""
    if svc.subnets == "public":
        return ("rt/public",)
    return (
        *(f"rt/private-{i}" for i in range(net.azs)),
        *(f"endpoint/{name}" for name in net.endpoints),
    )


def _scaling(owner: Owner, name: str, svc: Service) -> list[Desired]:
    auto = svc.autoscaling
    assert auto is not None
    rid = f"service/{owner.prefix}/{name}"
    out = [
        Desired(
            "autoscaling.target",
            f"scaling/{name}",
            rid,
            {"resource_id": rid, "min": auto.min, "max": auto.max},
            depends_on=(f"service/{name}",),
        )
    ]
    targets = {"cpu": auto.cpu, "memory": auto.memory, "requests": auto.requests}
    metrics = {
        "cpu": "ECSServiceAverageCPUUtilization",
        "memory": "ECSServiceAverageMemoryUtilization",
        "requests": "ALBRequestCountPerTarget",
    }
    for metric, value in targets.items():
        if value is None:
            continue
        label: Joined | None = None
        if metric == "requests":
            label = Joined((Ref("lb", "full_name"), "/", Ref(f"tg/{name}", "full_name")))
        out.append(
            Desired(
                "autoscaling.policy",
                f"scaling/{name}/{metric}",
                owner.name(name, metric),
                {
                    "resource_id": rid,
                    "policy_name": owner.name(name, metric),
                    "metric": metrics[metric],
                    "resource_label": label,
                    "target": float(value),
                },
                depends_on=(f"scaling/{name}",),
                # Application Auto Scaling checks the target group's load balancer behind
                # a request-count label; whether it accepts one still provisioning is not
                # documented, so that policy waits for it to be active
                needs_ready=("lb",) if metric == "requests" else (),
            )
        )
    return out
