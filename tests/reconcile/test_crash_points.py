"""Crash-safety: kill `up` right after each of its mutating calls in turn, then `up` again
and `down`.

For every k from 1 to the number of mutating calls a clean `up` of the example spec makes,
a run is killed right after its k-th mutating call succeeds (faults.CrashAfter: that
call's caller never sees the answer, and no thread makes another call). A second `up`
without faults must converge to exactly what a clean run leaves (same resources by kind,
logical key, name and tags; nothing twice; an empty plan afterwards), and `down` must
leave nothing tagged behind. Each k runs on a fresh in-process moto and a fake clock.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from ecsdeploy.ops.status import inventory
from ecsdeploy.resources.base import Timing

from conftest import CONFIGS, FakeClock, Harness, owned_anything
from faults import Crash, CrashAfter

Signature = list[tuple[str, str, str, tuple[tuple[str, str], ...]]]


def example_text() -> str:
    """configs/example.yaml with prebuilt images instead of builds (no Docker here)."""
    text = (CONFIGS / "example.yaml").read_text()
    for name in ("api", "ui"):
        text = text.replace(
            f"build: ../examples/{name}",
            f"image: 123456789012.dkr.ecr.us-west-2.amazonaws.com/mlapp/{name}:1.4.2",
        )
    assert "build:" not in text
    return text


REGION = "us-west-2"
TEXT = example_text()
# boto3's default session is kept between the fresh motos (a new one re-reads botocore's
# data files, a second each time)
MOTO: Any = {"iam": {"load_aws_managed_policies": True}, "core": {"reset_boto3_session": False}}


@pytest.fixture(autouse=True)
def _lean_moto(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each crash point needs a fresh moto, and a fresh moto IAM parses the JSON of every
    AWS managed policy (a second per account and partition): give it only the one the
    example attaches, so the sweep's time goes to the runs themselves."""
    import moto.iam.models as iam_models

    every = json.loads(iam_models.aws_managed_policies_data)
    used = {"AmazonECSTaskExecutionRolePolicy": every["AmazonECSTaskExecutionRolePolicy"]}
    monkeypatch.setattr(iam_models, "aws_managed_policies_data", json.dumps(used))
    yield


def _harness() -> Harness:
    clock = FakeClock()
    return Harness(Timing(sleep=clock.sleep, clock=clock))


def _up(harness: Harness, crash: CrashAfter) -> Any:
    """An `up` with ``crash`` hooked into every client it uses, one step at a time so that
    call k is the same call in every run (the re-runs after it run in parallel). None when
    the crash ended the run itself (rather than one of its steps)."""
    dep: Any = harness.deployment(TEXT)
    crash.attach(dep.aws, {"sts", "ssm", *(s for h in dep.handlers.values() for s in h.services)})
    try:
        return dep.apply(dep.plan_up(), parallelism=1)
    except Crash:
        return None  # in the main thread: after the steps, recording what was set


def _failures(result: Any) -> list[tuple[str, str]]:
    return [(step.key, str(error)) for step, error in result.failed]


def _signature(dep: Any) -> Signature:
    """What the app owns, as ecsdeploy reads it: kind, logical key, name and tags (ids
    differ between runs). A duplicate shows as a repeated entry."""
    found = inventory(dep)
    return sorted((o.kind, o.key, o.name, tuple(sorted(o.tags.items()))) for o in found)


def _counts() -> Counter[str]:
    """How many of each resource type exist in the region, tagged or not (an untagged
    leftover of a crash is a leak too), read with plain boto3, independently of
    ecsdeploy's code. Services, roles and log groups are counted by name."""
    counts: Counter[str] = Counter()
    ec2 = boto3.client("ec2", region_name=REGION)
    counts["vpc"] = len(ec2.describe_vpcs()["Vpcs"])
    counts["subnet"] = len(ec2.describe_subnets()["Subnets"])
    counts["internet gateway"] = len(ec2.describe_internet_gateways()["InternetGateways"])
    counts["elastic ip"] = len(ec2.describe_addresses()["Addresses"])
    nats = ec2.describe_nat_gateways()["NatGateways"]
    counts["nat gateway"] = sum(1 for n in nats if n["State"] not in ("deleting", "deleted"))
    tables = ec2.describe_route_tables()["RouteTables"]
    counts["route table"] = len(tables)
    counts["route"] = sum(len(t["Routes"]) for t in tables)
    counts["route association"] = sum(len(t["Associations"]) for t in tables)
    groups = ec2.describe_security_groups()["SecurityGroups"]
    counts["security group"] = len(groups)
    counts["ingress rule"] = sum(len(g["IpPermissions"]) for g in groups)
    endpoints = ec2.describe_vpc_endpoints()["VpcEndpoints"]
    counts["vpc endpoint"] = sum(1 for e in endpoints if e["State"].lower() != "deleted")
    elbv2 = boto3.client("elbv2", region_name=REGION)
    balancers = elbv2.describe_load_balancers()["LoadBalancers"]
    counts["load balancer"] = len(balancers)
    counts["target group"] = len(elbv2.describe_target_groups()["TargetGroups"])
    for lb in balancers:
        listeners = elbv2.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]
        counts["listener"] += len(listeners)
        for listener in listeners:
            counts["rule"] += len(
                elbv2.describe_rules(ListenerArn=listener["ListenerArn"])["Rules"]
            )
    ecs = boto3.client("ecs", region_name=REGION)
    for cluster in ecs.describe_clusters(clusters=ecs.list_clusters()["clusterArns"])["clusters"]:
        if cluster["status"] != "ACTIVE":
            continue
        counts[f"cluster {cluster['clusterName']}"] += 1
        arns = ecs.list_services(cluster=cluster["clusterArn"])["serviceArns"]
        for svc in ecs.describe_services(cluster=cluster["clusterArn"], services=arns)[
            "services"
        ] if arns else []:  # fmt: skip
            counts[f"service {svc['serviceName']}"] += svc["status"] == "ACTIVE"
    counts["task definition"] = len(
        ecs.list_task_definitions(status="ACTIVE")["taskDefinitionArns"]
    )
    for role in boto3.client("iam", region_name=REGION).list_roles()["Roles"]:
        # ECS's service-linked role is the account's: up makes it when missing, down
        # leaves it (as AWS does; it is not the app's)
        if not role["Path"].startswith("/aws-service-role/"):
            counts[f"role {role['RoleName']}"] += 1
    logs = boto3.client("logs", region_name=REGION)
    for group in logs.describe_log_groups()["logGroups"]:
        counts[f"log group {group['logGroupName']}"] += 1
    scaling = boto3.client("application-autoscaling", region_name=REGION)
    counts["scalable target"] = len(
        scaling.describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"]
    )
    counts["scaling policy"] = len(
        scaling.describe_scaling_policies(ServiceNamespace="ecs")["ScalingPolicies"]
    )
    cloudwatch = boto3.client("cloudwatch", region_name=REGION)
    counts["alarm"] = len(cloudwatch.describe_alarms()["MetricAlarms"])
    counts["dashboard"] = len(cloudwatch.list_dashboards()["DashboardEntries"])
    sns = boto3.client("sns", region_name=REGION)
    counts["topic"] = len(sns.list_topics()["Topics"])
    counts["subscription"] = len(sns.list_subscriptions()["Subscriptions"])
    ssm = boto3.client("ssm", region_name=REGION)
    for parameter in ssm.describe_parameters()["Parameters"]:
        counts[f"parameter {parameter['Name']}"] += 1  # the lock, the record of what was set
    s3 = boto3.client("s3", region_name=REGION)
    counts["bucket"] = len(s3.list_buckets()["Buckets"])
    return +counts  # drop the zeros


def _recover(
    k: int,
    clean_calls: list[str],
    empty: Counter[str],
    clean: Signature,
    clean_counts: Counter[str],
) -> str | None:
    """Crash after call k, re-run, compare, tear down. None when all went right."""
    with mock_aws(config=MOTO):
        harness = _harness()
        crash = CrashAfter(k)
        result = _up(harness, crash)
        crashed_in_a_step = result is not None and any(
            isinstance(e, Crash) for _, e in result.failed
        )
        if not crash.crashed or not (result is None or crashed_in_a_step):
            return f"k={k}: the run did not crash ({len(crash.succeeded)} calls)"
        if crash.succeeded != clean_calls[:k]:
            return f"k={k}: the run made other calls than a clean one: {crash.succeeded}"
        dep: Any = harness.deployment(TEXT)  # one connection for the rest: clients cost
        if failed := _failures(dep.apply(dep.plan_up())):
            return f"k={k}: up after the crash failed: {failed}"
        if not dep.plan_up().empty:
            return f"k={k}: a third up still has changes"
        if (found := _signature(dep)) != clean:
            twice = [x for x in found if found.count(x) > 1]
            return f"k={k}: inventory differs: extra {twice or set(found) - set(clean)}, " + (
                f"missing {set(clean) - set(found)}"
            )
        if (counts := _counts()) != clean_counts:
            return f"k={k}: extra {counts - clean_counts}, missing {clean_counts - counts}"
        if failed := _failures(dep.apply(dep.plan_down())):
            return f"k={k}: down failed: {failed}"
        if left := owned_anything():
            return f"k={k}: down left {left}"
        if (counts := _counts()) != empty:
            return f"k={k}: down left untagged {counts - empty}"
    return None


def test_up_recovers_from_a_crash_after_every_mutating_call(moto_one_at_a_time: None) -> None:
    started = time.monotonic()
    with mock_aws(config=MOTO):
        empty = _counts()  # what a fresh account has: default VPC, subnets, group...
        harness = _harness()
        counter = CrashAfter(None)
        assert _up(harness, counter).ok
        clean_calls = counter.succeeded
        calls = len(clean_calls)
        assert clean_calls == [c.operation for c in harness.recorder.mutating()]
        assert calls > 40
        clean, clean_counts = _signature(harness.deployment(TEXT)), _counts()
    # what "no duplicate" means for the example: one of each
    added = clean_counts - empty
    assert added["vpc"] == added["nat gateway"] == added["load balancer"] == 1
    assert added["service api"] == added["service ui"] == 1
    assert added["subnet"] == 4 and added["listener"] == 1

    failures = [
        f
        for k in range(1, calls + 1)
        if (f := _recover(k, clean_calls, empty, clean, clean_counts))
    ]
    recovered = calls - len(failures)
    print(
        f"\ncrash points: {calls} tried, {recovered} recovered ({time.monotonic() - started:.0f}s)"
    )
    assert failures == []
    assert recovered == calls
