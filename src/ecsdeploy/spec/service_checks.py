"""Checks of one service of the spec: image or build, size, health check, autoscaling, route,
Express Mode, alarms, env references. Each yields ``(path, message)`` like ``checks``."""

from __future__ import annotations

import difflib
import re

from ecsdeploy.spec.internal import check_internal_reference, check_public
from ecsdeploy.spec.limits import (
    ACTION_RE,
    ARN_RE,
    ARTIFACT_REF_RE,
    FARGATE_SIZES,
    HOST_RE,
    PATH_PATTERN_RE,
    REF_RE,
    SECRET_ARN_RE,
    THRESHOLD_RANGES,
    URL_REF_RE,
    Found,
    Path,
    describe_choices,
    fargate_memory_choices,
)
from ecsdeploy.spec.models import Job, Service, Spec, Thresholds


def check_thresholds(base: Path, values: Thresholds) -> Found:
    for key, (low, high, unit) in THRESHOLD_RANGES.items():
        value = getattr(values, key, None)
        if value is not None and not low <= value <= high:
            yield (*base, key), f"{value} {unit}; choose {low:g}-{high:g}"


def _service_alarms(base: Path, svc: Service) -> Found:
    if svc.alarms is None:
        return
    yield from check_thresholds((*base, "alarms"), svc.alarms)
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


FARGATE_PLATFORMS = {"linux/amd64": "x86_64", "linux/arm64": "arm64"}


def _platform(base: Path, svc: Service) -> Found:
    """Fargate runs Linux on x86_64 and arm64 only; a build's platform and ``arch`` agree."""
    if svc.build is None:
        return
    arch = FARGATE_PLATFORMS.get(svc.build.platform)
    if arch is None:
        yield (
            (*base, "build", "platform"),
            f"'{svc.build.platform}' does not run on Fargate; choose linux/amd64 or linux/arm64",
        )
    elif svc.arch is not None and svc.arch != arch:
        yield (
            (*base, "arch"),
            f"arch {svc.arch} but build.platform {svc.build.platform} builds {arch}; "
            "remove arch (the platform decides it for a build)",
        )


def check_service(
    spec: Spec, name: str, svc: Service, routes: dict[tuple[str | None, str | None], str]
) -> Found:
    base: Path = ("services", name)
    if svc.build is None and svc.image is None:
        yield base, "has neither `build:` nor `image:`; add one (build: ./dir, or image: repo:tag)"
    if svc.build is not None and svc.image is not None:
        yield (*base, "image"), "set either `build:` or `image:`, not both"
    yield from _platform(base, svc)
    if svc.image is not None and not re.match(r"^[a-z0-9][^\s]*$", svc.image):
        yield (*base, "image"), f"'{svc.image}' is not an image reference (e.g. repo/name:tag)"
    if svc.port is not None and not 1 <= svc.port <= 65535:
        yield (*base, "port"), f"{svc.port} is not a port; choose 1-65535"
    if svc.port is None and svc.route is not None:
        yield (
            (*base, "route"),
            "a route needs the `port:` the container listens on; add it, or remove the "
            "route to make the service a worker",
        )
    if svc.port is None and svc.mode == "express":
        yield base, "an Express Mode service serves HTTP: give the `port:` it listens on"
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
            f"({describe_choices(svc.cpu)})",
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
    yield from check_public(base, svc)
    yield from _service_alarms(base, svc)
    if svc.mode == "express":
        yield from _express(base, svc)
    yield from check_task_settings(spec, base, svc)


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
    else:
        yield from _matcher_codes((*path, "matcher"), hc.matcher)
    if not 0 <= hc.grace_period <= 7200:
        yield (*path, "grace_period"), f"{hc.grace_period}s; choose 0-7200 seconds"
    if hc.command is not None and (not hc.command or hc.command[0] not in ("CMD", "CMD-SHELL")):
        yield (
            (*path, "command"),
            "must start with CMD or CMD-SHELL, "
            "e.g. [CMD-SHELL, 'curl -f http://localhost/ || exit 1']",
        )


def _matcher_codes(path: Path, matcher: str) -> Found:
    """An ALB target group's success codes are 200-499 (CreateTargetGroup's Matcher), each
    range low to high."""
    for part in matcher.split(","):
        low, _, high = part.partition("-")
        first, last = int(low), int(high or low)
        if not 200 <= first <= last <= 499:
            yield path, f"'{part}': a load balancer's health check accepts codes 200-499, low-high"
            return


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
                    + suggest(artifact.group(1), list(spec.artifacts), "those under artifacts:"),
                )
            continue
        internal = check_internal_reference(spec, path, expr)
        if internal is not None:
            yield from internal
            continue
        ref = URL_REF_RE.match(expr)
        if not ref:
            yield (
                path,
                f"unknown reference ${{{expr}}}; the supported forms are ${{services.NAME.url}}, "
                "${services.NAME.internal_url}, ${artifacts.NAME.uri} and ${env.NAME}",
            )
            continue
        target = ref.group(1)
        if target not in spec.services:
            yield (
                path,
                f"${{{expr}}} names no service; "
                + suggest(target, list(spec.services), ", ".join(spec.services)),
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
                f"${{{expr}}}: service '{target}' has no `route:`, so it has no URL; add "
                f"one, or call it inside the VPC at ${{services.{target}.internal_url}}",
            )


def suggest(word: str, choices: list[str], fallback: str) -> str:
    close = difflib.get_close_matches(word, choices, n=1)
    return f"did you mean '{close[0]}'?" if close else f"choose from {fallback}"


def check_task_settings(spec: Spec, base: Path, task: Service | Job) -> Found:
    """What a service and a job both give their tasks: secrets (not also in env), the task
    role's permissions, and the env's references."""
    for key, arn in task.secrets.items():
        if key in task.env:
            yield (*base, "secrets", key), f"{key} is set in both env and secrets; keep one"
        if not SECRET_ARN_RE.match(arn):
            yield (
                (*base, "secrets", key),
                f"'{arn}' is not an SSM parameter or Secrets Manager ARN "
                "(arn:aws:ssm:REGION:ACCOUNT:parameter/NAME or "
                "arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME)",
            )
    for i, perm in enumerate(task.permissions):
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
    for key, value in task.env.items():
        yield from _references(spec, (*base, "env", key), value)
