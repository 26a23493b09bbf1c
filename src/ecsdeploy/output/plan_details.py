"""What a planned create will set, in a few words per resource, for people new to AWS.

``describe(step, names)`` gives a short label for the kind ("NAT gateway") and the main
attributes a create sets, one ``label: value`` line each; ``delete_note`` says what a
delete takes with it. Values that point at another resource of the app (a ``Ref``) show
that resource's name. Secrets show their name and where the value is read from (a
parameter or secret ARN, by reference), never a value: the plan never holds one.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ecsdeploy.resources.base import Joined, Ref, Unknown

LABELS = {
    "ec2.vpc": "VPC (private network)",
    "ec2.subnet": "subnet",
    "ec2.internet_gateway": "internet gateway",
    "ec2.elastic_ip": "Elastic IP address",
    "ec2.nat_gateway": "NAT gateway",
    "ec2.route_table": "route table",
    "ec2.security_group": "security group (firewall)",
    "ec2.vpc_endpoint": "VPC endpoint",
    "iam.role": "IAM role",
    "logs.log_group": "log group",
    "ecr.repository": "image repository",
    "ecr.image": "image push",
    "s3.bucket": "S3 bucket",
    "s3.object": "artifact upload",
    "elbv2.load_balancer": "load balancer",
    "elbv2.target_group": "target group",
    "elbv2.listener": "listener",
    "elbv2.listener_rule": "routing rule",
    "ecs.cluster": "ECS cluster",
    "ecs.task_definition": "task definition",
    "ecs.service": "ECS service",
    "ecs.express_service": "ECS Express Mode service",
    "autoscaling.target": "autoscaling range",
    "autoscaling.policy": "autoscaling policy",
    "cloudwatch.alarm": "alarm",
    "cloudwatch.dashboard": "dashboard",
    "sns.topic": "notification topic",
    "sns.subscription": "notification subscription",
    "wafv2.web_acl": "web application firewall (WAF)",
    "wafv2.association": "firewall attachment",
}

# What deleting a resource of these kinds also ends, beyond the resource itself.
DELETE_NOTES = {
    "ecs.service": "stops its running tasks",
    "ecs.express_service": "stops its tasks and its URL",
    "elbv2.load_balancer": "the app's URL stops answering",
    "elbv2.listener_rule": "its path no longer reaches the service",
    "logs.log_group": "its logs are deleted",
    "s3.bucket": "with every object in it",
    "ecr.repository": "with every image in it",
    "ec2.nat_gateway": "private subnets lose outbound internet",
    "ec2.elastic_ip": "the address is released",
    "wafv2.association": "the load balancer is no longer filtered",
    "sns.topic": "alarms stop notifying",
}

Names = Mapping[str, str]  # logical key -> the name users see
Line = tuple[str, str]


def label(kind: str) -> str:
    return LABELS.get(kind, kind)


def delete_note(kind: str) -> str:
    return DELETE_NOTES.get(kind, "")


def value(item: Any, names: Names) -> str:
    """One prop value as short text, with references shown by the name they point at."""
    if isinstance(item, Ref):
        return names.get(item.key, item.key)
    if isinstance(item, Unknown):
        return "(known after apply)"
    if isinstance(item, Joined):
        return "".join(
            p if isinstance(p, str) else f"<{p.attr} of {value(p, names)}>" for p in item.parts
        )
    if isinstance(item, frozenset | set):
        return ", ".join(sorted(value(v, names) for v in item)) or "(none)"
    if isinstance(item, list | tuple):
        return ", ".join(value(v, names) for v in item) or "(none)"
    if isinstance(item, bool):
        return "yes" if item else "no"
    if item is None:
        return "(none)"
    return str(item)


def _env(env: Mapping[str, Any], names: Names) -> str:
    return ", ".join(f"{k}={value(v, names)}" for k, v in sorted(env.items())) or "(none)"


def secret_source(ref: str) -> str:
    """Where a secret is read from, by reference: ``ssm /mlapp/token`` or ``secretsmanager
    mlapp/token`` for an ARN; anything else is shown as the reference it is."""
    if ref.startswith("arn:"):
        service, resource = ref.split(":")[2], ref.split(":", 5)[-1]
        return f"{service} {resource.removeprefix('parameter').removeprefix('secret:')}"
    return ref


def _secrets(secrets: Mapping[str, Any]) -> str:
    """Names and sources only; ``secrets`` maps names to ARNs, never to values."""
    return ", ".join(f"{k} from {secret_source(str(v))}" for k, v in sorted(secrets.items()))


def _size(p: Mapping[str, Any]) -> str:
    return f"{p['cpu']} CPU units, {p['memory']} MiB memory"


def _ingress(rules: Iterable[tuple[Any, ...]], names: Names) -> str:
    out = []
    for protocol, low, high, source in sorted(rules, key=str):
        ports = str(low) if low == high else f"{low}-{high}"
        out.append(f"{protocol} {ports} from {value(source, names)}")
    return "; ".join(out) or "none"


def _policy_actions(doc: str) -> str:
    """The actions an IAM policy document allows, on what (Allow statements only)."""
    try:
        statements = json.loads(doc).get("Statement", [])
    except ValueError:
        return doc
    parts = []
    for st in statements if isinstance(statements, list) else [statements]:
        actions = st.get("Action", [])
        resources = st.get("Resource", [])
        actions = [actions] if isinstance(actions, str) else actions
        resources = [resources] if isinstance(resources, str) else resources
        parts.append(f"{', '.join(actions)} on {', '.join(resources)}")
    return "; ".join(parts)


def _trust(doc: str) -> str:
    try:
        statements = json.loads(doc).get("Statement", [])
    except ValueError:
        return doc
    found: list[str] = []
    for st in statements:
        service = st.get("Principal", {}).get("Service", [])
        found += [service] if isinstance(service, str) else service
    return ", ".join(found)


def _action(action: Mapping[str, Any] | None, names: Names) -> str:
    if not action:
        return "(none)"
    kind = action.get("type")
    if kind == "forward":
        return f"forward to {value(action.get('target_group'), names)}"
    if kind == "redirect":
        return f"redirect to {action.get('protocol')} port {action.get('port')}"
    if kind == "fixed-response":
        return f"answer {action.get('status')} {action.get('body', '')}".rstrip()
    return value(action, names)


def _vpc(p: Mapping[str, Any], n: Names) -> list[Line]:
    return [("address range", str(p["cidr"]))]


def _subnet(p: Mapping[str, Any], n: Names) -> list[Line]:
    return [("address range", f"{p['cidr']} in zone {p['az']}")]


def _nat(p: Mapping[str, Any], n: Names) -> list[Line]:
    return [("in subnet", value(p["subnet"], n)), ("address", value(p["allocation"], n))]


def _route_table(p: Mapping[str, Any], n: Names) -> list[Line]:
    routes = ", ".join(f"{dest} via {value(to, n)}" for dest, to in sorted(p["routes"].items()))
    return [("routes", routes or "local only"), ("subnets", value(p["subnets"], n))]


def _security_group(p: Mapping[str, Any], n: Names) -> list[Line]:
    return [("allows in", _ingress(p["ingress"], n))]


def _endpoint(p: Mapping[str, Any], n: Names) -> list[Line]:
    return [("service", f"{p['service']} ({str(p.get('type', '')).lower()})")]


def _role(p: Mapping[str, Any], n: Names) -> list[Line]:
    lines = [("used by", _trust(str(p["trust"])))]
    managed = sorted(str(m).rsplit("/", 1)[-1] for m in p.get("managed") or ())
    if managed:
        lines.append(("AWS policies", ", ".join(managed)))
    for name, doc in sorted((p.get("inline") or {}).items()):
        lines.append((f"allows ({name})", _policy_actions(str(doc))))
    return lines


def _log_group(p: Mapping[str, Any], n: Names) -> list[Line]:
    return [("keeps logs", f"{p['retention_days']} days")]


def _repository(p: Mapping[str, Any], n: Names) -> list[Line]:
    return [("scan on push", value(p.get("scan_on_push"), n)), ("keeps", f"{p['keep']} images")]


def _image(p: Mapping[str, Any], n: Names) -> list[Line]:
    return [("push to", f"{p['registry']}/{p['repository']}:{p['tag']}")]


def _bucket(p: Mapping[str, Any], n: Names) -> list[Line]:
    return [("private", value(p.get("private"), n)), ("encryption", str(p.get("encryption")))]


def _object(p: Mapping[str, Any], n: Names) -> list[Line]:
    return [("upload to", f"s3://{p['bucket']}/{p['key']}")]


def _load_balancer(p: Mapping[str, Any], n: Names) -> list[Line]:
    reach = "public (internet-facing)" if p["scheme"] == "internet-facing" else "internal only"
    return [("reachable", reach), ("subnets", value(p["subnets"], n))]


def _target_group(p: Mapping[str, Any], n: Names) -> list[Line]:
    return [
        ("port", f"{p['protocol']} {p['port']}"),
        (
            "health check",
            f"GET {p['health_path']} every {p['health_interval']}s, expects {p['matcher']}",
        ),
    ]


def _listener(p: Mapping[str, Any], n: Names) -> list[Line]:
    lines = [("port", f"{p['protocol']} {p['port']}")]
    if p.get("certificate"):
        lines.append(("certificate", value(p["certificate"], n)))
    lines.append(("default", _action(p.get("default_action"), n)))
    return lines


def _rule(p: Mapping[str, Any], n: Names) -> list[Line]:
    match = [f"path {x}" for x in sorted(p.get("paths") or ())]
    match += [f"host {x}" for x in sorted(p.get("hosts") or ())]
    return [
        ("when", " and ".join(match) or "always"),
        ("then", f"forward to {value(p['target_group'], n)}"),
        ("priority", str(p["priority"])),
    ]


def _cluster(p: Mapping[str, Any], n: Names) -> list[Line]:
    return [("container insights", str(p.get("insights")))]


def _container(p: Mapping[str, Any], n: Names) -> list[Line]:
    lines = [("image", value(p["image"], n)), ("size", _size(p)), ("port", str(p["port"]))]
    lines.append(("env", _env(p.get("env") or {}, n)))
    if p.get("secrets"):
        lines.append(("secrets", _secrets(p["secrets"])))
    return lines


def _service(p: Mapping[str, Any], n: Names) -> list[Line]:
    lines = [("tasks", str(p.get("desired_count", "set by autoscaling")))]
    lines.append(("runs", value(p["task_definition"], n)))
    lines.append(("subnets", value(p["subnets"], n)))
    for target_group, container, port in sorted(p.get("load_balancers") or (), key=str):
        lines.append(("behind", f"{value(target_group, n)} ({container}:{port})"))
    return lines


def _express(p: Mapping[str, Any], n: Names) -> list[Line]:
    lines = _container(p, n)
    lines.append(("health check", f"GET {p['health_path']}"))
    scaling = p.get("scaling")
    if scaling:
        lines.append(
            ("scaling", f"{scaling['min']}-{scaling['max']} tasks at {scaling['metric']} "
                        f"{scaling['target']}")
        )  # fmt: skip
    return lines


def _scaling_target(p: Mapping[str, Any], n: Names) -> list[Line]:
    return [("tasks", f"between {p['min']} and {p['max']}")]


def _scaling_policy(p: Mapping[str, Any], n: Names) -> list[Line]:
    return [("keeps", f"{p['metric']} near {p['target']:g}")]


def _alarm(p: Mapping[str, Any], n: Names) -> list[Line]:
    actions = p.get("AlarmActions") or []
    notifies = value(actions, n) if actions else "nobody (set alarms.email or sns_topic_arn)"
    return [("alarms when", str(p["AlarmDescription"])), ("notifies", notifies)]


def _dashboard(p: Mapping[str, Any], n: Names) -> list[Line]:
    return [("graphs", str(len(p["body"].get("widgets", []))))]


def _topic(p: Mapping[str, Any], n: Names) -> list[Line]:
    return [("name", str(p["name"]))]


def _subscription(p: Mapping[str, Any], n: Names) -> list[Line]:
    confirm = " (the address must confirm it)" if p["protocol"] == "email" else ""
    return [("sends to", f"{p['protocol']} {p['endpoint']}{confirm}")]


def _web_acl(p: Mapping[str, Any], n: Names) -> list[Line]:
    return [
        ("rules", ", ".join(p["managed"])),
        ("rate limit", f"{p['rate_limit']} requests per IP per 5 minutes"),
    ]


def _association(p: Mapping[str, Any], n: Names) -> list[Line]:
    return [("filters", value(p["resource"], n)), ("with", value(p["web_acl"], n))]


DETAILS: dict[str, Callable[[Mapping[str, Any], Names], list[Line]]] = {
    "ec2.vpc": _vpc,
    "ec2.subnet": _subnet,
    "ec2.nat_gateway": _nat,
    "ec2.route_table": _route_table,
    "ec2.security_group": _security_group,
    "ec2.vpc_endpoint": _endpoint,
    "iam.role": _role,
    "logs.log_group": _log_group,
    "ecr.repository": _repository,
    "ecr.image": _image,
    "s3.bucket": _bucket,
    "s3.object": _object,
    "elbv2.load_balancer": _load_balancer,
    "elbv2.target_group": _target_group,
    "elbv2.listener": _listener,
    "elbv2.listener_rule": _rule,
    "ecs.cluster": _cluster,
    "ecs.task_definition": _container,
    "ecs.service": _service,
    "ecs.express_service": _express,
    "autoscaling.target": _scaling_target,
    "autoscaling.policy": _scaling_policy,
    "cloudwatch.alarm": _alarm,
    "cloudwatch.dashboard": _dashboard,
    "sns.topic": _topic,
    "sns.subscription": _subscription,
    "wafv2.web_acl": _web_acl,
    "wafv2.association": _association,
}


def attributes(kind: str, props: Mapping[str, Any], names: Names) -> list[Line]:
    """The main attributes a create of ``kind`` sets; [] for kinds with nothing to add."""
    describe = DETAILS.get(kind)
    return describe(props, names) if describe is not None else []
