"""Rules that the models' types cannot express: AWS limits and references between keys.

Each check yields ``(path, message)``; the loader turns the path into a file line. Every
message says what is wrong and what would be right. This module checks the app as a whole
(names, region, network, load balancer, alarms, artifacts) and calls ``service_checks`` for
each service; the limits both test against are in ``limits``.
"""

from __future__ import annotations

import contextlib
import difflib
import ipaddress

from ecsdeploy.aws.regions import REGION_RE
from ecsdeploy.spec.deploy_checks import check_deploy
from ecsdeploy.spec.domain_checks import check_domain
from ecsdeploy.spec.job_checks import check_jobs
from ecsdeploy.spec.limits import (
    BUCKET_RE,
    CERT_ARN_RE,
    EMAIL_RE,
    ENDPOINT_GROUPS,
    GATEWAY_ENDPOINTS,
    KNOWN_ENDPOINTS,
    TOPIC_ARN_RE,
    WAF_RATE_LIMIT,
    Found,
    Path,
)
from ecsdeploy.spec.models import Service, Spec
from ecsdeploy.spec.naming import MAX_APP, MAX_ENV, MAX_SERVICE, name_problem
from ecsdeploy.spec.network_models import Network
from ecsdeploy.spec.service_checks import check_service, check_thresholds


def check(spec: Spec) -> Found:
    """All problems in ``spec``, in file order as far as possible."""
    yield from _names(spec)
    if not REGION_RE.match(spec.region):
        yield ("region",), f"'{spec.region}' is not an AWS region name (e.g. us-west-2)"
    yield from _network(spec)
    yield from _without_nat(spec)
    yield from _load_balancer(spec)
    yield from check_domain(spec)
    yield from _alarms(spec)
    if spec.logs.retention_days not in RETENTION_DAYS:
        yield (
            ("logs", "retention_days"),
            f"{spec.logs.retention_days} is not a CloudWatch retention; choose one of "
            + ", ".join(str(d) for d in sorted(RETENTION_DAYS)),
        )
    if not spec.services:
        yield ("services",), "no services; add at least one under `services:`"
    routes: dict[tuple[str | None, str | None], str] = {}
    for name, svc in spec.services.items():
        yield from check_service(spec, name, svc, routes)
    yield from _artifacts(spec)
    yield from check_deploy(spec)
    yield from check_jobs(spec)


def _artifacts(spec: Spec) -> Found:
    for name, artifact in spec.artifacts.items():
        why = name_problem(name, MAX_SERVICE)
        if why:
            yield ("artifacts", name), f"artifact name '{name}' {why}"
        if artifact.bucket is not None and not BUCKET_RE.match(artifact.bucket):
            yield (
                ("artifacts", name, "bucket"),
                f"'{artifact.bucket}' is not an S3 bucket name (3-63 lowercase letters, "
                "digits, dots and hyphens)",
            )
        if artifact.prefix is not None and (
            artifact.prefix.startswith("/") or not artifact.prefix.strip("/")
        ):
            yield (("artifacts", name, "prefix"), "a key prefix such as models/iris, no leading /")


RETENTION_DAYS = {1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827,
                  2192, 2557, 2922, 3288, 3653}  # fmt: skip


def _names(spec: Spec) -> Found:
    for key, value, limit in (("app", spec.app, MAX_APP), ("env", spec.env, MAX_ENV)):
        why = name_problem(value, limit)
        if why:
            yield (key,), f"'{value}' {why}"
    # Security-group names are "APP-ENV-..." and AWS reserves the "sg-" prefix for ids.
    if spec.app.startswith("sg-"):
        yield ("app",), f"'{spec.app}' must not start with 'sg-' (AWS reserves it); rename the app"
    # The load balancer is named "APP-ENV"; ELB refuses names that start with "internal-"
    # (CreateLoadBalancer: "must not begin with 'internal-'").
    if f"{spec.app}-{spec.env}".startswith("internal-"):
        yield (
            ("app",),
            f"'{spec.app}' makes the load balancer's name start with 'internal-', which AWS "
            "refuses; rename the app",
        )
    for name in spec.services:
        why = name_problem(name, MAX_SERVICE)
        if why:
            yield ("services", name), f"service name '{name}' {why}"


def _network(spec: Spec) -> Found:
    net = spec.network
    if net is None:
        return
    try:
        cidr = ipaddress.ip_network(net.cidr, strict=True)
    except ValueError as exc:
        hint = ""
        with contextlib.suppress(ValueError):
            hint = f" (did you mean {ipaddress.ip_network(net.cidr, strict=False)}?)"
        yield ("network", "cidr"), f"'{net.cidr}' is not a valid network: {exc}{hint}"
        cidr = None
    if cidr is not None:
        if cidr.version != 4:
            yield ("network", "cidr"), "must be an IPv4 block such as 10.0.0.0/16"
        elif not 16 <= cidr.prefixlen <= 24:
            yield (
                ("network", "cidr"),
                f"/{cidr.prefixlen} is outside what a VPC allows here; use a /16 to /24 "
                "(e.g. 10.0.0.0/16)",
            )
    if cidr is not None and cidr.version == 4 and 16 <= cidr.prefixlen <= 24 and net.azs >= 1:
        yield from _subnet_room(spec, net, cidr.prefixlen)
    if not 1 <= net.azs <= 6:
        yield ("network", "azs"), f"{net.azs} zones; choose 1 to 6 (2 or more for a load balancer)"
    elif net.azs < 2 and any(s.routed for s in spec.services.values()):
        yield (
            ("network", "azs"),
            "a load balancer needs subnets in at least 2 zones; set azs: 2",
        )
    seen: set[str] = set()
    for i, ep in enumerate(net.endpoints):
        if ep in seen:
            yield ("network", "endpoints", i), f"'{ep}' is listed twice"
        seen.add(ep)
        if ep in ENDPOINT_GROUPS:
            yield (
                ("network", "endpoints", i),
                f"'{ep}' is not one endpoint service; list {ENDPOINT_GROUPS[ep]}",
            )
        elif ep not in KNOWN_ENDPOINTS:
            yield (
                ("network", "endpoints", i),
                f"'{ep}' is not a VPC endpoint service ecsdeploy knows; " + _endpoint_hint(ep),
            )


def _endpoint_hint(name: str) -> str:
    close = difflib.get_close_matches(name, sorted(KNOWN_ENDPOINTS), n=1, cutoff=0.5)
    if close:
        return f"did you mean '{close[0]}'?"
    return "known ones include s3, ecr.api, ecr.dkr, logs, ssm, secretsmanager (docs/guide.md)"


# The VPC is split in 16 equal subnets (desired/); AWS keeps 5 addresses of each.
SUBNET_SPLIT_BITS = 4
RESERVED_PER_SUBNET = 5
ALB_SUBNET_PREFIX = 27  # an ALB's subnets: at least /27 with 8 free addresses
ALB_FREE_ADDRESSES = 8


def _subnet_room(spec: Spec, net: Network, vpc_prefix: int) -> Found:
    """Each subnet holds what runs in it: refuse a VPC too small, with the arithmetic.

    During a rolling deploy a service runs up to twice its tasks (maximumPercent 200), each
    with an address of its own (awsvpc); an interface endpoint takes one address per zone;
    a NAT gateway one in its public subnet; an ALB at least 8 in subnets of /27 or more."""
    prefix = vpc_prefix + SUBNET_SPLIT_BITS
    usable = 2 ** (32 - prefix) - RESERVED_PER_SUBNET
    classic = [s for s in spec.services.values() if s.mode == "classic"]
    azs = net.azs
    layout = (
        f"a /{vpc_prefix} VPC is split into 16 subnets of /{prefix} "
        f"({usable} usable addresses each)"
    )
    bigger = f"use a /{max(16, vpc_prefix - 1)} or larger VPC (network.cidr)"
    if any(s.routed for s in classic) and prefix > ALB_SUBNET_PREFIX:
        yield (
            ("network", "cidr"),
            f"{layout}; a load balancer needs subnets of /{ALB_SUBNET_PREFIX} or larger; "
            f"use a /{ALB_SUBNET_PREFIX - SUBNET_SPLIT_BITS} or larger VPC (network.cidr)",
        )
        return
    for kind in ("private", "public"):
        tasks = sum(2 * _most_tasks(s) for s in classic if s.subnets == kind)
        needs = -(-tasks // azs)  # the tasks spread over the zones, rounded up
        parts = [f"{tasks} task addresses over {azs} zones (twice each service's most tasks, "
                 "during a rolling deploy)"]  # fmt: skip
        if kind == "private":
            interface = [e for e in dict.fromkeys(net.endpoints) if e not in GATEWAY_ENDPOINTS]
            needs += len(interface)
            parts.append(f"{len(interface)} interface endpoints")
        else:
            nat = 0 if net.nat == "none" else 1
            alb = ALB_FREE_ADDRESSES if any(s.routed for s in classic) else 0
            needs += nat + alb
            parts.append(f"{nat} NAT gateway and {alb} for the load balancer")
        if needs > usable:
            yield (
                ("network", "cidr"),
                f"{layout}, but each {kind} subnet needs {needs}: {', '.join(parts)}; {bigger}",
            )


def _most_tasks(svc: Service) -> int:
    return max(svc.desired_count, svc.autoscaling.max if svc.autoscaling else 0)


def _without_nat(spec: Spec) -> Found:
    """With no NAT, private tasks reach AWS only through VPC endpoints: refuse what can't work."""
    net = spec.network
    if net is None or net.nat != "none":
        return
    private = {n: s for n, s in spec.services.items() if s.subnets == "private"}
    if not private:
        return
    have = set(net.endpoints)
    needs: dict[str, str] = {}
    for name, svc in private.items():
        image = svc.image or ""
        if svc.build is not None or ".dkr.ecr." in image:
            for ep in ("ecr.api", "ecr.dkr", "s3"):
                needs.setdefault(ep, "images can't be pulled from ECR")
        elif image:
            yield (
                ("services", name, "image"),
                f"'{image}' is not in ECR, and with nat: none private tasks can pull only "
                "from ECR (through endpoints); push it to ECR, use build:, or set nat: single",
            )
        needs.setdefault("logs", "logs can't be shipped to CloudWatch")
        if svc.exec:
            needs.setdefault("ssmmessages", "ECS Exec (exec: true) can't open its session")
        for arn in svc.secrets.values():
            if ":ssm:" in arn:
                needs.setdefault("ssm", "SSM parameters in `secrets` can't be read")
            else:
                needs.setdefault("secretsmanager", "Secrets Manager secrets can't be read")
    missing = [ep for ep in needs if ep not in have]
    if missing:
        reasons = "; ".join(f"{ep}: {needs[ep]}" for ep in missing)
        yield (
            ("network", "endpoints") if net.endpoints else ("network", "nat"),
            f"nat is none and services run in private subnets, but endpoints "
            f"[{', '.join(missing)}] are missing ({reasons}); add them to network.endpoints "
            "or set nat: single",
        )


def _load_balancer(spec: Spec) -> Found:
    lb = spec.load_balancer
    if lb is not None and not any(s.mode == "classic" and s.routed for s in spec.services.values()):
        for key in ("waf", "access_logs", "deletion_protection"):
            if getattr(lb, key):
                yield (
                    ("load_balancer", key),
                    "applies to the load balancer ecsdeploy builds for classic services with "
                    "a `route:`, and no service has one (Express Mode services run behind "
                    "AWS's own load balancer)",
                )
    if lb and lb.waf and not WAF_RATE_LIMIT[0] <= lb.waf.rate_limit <= WAF_RATE_LIMIT[1]:
        yield (
            ("load_balancer", "waf", "rate_limit"),
            f"{lb.waf.rate_limit} requests per 5 minutes; choose "
            f"{WAF_RATE_LIMIT[0]}-{WAF_RATE_LIMIT[1]:,}",
        )
    if lb and lb.access_logs and not 1 <= lb.access_logs.retention_days <= 3650:
        yield (
            ("load_balancer", "access_logs", "retention_days"),
            f"{lb.access_logs.retention_days} days; choose 1-3650",
        )
    if lb and not 1 <= lb.idle_timeout <= 4000:
        yield ("load_balancer", "idle_timeout"), f"{lb.idle_timeout}s; choose 1-4000 seconds"
    if lb and lb.certificate_arn is not None and not CERT_ARN_RE.match(lb.certificate_arn):
        yield (
            ("load_balancer", "certificate_arn"),
            f"'{lb.certificate_arn}' is not an ACM certificate ARN "
            "(arn:aws:acm:REGION:ACCOUNT:certificate/ID)",
        )


def _alarms(spec: Spec) -> Found:
    alarms = spec.alarms
    if alarms is None:
        return
    yield from check_thresholds(("alarms",), alarms)
    for i, address in enumerate(alarms.email):
        if not EMAIL_RE.match(address):
            where: Path = ("alarms", "email", i) if len(alarms.email) > 1 else ("alarms", "email")
            yield where, f"'{address}' is not an email address (e.g. ops@example.com)"
    if alarms.sns_topic_arn is not None:
        if not TOPIC_ARN_RE.match(alarms.sns_topic_arn):
            yield (
                ("alarms", "sns_topic_arn"),
                f"'{alarms.sns_topic_arn}' is not an SNS topic ARN "
                "(arn:aws:sns:REGION:ACCOUNT:NAME)",
            )
        if alarms.email:
            yield (
                ("alarms", "sns_topic_arn"),
                "give either email (a topic ecsdeploy creates) or sns_topic_arn (your own "
                "topic, subscribe to it yourself), not both",
            )
