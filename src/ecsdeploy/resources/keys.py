"""Every resource's logical key: the one place a key is built, parsed or named.

A key names one resource within an app ("vpc", "subnet/public-0", "tg/api"). It is
stored: each resource ecsdeploy creates carries it in its ``ecsdeploy:key`` tag, and the
applied record (the fingerprints of the last ``up``) is keyed by it. The values these
functions and constants produce must therefore never change: a changed shape makes
observe miss every deployed resource of that shape, and the next plan would create new
ones and delete the old (tests/desired/test_keys.py pins each shape). Add shapes; never rename.
"""

from __future__ import annotations

import re
from collections.abc import Callable

# --- network ---------------------------------------------------------------------------

VPC = "vpc"
"""The app's VPC."""
INTERNET_GATEWAY = "igw"
"""The VPC's internet gateway."""
PUBLIC_ROUTE_TABLE = "rt/public"
"""The route table of every public subnet."""
LOAD_BALANCER_GROUP = "sg/lb"
"""The load balancer's security group."""
ENDPOINTS_GROUP = "sg/endpoints"
"""The security group of the VPC interface endpoints."""


def subnet(tier: str, index: int) -> str:
    """A subnet: ``tier`` is "public" or "private", ``index`` the zone's position."""
    return f"subnet/{tier}-{index}"


def nat_address(index: int) -> str:
    """The Elastic IP of the NAT gateway in zone ``index``."""
    return f"eip/nat-{index}"


def nat_gateway(index: int) -> str:
    """The NAT gateway in zone ``index``."""
    return f"nat/{index}"


def private_route_table(index: int) -> str:
    """The route table of the private subnet in zone ``index``."""
    return f"rt/private-{index}"


def vpc_endpoint(service: str) -> str:
    """The VPC endpoint of an AWS service ("s3", "ecr.api", ...)."""
    return f"endpoint/{service}"


def service_group(service: str) -> str:
    """A service's security group."""
    return f"sg/{service}"


# --- IAM, logs, uploads ----------------------------------------------------------------

EXECUTION_ROLE = "role/execution"
"""The role ECS uses to pull images, write logs and read secrets for every task."""
INFRASTRUCTURE_ROLE = "role/infrastructure"
"""The role Express Mode uses to manage its load balancer and scaling."""
ARTIFACTS_BUCKET = "bucket/artifacts"
"""The bucket ecsdeploy creates for the artifacts (kept by ``down`` unless purged)."""
TRAFFIC_ROLE = "role/traffic"
"""The role ECS assumes to move load-balancer traffic in canary, linear and blue/green
deployments."""


def task_role(service: str) -> str:
    """The role a service's tasks run as."""
    return f"role/{service}-task"


def log_group(service: str) -> str:
    """A service's CloudWatch log group."""
    return f"logs/{service}"


def repository(service: str) -> str:
    """The ECR repository of a service ecsdeploy builds."""
    return f"repo/{service}"


def image(service: str) -> str:
    """The pushed image of a service ecsdeploy builds."""
    return f"image/{service}"


def image_service(key: str) -> str:
    """The service an ``image(service)`` key belongs to."""
    return key.removeprefix("image/")


def artifact(name: str) -> str:
    """An artifact's S3 object."""
    return f"artifact/{name}"


# --- load balancer and its hardening ---------------------------------------------------

LOAD_BALANCER = "lb"
"""The application load balancer shared by the routed services."""
WEB_ACL = "waf"
"""The load balancer's WAF web ACL."""
LOG_BUCKET = "bucket/lb-logs"
"""The load balancer's access-log bucket."""


def listener(protocol: str) -> str:
    """The load balancer's listener for ``protocol`` ("http" or "https")."""
    return f"listener/{protocol}"


HTTP_LISTENER = listener("http")
"""The listener on port 80."""
HTTPS_LISTENER = listener("https")
"""The listener on port 443 (with a certificate)."""


def target_group(service: str) -> str:
    """A routed service's target group."""
    return f"tg/{service}"


def listener_rule(service: str) -> str:
    """The listener rule forwarding a service's route to its target group."""
    return f"rule/{service}"


def alternate_target_group(service: str) -> str:
    """The second target group of a service ECS shifts traffic for (canary, linear,
    blue/green): the new revision registers in whichever of the two is idle."""
    return f"tg-alt/{service}"


def test_rule(service: str) -> str:
    """The listener rule of a paused deployment's test traffic to a service."""
    return f"rule-test/{service}"


def waf_association(load_balancer: str) -> str:
    """The association of the web ACL with the load balancer keyed ``load_balancer``."""
    return f"waf/{load_balancer}"


# --- custom domain (ACM and Route 53) ---------------------------------------------------


def certificate(names_digest: str) -> str:
    """The ACM certificate of one set of names (``names_digest``: a hex digest of them, so
    that other names make another certificate, created before the old one goes)."""
    return f"cert/{names_digest}"


def alias_record(record_type: str, name: str) -> str:
    """The alias record (``record_type`` "A" or "AAAA") pointing ``name`` at the load
    balancer."""
    return f"dns/{record_type}/{name}"


def validation_record(domain: str) -> str:
    """The CNAME record by which ACM validates ``domain``."""
    return f"dns/validation/{domain}"


# --- ECS -------------------------------------------------------------------------------

CLUSTER = "cluster"
"""The app's ECS cluster."""

NAMESPACE = "namespace"
"""The app's Cloud Map namespace, for ECS Service Connect."""


def task_definition(service: str) -> str:
    """A classic service's task definition (its family)."""
    return f"taskdef/{service}"


def ecs_service(service: str) -> str:
    """A classic ECS service."""
    return f"service/{service}"


def express_service(service: str) -> str:
    """An Express Mode service."""
    return f"express/{service}"


def is_express_service(key: str) -> bool:
    """Whether ``key`` is an ``express_service(...)`` key."""
    return key.startswith("express/")


def scaling_target(service: str) -> str:
    """A classic service's Application Auto Scaling target."""
    return f"scaling/{service}"


def scaling_policy(service: str, metric: str) -> str:
    """A target-tracking policy of a service on ``metric`` ("cpu", "memory", "requests")."""
    return f"scaling/{service}/{metric}"


# --- monitoring ------------------------------------------------------------------------

ALARM_TOPIC = "topic/alarms"
"""The SNS topic ecsdeploy creates for ``alarms.email``."""
LOAD_BALANCER_ALARM = "alarm/lb/5xx"
"""The load balancer's 5xx-rate alarm."""
DASHBOARD = "dashboard"
"""The app's CloudWatch dashboard."""


def subscription(protocol: str, endpoint: str) -> str:
    """A subscription of the alarm topic ("email", "ops@example.com")."""
    return f"subscription/{protocol}/{endpoint}"


def service_alarm(service: str, check: str) -> str:
    """A service's alarm: ``check`` is "p95", "unhealthy", "cpu", "memory" or "tasks"."""
    return f"alarm/{service}/{check}"


def aws_added(what: str, resource_id: str) -> str:
    """A resource AWS added to the app's own (GuardDuty's endpoint and security group in
    the app's VPC): never tagged, found and deleted only by ``down``."""
    return f"aws-added/{what}/{resource_id}"


# --- scheduled jobs ----------------------------------------------------------------------

SCHEDULE_GROUP = "schedule-group"
"""The EventBridge Scheduler schedule group that holds the app's job schedules."""
ALARM_TOPIC_POLICY = "topic-policy/alarms"
"""The alarm topic's access policy, letting EventBridge publish the jobs' failures."""


def schedule(job: str) -> str:
    """A job's EventBridge Scheduler schedule."""
    return f"schedule/{job}"


def scheduler_role(job: str) -> str:
    """The role EventBridge Scheduler assumes to start a job's task."""
    return f"role/{job}-scheduler"


def job_failure_rule(job: str) -> str:
    """The EventBridge rule that notifies when a job's task fails."""
    return f"job-failed/{job}"


# --- parsing ---------------------------------------------------------------------------

_PART = r"([^/]+)"
_INDEX = r"(\d+)"
CONSTANTS: dict[str, str] = {
    "VPC": VPC,
    "INTERNET_GATEWAY": INTERNET_GATEWAY,
    "PUBLIC_ROUTE_TABLE": PUBLIC_ROUTE_TABLE,
    "LOAD_BALANCER_GROUP": LOAD_BALANCER_GROUP,
    "ENDPOINTS_GROUP": ENDPOINTS_GROUP,
    "EXECUTION_ROLE": EXECUTION_ROLE,
    "INFRASTRUCTURE_ROLE": INFRASTRUCTURE_ROLE,
    "ARTIFACTS_BUCKET": ARTIFACTS_BUCKET,
    "TRAFFIC_ROLE": TRAFFIC_ROLE,
    "LOAD_BALANCER": LOAD_BALANCER,
    "WEB_ACL": WEB_ACL,
    "LOG_BUCKET": LOG_BUCKET,
    "HTTP_LISTENER": HTTP_LISTENER,
    "HTTPS_LISTENER": HTTPS_LISTENER,
    "CLUSTER": CLUSTER,
    "NAMESPACE": NAMESPACE,
    "ALARM_TOPIC": ALARM_TOPIC,
    "LOAD_BALANCER_ALARM": LOAD_BALANCER_ALARM,
    "DASHBOARD": DASHBOARD,
    "SCHEDULE_GROUP": SCHEDULE_GROUP,
    "ALARM_TOPIC_POLICY": ALARM_TOPIC_POLICY,
}
"""Every fixed key, by its constant's name."""
SHAPES: dict[str, tuple[Callable[..., str], str]] = {
    "subnet": (subnet, rf"subnet/(public|private)-{_INDEX}"),
    "nat_address": (nat_address, rf"eip/nat-{_INDEX}"),
    "nat_gateway": (nat_gateway, rf"nat/{_INDEX}"),
    "private_route_table": (private_route_table, rf"rt/private-{_INDEX}"),
    "vpc_endpoint": (vpc_endpoint, rf"endpoint/{_PART}"),
    "service_group": (service_group, rf"sg/{_PART}"),
    "task_role": (task_role, rf"role/{_PART}-task"),
    "log_group": (log_group, rf"logs/{_PART}"),
    "repository": (repository, rf"repo/{_PART}"),
    "image": (image, rf"image/{_PART}"),
    "artifact": (artifact, rf"artifact/{_PART}"),
    "listener": (listener, rf"listener/{_PART}"),
    "target_group": (target_group, rf"tg/{_PART}"),
    "listener_rule": (listener_rule, rf"rule/{_PART}"),
    "waf_association": (waf_association, r"waf/(.+)"),
    "alternate_target_group": (alternate_target_group, rf"tg-alt/{_PART}"),
    "test_rule": (test_rule, rf"rule-test/{_PART}"),
    "task_definition": (task_definition, rf"taskdef/{_PART}"),
    "ecs_service": (ecs_service, rf"service/{_PART}"),
    "express_service": (express_service, rf"express/{_PART}"),
    "scaling_target": (scaling_target, rf"scaling/{_PART}"),
    "scaling_policy": (scaling_policy, rf"scaling/{_PART}/{_PART}"),
    "certificate": (certificate, r"cert/([0-9a-f]+)"),
    "alias_record": (alias_record, r"dns/(A|AAAA)/(.+)"),
    "validation_record": (validation_record, r"dns/validation/(.+)"),
    "subscription": (subscription, rf"subscription/{_PART}/(.+)"),
    "service_alarm": (service_alarm, rf"alarm/{_PART}/{_PART}"),
    "aws_added": (aws_added, rf"aws-added/{_PART}/{_PART}"),
    "schedule": (schedule, rf"schedule/{_PART}"),
    "scheduler_role": (scheduler_role, rf"role/{_PART}-scheduler"),
    "job_failure_rule": (job_failure_rule, rf"job-failed/{_PART}"),
}
"""Every key shape built from arguments: its function and the pattern it produces."""


def parse(key: str) -> tuple[str, tuple[str, ...]] | None:
    """Which constant or function makes ``key``, and its arguments; None for no shape.

    ``parse("tg/api") == ("target_group", ("api",))``; ``parse("lb") == ("LOAD_BALANCER",
    ())``. A fixed key wins over a shape that also matches it ("sg/lb" is the load
    balancer's group).
    """
    for name, value in CONSTANTS.items():
        if key == value:
            return name, ()
    for name, (_, pattern) in SHAPES.items():
        match = re.fullmatch(pattern, key)
        if match:
            return name, match.groups()
    return None


def shape_of(key: str) -> str | None:
    """The name of the constant or function that makes ``key`` (see ``parse``)."""
    parsed = parse(key)
    return parsed[0] if parsed else None
