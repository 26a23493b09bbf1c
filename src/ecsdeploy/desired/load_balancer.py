"""spec -> the load balancer layer: the application load balancer, a target group per
routed service, the listeners, a listener rule per non-default route; and the URL a
routed service answers at. Pure."""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace

from ecsdeploy.desired.common import default_service, routed
from ecsdeploy.desired.domain import certificate_key, domain_url
from ecsdeploy.desired.hardening import lb_attribute_props
from ecsdeploy.resources import keys
from ecsdeploy.resources.base import Desired, Joined, Ref
from ecsdeploy.resources.listener import ListenerProps
from ecsdeploy.resources.listener_rule import ListenerRuleProps
from ecsdeploy.resources.load_balancer import LoadBalancerProps
from ecsdeploy.resources.target_group import TargetGroupProps
from ecsdeploy.spec.models import Route, Spec
from ecsdeploy.spec.naming import Owner
from ecsdeploy.spec.network_models import Network

TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"


def main_listener(spec: Spec) -> str:
    """Key of the listener the services' rules hang off: HTTPS with a certificate."""
    https = spec.load_balancer is not None and spec.load_balancer.https()
    return keys.HTTPS_LISTENER if https else keys.HTTP_LISTENER


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


def load_balancer_resources(spec: Spec, owner: Owner, net: Network) -> list[Desired]:
    """The load balancer, target groups, listeners and rules; none without a route."""
    routes = routed(spec)
    if not routes:
        return []
    lb_spec = spec.load_balancer
    public = lb_spec.public if lb_spec else True
    requested = certificate_key(spec)
    cert: str | Ref | None = Ref(requested, "arn") if requested else None
    cert = (lb_spec.certificate_arn if lb_spec else None) or cert
    tier = "public" if public else "private"
    out = [
        Desired(
            "elbv2.load_balancer",
            keys.LOAD_BALANCER,
            owner.alb_name(),
            LoadBalancerProps(
                name=owner.alb_name(),
                scheme="internet-facing" if public else "internal",
                subnets=frozenset(Ref(keys.subnet(tier, i)) for i in range(net.azs)),
                security_groups=frozenset({Ref(keys.LOAD_BALANCER_GROUP)}),
                idle_timeout=lb_spec.idle_timeout if lb_spec else 60,
                **lb_attribute_props(lb_spec),
            ),
        )
    ]
    for name in routes:
        svc = spec.services[name]
        hc = svc.health_check
        out.append(
            Desired(
                "elbv2.target_group",
                keys.target_group(name),
                owner.target_group_name(name),
                TargetGroupProps(
                    name=owner.target_group_name(name),
                    port=svc.listening_port,
                    protocol="HTTP",
                    vpc=Ref(keys.VPC),
                    target_type="ip",  # Fargate tasks register by IP
                    health_path=hc.path,
                    health_interval=hc.interval,
                    health_timeout=hc.timeout,
                    healthy_threshold=hc.healthy_threshold,
                    unhealthy_threshold=hc.unhealthy_threshold,
                    matcher=hc.matcher,
                    deregistration_delay=svc.deregistration_delay,
                ),
            )
        )
    fallback = default_service(spec)
    default_action: dict[str, str | Ref] = (
        {"type": "forward", "target_group": Ref(keys.target_group(fallback), "arn")}
        if fallback
        else {
            "type": "fixed-response",
            "status": "404",
            "content_type": "text/plain",
            "body": "Not found",
        }
    )
    main = main_listener(spec)
    http_action: dict[str, str | Ref] = (
        {"type": "redirect", "protocol": "HTTPS", "port": "443", "status": "HTTP_301"}
        if cert
        else default_action
    )
    out.append(_listener(owner, "http", 80, None, http_action))
    if cert:
        https = _listener(owner, "https", 443, cert, default_action)
        if requested:  # AWS refuses a certificate that is not ISSUED yet
            https = replace(https, needs_ready=(requested,))
        out.append(https)
    taken: set[int] = set()
    for name in sorted(routes):
        route = routes[name]
        if name == fallback:
            continue
        out.append(
            Desired(
                "elbv2.listener_rule",
                keys.listener_rule(name),
                owner.name(name, "rule"),
                ListenerRuleProps(
                    listener=Ref(main, "arn"),
                    priority=rule_priority(route, name, taken),
                    paths=frozenset({route.path} if route.path else ()),
                    hosts=frozenset({route.host} if route.host else ()),
                    target_group=Ref(keys.target_group(name), "arn"),
                ),
            )
        )
    return out


def _listener(
    owner: Owner, protocol: str, port: int, cert: str | Ref | None, action: dict[str, str | Ref]
) -> Desired:
    return Desired(
        "elbv2.listener",
        keys.listener(protocol),
        owner.name(protocol),
        ListenerProps(
            load_balancer=Ref(keys.LOAD_BALANCER, "arn"),
            port=port,
            protocol=protocol.upper(),
            certificate=cert,
            ssl_policy=TLS_POLICY if cert else None,
            default_action=action,
        ),
    )


def service_url(spec: Spec, name: str) -> Joined | str:
    """Where a routed service answers: load balancer (or host) plus its path prefix."""
    svc = spec.services[name]
    route = svc.route or Route(path="/*")
    scheme = "https" if spec.load_balancer and spec.load_balancer.https() else "http"
    prefix = re.split(r"[*?]", route.path or "")[0].rstrip("/")
    if route.host:
        return f"{scheme}://{route.host}{prefix}"
    own = domain_url(spec)
    if own:
        return f"{own}{prefix}"
    return Joined((f"{scheme}://", Ref(keys.LOAD_BALANCER, "dns_name"), prefix))
