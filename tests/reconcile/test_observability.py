"""Alarms, topic, dashboard, WAF, access logs, deletion protection and ECS Exec end to
end on moto: configs/hardened.yaml deploys them all, a second up changes nothing, down
refuses while the load balancer is protected and removes everything when told to."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from ecsdeploy.desired.hardening import ELB_ACCOUNTS, LOG_DELIVERY
from ecsdeploy.ops.plan import cost_after, cost_now
from ecsdeploy.plan.model import Action
from ecsdeploy.resources.load_balancer import DeletionProtected, full_name

from conftest import CONFIGS, Harness, monitoring_left, owned_anything, spec_text

REGION = "us-west-2"


def _hardened() -> str:
    text = (CONFIGS / "hardened.yaml").read_text()
    for name in ("api", "ui"):  # prebuilt images instead of builds: no Docker here
        text = text.replace(
            f"build: ../examples/{name}",
            f"image: 123456789012.dkr.ecr.us-west-2.amazonaws.com/mlapp/{name}:1.4.2",
        )
    return text


def _client(service: str) -> Any:
    return boto3.client(service, region_name=REGION)


def _alarms() -> dict[str, dict[str, Any]]:
    """ecsdeploy's alarms (target tracking makes its own, named TargetTracking-...)."""
    found = _client("cloudwatch").describe_alarms(AlarmNamePrefix="mlapp-")["MetricAlarms"]
    return {a["AlarmName"]: a for a in found}


def _dims(alarm: dict[str, Any]) -> dict[str, str]:
    return {d["Name"]: d["Value"] for d in alarm["Dimensions"]}


def test_hardened_config_deploys_stays_put_and_goes(harness: Harness) -> None:
    text = _hardened()
    harness.up(text)

    elbv2 = _client("elbv2")
    lb = elbv2.describe_load_balancers(Names=["mlapp-prod"])["LoadBalancers"][0]
    lb_arn = lb["LoadBalancerArn"]
    tgs = {g["TargetGroupName"]: g["TargetGroupArn"]
           for g in elbv2.describe_target_groups()["TargetGroups"]}  # fmt: skip

    # alarms: dimensions name the load balancer, target groups and services AWS created
    alarms = _alarms()
    topic = next(t["TopicArn"] for t in _client("sns").list_topics()["Topics"]
                 if t["TopicArn"].endswith(":mlapp-prod-alarms"))  # fmt: skip
    assert sorted(alarms) == sorted(
        ["mlapp-prod-lb-5xx-rate"]
        + [f"mlapp-prod-{s}-{a}" for s in ("api", "ui")
           for a in ("p95-latency", "unhealthy-targets", "cpu-high", "memory-high",
                     "tasks-short")]
    )  # fmt: skip
    for alarm in alarms.values():
        assert alarm["AlarmActions"] == [topic] and alarm["OKActions"] == [topic]
    for service in ("api", "ui"):
        p95 = alarms[f"mlapp-prod-{service}-p95-latency"]
        assert _dims(p95) == {
            "LoadBalancer": full_name(lb_arn),
            "TargetGroup": full_name(tgs[f"mlapp-prod-{service}"]),
        }
        assert full_name(lb_arn).startswith("app/mlapp-prod/")
        assert _dims(p95)["TargetGroup"].startswith(f"targetgroup/mlapp-prod-{service}/")
        assert p95["ExtendedStatistic"] == "p95"
        cpu = alarms[f"mlapp-prod-{service}-cpu-high"]
        assert _dims(cpu) == {"ClusterName": "mlapp-prod", "ServiceName": service}
        tasks = alarms[f"mlapp-prod-{service}-tasks-short"]
        queried = [q["MetricStat"]["Metric"] for q in tasks["Metrics"] if "MetricStat" in q]
        assert {m["MetricName"] for m in queried} == {"DesiredTaskCount", "RunningTaskCount"}
        for metric in queried:
            assert metric["Namespace"] == "ECS/ContainerInsights"
            assert _dims(metric) == {"ClusterName": "mlapp-prod", "ServiceName": service}
    # thresholds: service value, else app-wide, else default
    assert alarms["mlapp-prod-api-cpu-high"]["Threshold"] == 85
    assert alarms["mlapp-prod-ui-cpu-high"]["Threshold"] == 80
    assert alarms["mlapp-prod-api-p95-latency"]["Threshold"] == 1.5
    assert alarms["mlapp-prod-ui-p95-latency"]["Threshold"] == 3.0
    rate = alarms["mlapp-prod-lb-5xx-rate"]["Metrics"]
    assert all(_dims(q["MetricStat"]["Metric"]) == {"LoadBalancer": full_name(lb_arn)}
               for q in rate if "MetricStat" in q)  # fmt: skip

    # the topic mails the address (moto confirms at once; AWS waits for the click)
    subs = _client("sns").list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert [(s["Protocol"], s["Endpoint"]) for s in subs] == [("email", "ops@example.com")]

    # the dashboard charts what was created
    body = _client("cloudwatch").get_dashboard(DashboardName="ecsdeploy_mlapp_prod")[
        "DashboardBody"
    ]
    assert full_name(lb_arn) in body and full_name(tgs["mlapp-prod-api"]) in body
    titles = [w["properties"]["title"] for w in json.loads(body)["widgets"]]
    assert "Running tasks" in titles and "Healthy targets" in titles

    # WAF: managed groups and a rate limit, associated with the load balancer
    wafv2 = _client("wafv2")
    acl = wafv2.get_web_acl_for_resource(ResourceArn=lb_arn)["WebACL"]
    assert acl["Name"] == "mlapp-prod-waf"
    groups = [r["Statement"].get("ManagedRuleGroupStatement", {}).get("Name") for r in acl["Rules"]]
    assert groups[:3] == [
        "AWSManagedRulesCommonRuleSet",
        "AWSManagedRulesKnownBadInputsRuleSet",
        "AWSManagedRulesAmazonIpReputationList",
    ]
    assert acl["Rules"][3]["Statement"]["RateBasedStatement"]["Limit"] == 2000

    # the load balancer's attributes and its log bucket
    described = elbv2.describe_load_balancer_attributes(LoadBalancerArn=lb_arn)
    attributes = {a["Key"]: a["Value"] for a in described["Attributes"]}
    bucket = "mlapp-prod-lb-logs-123456789012"
    assert attributes["routing.http.drop_invalid_header_fields.enabled"] == "true"
    assert attributes["deletion_protection.enabled"] == "true"
    assert attributes["access_logs.s3.enabled"] == "true"
    assert attributes["access_logs.s3.bucket"] == bucket
    s3 = _client("s3")
    policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    writers = [s["Principal"] for s in policy["Statement"] if s["Effect"] == "Allow"]
    assert {"Service": LOG_DELIVERY} in writers
    assert {"AWS": f"arn:aws:iam::{ELB_ACCOUNTS[REGION]}:root"} in writers
    allowed = [s["Resource"] for s in policy["Statement"] if s["Effect"] == "Allow"]
    assert set(allowed) == {f"arn:aws:s3:::{bucket}/AWSLogs/123456789012/*"}
    rules = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    assert rules[0]["Expiration"] == {"Days": 90}
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(block.values())
    encryption = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]
    assert encryption["Rules"][0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"

    # ECS Exec: on for the api service and its task role, off for the ui
    ecs = _client("ecs")
    described = ecs.describe_services(cluster="mlapp-prod", services=["api", "ui"])
    services = {s["serviceName"]: s for s in described["services"]}
    assert services["api"]["enableExecuteCommand"] is True
    assert not services["ui"].get("enableExecuteCommand")
    iam = _client("iam")
    grant = iam.get_role_policy(RoleName="mlapp-prod-api-task", PolicyName="exec")
    assert sorted(grant["PolicyDocument"]["Statement"][0]["Action"]) == [
        "ssmmessages:CreateControlChannel",
        "ssmmessages:CreateDataChannel",
        "ssmmessages:OpenControlChannel",
        "ssmmessages:OpenDataChannel",
    ]
    assert "exec" not in iam.list_role_policies(RoleName="mlapp-prod-ui-task")["PolicyNames"]

    # a second up changes nothing
    harness.assert_up_changes_nothing(text)

    # what runs is priced as the spec was
    dep: Any = harness.deployment(text)
    now, after = cost_now(dep.plan_up(), dep.target.region), cost_after(dep.target.spec)
    priced = ("WAF", "CloudWatch")
    assert {x.item: x.monthly for x in now.lines if x.item.startswith(priced)} == {
        x.item: x.monthly for x in after.lines if x.item.startswith(priced)
    }
    assert {x.item for x in now.lines if x.item.startswith(priced)} == {
        "WAF web ACL",
        "WAF rules",
        "CloudWatch alarms",
        "CloudWatch dashboard",
    }

    # down refuses while the load balancer is protected, before changing anything
    harness.recorder.clear()
    with pytest.raises(DeletionProtected, match="--disable-deletion-protection"):
        harness.deployment(text).plan_down()  # type: ignore[attr-defined]
    assert harness.recorder.mutating() == []

    # ... and turns protection off first, then removes everything, when told to
    dep = harness.deployment(text)
    harness.recorder.clear()
    plan = dep.plan_down(disable_deletion_protection=True)
    result = dep.apply(plan, disable_deletion_protection=True)
    assert result.ok, [(s.key, str(e)) for s, e in result.failed]
    ops = [c.operation for c in harness.recorder.mutating()]
    assert ops.index("ModifyLoadBalancerAttributes") < ops.index("DeleteLoadBalancer")
    # the web ACL is let go of before it is deleted (AWS refuses otherwise)
    assert ops.index("DisassociateWebACL") < ops.index("DeleteWebACL")
    assert owned_anything(env="prod") == []


def test_alarms_and_dashboard_are_on_by_default_and_off_with_false(harness: Harness) -> None:
    harness.up(spec_text())
    names = sorted(_alarms())
    assert "mlapp-dev-api-cpu-high" in names and "mlapp-dev-lb-5xx-rate" in names
    assert all(not a["AlarmActions"] for a in _alarms().values())  # no email, no topic
    assert _client("sns").list_topics()["Topics"] == []
    assert len(monitoring_left()) == len(names) + 1  # and the dashboard

    off = spec_text() + "alarms: false\ndashboard: false\n"
    dep: Any = harness.deployment(off)
    plan = dep.plan_up()
    removed = sorted(s.kind for s in plan.steps if s.action is Action.DELETE)
    assert removed == ["cloudwatch.alarm"] * len(names) + ["cloudwatch.dashboard"]
    assert [s for s in plan.steps if s.action not in (Action.DELETE, Action.NOOP)] == []
    assert dep.apply(plan).ok
    assert monitoring_left() == []
    harness.down(off)
    assert owned_anything() == []


def test_an_alarm_is_one_call_and_its_arn_is_the_one_aws_gives(harness: Harness) -> None:
    dep: Any = harness.deployment(spec_text())
    plan = dep.plan_up()
    harness.recorder.clear()
    result = dep.apply(plan)
    assert result.ok
    made = [c.operation for c in harness.recorder.calls]
    alarms = {k: o for k, o in result.resources.items() if o.kind == "cloudwatch.alarm"}
    assert made.count("PutMetricAlarm") == len(alarms) > 0
    assert "DescribeAlarms" not in made  # no read-back: the ARN follows from the name
    live = _alarms()
    for observed in alarms.values():
        assert observed.attr("arn") == live[observed.name]["AlarmArn"]
    assert made.count("GetCallerIdentity") == 1  # the account, once for all alarms


def test_waf_and_access_logs_come_and_go_with_the_spec(harness: Harness) -> None:
    base = spec_text()
    hardened = base + "load_balancer:\n  waf: {rate_limit: 500}\n  access_logs: true\n"
    harness.up(base)
    dep: Any = harness.deployment(hardened)
    plan = dep.plan_up()
    assert sorted(s.key for s in plan.steps if s.action is Action.CREATE) == [
        "bucket/lb-logs",
        "waf",
        "waf/lb",
    ]
    assert [s.key for s in plan.steps if s.action is Action.UPDATE] == ["lb"]
    assert dep.apply(plan).ok
    assert harness.deployment(hardened).plan_up().empty  # type: ignore[attr-defined]

    dep = harness.deployment(base)
    plan = dep.plan_up()
    assert sorted(s.key for s in plan.steps if s.action is Action.DELETE) == [
        "bucket/lb-logs",
        "waf",
        "waf/lb",
    ]
    harness.recorder.clear()
    assert dep.apply(plan).ok
    ops = [c.operation for c in harness.recorder.mutating()]
    # logs are switched off before their bucket goes; the association before the web ACL
    assert ops.index("ModifyLoadBalancerAttributes") < ops.index("DeleteBucket")
    assert ops.index("DisassociateWebACL") < ops.index("DeleteWebACL")
    lb = _client("elbv2").describe_load_balancers(Names=["mlapp-dev"])["LoadBalancers"][0]
    assert "WebACL" not in _client("wafv2").get_web_acl_for_resource(
        ResourceArn=lb["LoadBalancerArn"]
    )
    harness.down(base)
    assert owned_anything() == []
