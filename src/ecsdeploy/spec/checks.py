"""Rules that the models' types cannot express: AWS limits and references between keys.

Each check yields ``(path, message)``; the loader turns the path into a file line. Every
message says what is wrong and what would be right.
"""

from __future__ import annotations

import contextlib
import difflib
import ipaddress
import re
from collections.abc import Iterator

from ecsdeploy.spec.models import Service, Spec, Thresholds
from ecsdeploy.spec.naming import MAX_APP, MAX_ENV, MAX_SERVICE, name_problem

Path = tuple[str | int, ...]
Found = Iterator[tuple[Path, str]]

# Fargate task sizes: cpu units -> (min MiB, max MiB, step MiB).
FARGATE_SIZES: dict[int, tuple[int, int, int]] = {
    256: (512, 2048, 512),  # 512, 1024, 2048 (and 1536 is not valid: handled below)
    512: (1024, 4096, 1024),
    1024: (2048, 8192, 1024),
    2048: (4096, 16384, 1024),
    4096: (8192, 30720, 1024),
    8192: (16384, 61440, 4096),
    16384: (32768, 122880, 8192),
}


def fargate_memory_choices(cpu: int) -> list[int]:
    if cpu == 256:
        return [512, 1024, 2048]
    low, high, step = FARGATE_SIZES[cpu]
    return list(range(low, high + 1, step))


def _describe_choices(cpu: int) -> str:
    if cpu == 256:
        return "choose 512, 1024 or 2048"
    low, high, step = FARGATE_SIZES[cpu]
    return f"choose {low}-{high} in steps of {step}"


KNOWN_ENDPOINTS = {
    "s3",
    "dynamodb",
    "ecr.api",
    "ecr.dkr",
    "logs",
    "secretsmanager",
    "ssm",
    "ssmmessages",
    "ec2messages",
    "sts",
    "kms",
    "sagemaker.runtime",
    "sagemaker.api",
    "monitoring",
    "elasticloadbalancing",
    "ecs",
    "ecs-agent",
    "ecs-telemetry",
}
REGION_RE = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$")
SECRET_ARN_RE = re.compile(
    r"^arn:aws[a-z-]*:(ssm:[a-z0-9-]+:\d{12}:parameter/.+"
    r"|secretsmanager:[a-z0-9-]+:\d{12}:secret:.+)$"
)
ACTION_RE = re.compile(r"^(\*|[a-z0-9-]+:[A-Za-z0-9*?]+)$")
ARN_RE = re.compile(r"^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:(\d{12}|aws)?:.+$")
CERT_ARN_RE = re.compile(r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[A-Za-z0-9-]+$")
PATH_PATTERN_RE = re.compile(r"^/[A-Za-z0-9_\-.$/~\"'@:+*?&=%]*$")
HOST_RE = re.compile(r"^(\*\.)?([a-z0-9-*?]+\.)+[a-z0-9-]+$", re.IGNORECASE)
REF_RE = re.compile(r"\$\{([^}]*)\}")
URL_REF_RE = re.compile(r"^services\.([a-z0-9-]+)\.url$")
ARTIFACT_REF_RE = re.compile(r"^artifacts\.([a-z0-9-]+)\.uri$")
BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
TOPIC_ARN_RE = re.compile(r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$")
# threshold -> (low, high, unit) for the alarms blocks
THRESHOLD_RANGES: dict[str, tuple[float, float, str]] = {
    "cpu": (1, 100, "percent"),
    "memory": (1, 100, "percent"),
    "p95_ms": (1, 120_000, "ms"),
    "unhealthy_minutes": (1, 1440, "minutes"),
    "error_rate": (0.01, 100, "percent"),
}
WAF_RATE_LIMIT = (10, 2_000_000_000)  # AWS's bounds for a rate-based rule, per 5 minutes


def check(spec: Spec) -> Found:
    """All problems in ``spec``, in file order as far as possible."""
    yield from _names(spec)
    if not REGION_RE.match(spec.region):
        yield ("region",), f"'{spec.region}' is not an AWS region name (e.g. us-west-2)"
    yield from _network(spec)
    yield from _without_nat(spec)
    yield from _load_balancer(spec)
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
        yield from _service(spec, name, svc, routes)
    yield from _artifacts(spec)


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
        if ep not in KNOWN_ENDPOINTS and not re.match(r"^[a-z0-9-]+(\.[a-z0-9-]+)*$", ep):
            yield (
                ("network", "endpoints", i),
                f"'{ep}' is not a VPC endpoint service name; use e.g. "
                + _suggest(ep, sorted(KNOWN_ENDPOINTS), "s3, ecr.api, ecr.dkr, logs"),
            )


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
    yield from _thresholds(("alarms",), alarms)
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


def _thresholds(base: Path, values: Thresholds) -> Found:
    for key, (low, high, unit) in THRESHOLD_RANGES.items():
        value = getattr(values, key, None)
        if value is not None and not low <= value <= high:
            yield (*base, key), f"{value} {unit}; choose {low:g}-{high:g}"


def _service_alarms(base: Path, svc: Service) -> Found:
    if svc.alarms is None:
        return
    yield from _thresholds((*base, "alarms"), svc.alarms)
    if svc.mode == "classic" and svc.routed:
        return
    why = (
        "Express Mode's load balancer is AWS's, not ecsdeploy's"
        if svc.mode == "express"
        else "the service has no `route:`, so no target group"
    )
    for key in ("p95_ms", "unhealthy_minutes"):
        if getattr(svc.alarms, key) is not None:
            yield (*base, "alarms", key), f"a load-balancer alarm, but {why}; remove it"


def _service(
    spec: Spec, name: str, svc: Service, routes: dict[tuple[str | None, str | None], str]
) -> Found:
    base: Path = ("services", name)
    if svc.build is None and svc.image is None:
        yield base, "has neither `build:` nor `image:`; add one (build: ./dir, or image: repo:tag)"
    if svc.build is not None and svc.image is not None:
        yield (*base, "image"), "set either `build:` or `image:`, not both"
    if svc.image is not None and not re.match(r"^[a-z0-9][^\s]*$", svc.image):
        yield (*base, "image"), f"'{svc.image}' is not an image reference (e.g. repo/name:tag)"
    if not 1 <= svc.port <= 65535:
        yield (*base, "port"), f"{svc.port} is not a port; choose 1-65535"
    if svc.cpu not in FARGATE_SIZES:
        yield (
            (*base, "cpu"),
            f"{svc.cpu} is not a Fargate cpu; choose one of "
            + ", ".join(str(c) for c in FARGATE_SIZES),
        )
    elif svc.memory not in fargate_memory_choices(svc.cpu):
        yield (
            (*base, "memory"),
            f"{svc.memory} is not a valid Fargate memory for cpu {svc.cpu} "
            f"({_describe_choices(svc.cpu)})",
        )
    yield from _health(base, svc)
    if not 0 <= svc.deregistration_delay <= 3600:
        yield (
            (*base, "deregistration_delay"),
            f"{svc.deregistration_delay}s; choose 0-3600 seconds",
        )
    if svc.count is not None and not 0 <= svc.count <= 1000:
        yield (*base, "count"), f"{svc.count} tasks; choose 0 to 1000"
    yield from _autoscaling(base, svc)
    yield from _route(base, name, svc, routes)
    yield from _service_alarms(base, svc)
    if svc.mode == "express":
        yield from _express(base, svc)
    for key, arn in svc.secrets.items():
        if key in svc.env:
            yield (*base, "secrets", key), f"{key} is set in both env and secrets; keep one"
        if not SECRET_ARN_RE.match(arn):
            yield (
                (*base, "secrets", key),
                f"'{arn}' is not an SSM parameter or Secrets Manager ARN "
                "(arn:aws:ssm:REGION:ACCOUNT:parameter/NAME or "
                "arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME)",
            )
    for i, perm in enumerate(svc.permissions):
        if not perm.actions:
            yield (*base, "permissions", i, "actions"), "no actions; list at least one"
        for j, action in enumerate(perm.actions):
            if not ACTION_RE.match(action):
                yield (
                    (*base, "permissions", i, "actions", j),
                    f"'{action}' is not an IAM action (service:Action, e.g. s3:GetObject)",
                )
        for j, res in enumerate(perm.resources):
            if res != "*" and not ARN_RE.match(res):
                yield (
                    (*base, "permissions", i, "resources", j),
                    f"'{res}' is not an ARN (arn:aws:SERVICE:REGION:ACCOUNT:RESOURCE) or *",
                )
    for key, value in svc.env.items():
        yield from _references(spec, (*base, "env", key), value)


def _health(base: Path, svc: Service) -> Found:
    hc = svc.health_check
    path = (*base, "health_check")
    if not hc.path.startswith("/") or len(hc.path) > 1024:
        yield path, f"'{hc.path}' must be a path starting with / (e.g. /health)"
    if not 5 <= hc.interval <= 300:
        yield (*path, "interval"), f"{hc.interval}s; choose 5-300 seconds"
    if not 2 <= hc.timeout <= 120:
        yield (*path, "timeout"), f"{hc.timeout}s; choose 2-120 seconds"
    elif hc.timeout >= hc.interval:
        yield (
            (*path, "timeout"),
            f"timeout {hc.timeout}s must be less than interval {hc.interval}s",
        )
    for key in ("healthy_threshold", "unhealthy_threshold"):
        value = getattr(hc, key)
        if not 2 <= value <= 10:
            yield (*path, key), f"{value}; choose 2-10"
    if not re.match(r"^\d{3}(-\d{3})?(,\d{3}(-\d{3})?)*$", hc.matcher):
        yield (*path, "matcher"), f"'{hc.matcher}' is not an HTTP code list (e.g. 200 or 200-399)"
    if not 0 <= hc.grace_period <= 7200:
        yield (*path, "grace_period"), f"{hc.grace_period}s; choose 0-7200 seconds"
    if hc.command is not None and (not hc.command or hc.command[0] not in ("CMD", "CMD-SHELL")):
        yield (
            (*path, "command"),
            "must start with CMD or CMD-SHELL, "
            "e.g. [CMD-SHELL, 'curl -f http://localhost/ || exit 1']",
        )


def _autoscaling(base: Path, svc: Service) -> Found:
    auto = svc.autoscaling
    if auto is None:
        return
    path = (*base, "autoscaling")
    if auto.min < 0:
        yield (*path, "min"), f"{auto.min} tasks; min must be 0 or more"
    if auto.max < 1:
        yield (*path, "max"), f"{auto.max} tasks; max must be 1 or more"
    if auto.min > auto.max:
        yield (*path, "min"), f"min {auto.min} is greater than max {auto.max}; swap them"
    if svc.count is not None and not auto.min <= svc.count <= auto.max:
        yield (
            (*base, "count"),
            f"count {svc.count} is outside autoscaling {auto.min}..{auto.max}; "
            "set count within it or drop it",
        )
    targets = {"cpu": auto.cpu, "memory": auto.memory, "requests": auto.requests}
    if all(v is None for v in targets.values()):
        yield path, "no scaling target; add cpu: 70 (percent), memory: 70 or requests: 1000"
    for key in ("cpu", "memory"):
        value = targets[key]
        if value is not None and not 1 <= value <= 100:
            yield (*path, key), f"{value}% is not a utilisation target; choose 1-100"
    if auto.requests is not None and auto.requests < 1:
        yield (*path, "requests"), "requests per target must be 1 or more"
    if auto.requests is not None and not svc.routed:
        yield (*path, "requests"), "request-count scaling needs a `route:` behind the load balancer"


def _route(
    base: Path, name: str, svc: Service, routes: dict[tuple[str | None, str | None], str]
) -> Found:
    route = svc.route
    if route is None:
        return
    path = (*base, "route")
    if route.path is None and route.host is None:
        yield path, "an empty route; give a path (/api/*) or a host (api.example.com)"
        return
    if route.path is not None and (not PATH_PATTERN_RE.match(route.path) or len(route.path) > 128):
        yield (
            path if route.host is None else (*path, "path"),
            f"'{route.path}' is not a path pattern; start with / and use letters, digits, "
            "- _ . / and * (e.g. /api/*)",
        )
    if route.host is not None and not HOST_RE.match(route.host):
        yield (*path, "host"), f"'{route.host}' is not a host name (e.g. api.example.com)"
    key = (route.host, route.path)
    if key in routes:
        yield path, f"same route as service '{routes[key]}'; each route must be unique"
    routes[key] = name


def _express(base: Path, svc: Service) -> Found:
    hint = "Express Mode serves one container on a host-based URL; use mode: classic for this"
    if svc.route is not None:
        yield (*base, "route"), f"routes are not supported in Express Mode. {hint}"
    if svc.exec:
        yield (
            (*base, "exec"),
            "ECS Exec is not offered for Express Mode services; use mode: classic for it",
        )


def _references(spec: Spec, path: Path, value: str) -> Found:
    for match in REF_RE.finditer(value):
        expr = match.group(1).strip()
        artifact = ARTIFACT_REF_RE.match(expr)
        if artifact:
            if artifact.group(1) not in spec.artifacts:
                yield (
                    path,
                    f"${{{expr}}} names no artifact; "
                    + _suggest(artifact.group(1), list(spec.artifacts), "those under artifacts:"),
                )
            continue
        ref = URL_REF_RE.match(expr)
        if not ref:
            yield (
                path,
                f"unknown reference ${{{expr}}}; the supported forms are ${{services.NAME.url}} "
                "and ${artifacts.NAME.uri}",
            )
            continue
        target = ref.group(1)
        if target not in spec.services:
            yield (
                path,
                f"${{{expr}}} names no service; "
                + _suggest(target, list(spec.services), ", ".join(spec.services)),
            )
        elif spec.services[target].mode == "express":
            yield (
                path,
                f"${{{expr}}}: the URL of an Express Mode service is not known before it is "
                "created, so it cannot be passed to another service yet",
            )
        elif not spec.services[target].routed:
            yield (
                path,
                f"${{{expr}}}: service '{target}' has no `route:`, so it has no URL; add one",
            )


def _suggest(word: str, choices: list[str], fallback: str) -> str:
    close = difflib.get_close_matches(word, choices, n=1)
    return f"did you mean '{close[0]}'?" if close else f"choose from {fallback}"
