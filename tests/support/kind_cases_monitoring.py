"""Lifecycle cases for the monitoring and hardening kinds: SNS topic and subscription,
CloudWatch alarm and dashboard, WAF web ACL and its association with a load balancer.

``CASES`` holds one dict per kind with the fields of ``test_resource_kinds.Case``.
Parents an observe must find (the topic of a subscription, the load balancer and web
ACLs of an association) carry the test owner's tags, as ecsdeploy would have made them.
"""

from __future__ import annotations

from typing import Any

import boto3

from ecsdeploy.resources import keys
from ecsdeploy.resources.cloudwatch_alarm import dimensions
from ecsdeploy.resources.cloudwatch_dashboard import dashboard_name
from ecsdeploy.resources.waf_web_acl import MANAGED_RULE_GROUPS
from ecsdeploy.spec.naming import Owner, dict_to_tags

from kind_cases_elbv2 import _network

REGION = "us-west-2"
OWNER = Owner("kinds", "test")
Refs = dict[str, str]


def _topic() -> Refs:
    arn = boto3.client("sns", region_name=REGION).create_topic(
        Name="kinds-test-alarms", Tags=dict_to_tags(OWNER.tags("topic/alarms"))
    )["TopicArn"]
    return {"topic": arn, "topic2": arn.replace("alarms", "other")}


def _alarm_props(threshold: float) -> Any:
    def props(refs: Refs) -> dict[str, Any]:
        return {
            "AlarmDescription": "api: average cpu high",
            "AlarmActions": ["arn:aws:sns:us-west-2:123456789012:kinds-test-alarms"],
            "OKActions": [],
            "Namespace": "AWS/ECS",
            "MetricName": "CPUUtilization",
            "Dimensions": dimensions({"ClusterName": "kinds-test", "ServiceName": "api"}),
            "Statistic": "Average",
            "ExtendedStatistic": None,
            "Period": 60,
            "EvaluationPeriods": 5,
            "DatapointsToAlarm": 5,
            "Threshold": threshold,
            "ComparisonOperator": "GreaterThanThreshold",
            "TreatMissingData": "notBreaching",
            "Metrics": [],
        }

    return props


def _dashboard_props(title: str) -> Any:
    widget = {
        "type": "metric",
        "x": 0,
        "y": 0,
        "width": 12,
        "height": 6,
        "properties": {
            "title": title,
            "region": REGION,
            "metrics": [["AWS/ECS", "CPUUtilization", "ClusterName", "kinds-test"]],
        },
    }
    return lambda refs: {"body": {"widgets": [widget]}}


def _acl_props(rate_limit: int, name: str = "kinds-test-waf") -> Any:
    return lambda refs: {"name": name, "managed": MANAGED_RULE_GROUPS, "rate_limit": rate_limit}


def _guarded_balancer() -> Refs:
    """An owned load balancer (key "lb") and two owned web ACLs to associate with it."""
    refs = _network()
    refs["lb"] = boto3.client("elbv2", region_name=REGION).create_load_balancer(
        Name="kinds-test",
        Subnets=[refs["subnet"], refs["subnet2"]],
        SecurityGroups=[refs["sg"]],
        Type="application",
        Tags=dict_to_tags(OWNER.tags("lb")),
    )["LoadBalancers"][0]["LoadBalancerArn"]
    wafv2 = boto3.client("wafv2", region_name=REGION)
    visibility = {
        "SampledRequestsEnabled": False,
        "CloudWatchMetricsEnabled": False,
        "MetricName": "kinds",
    }
    for ref in ("acl", "acl2"):
        refs[ref] = wafv2.create_web_acl(
            Name=f"kinds-test-{ref}",
            Scope="REGIONAL",
            DefaultAction={"Allow": {}},
            VisibilityConfig=visibility,
            Tags=dict_to_tags(OWNER.tags(ref)),
        )["Summary"]["ARN"]
    return refs


CASES: list[dict[str, Any]] = [
    dict(
        kind="sns.topic",
        name="kinds-test-alarms",
        setup=dict,
        props=lambda r: {"name": "kinds-test-alarms"},
        replace=lambda r: {"name": "kinds-test-other"},
    ),
    dict(
        kind="sns.subscription",
        name="ops@example.com",
        key=keys.subscription("email", "ops@example.com"),
        setup=_topic,
        props=lambda r: {"topic": r["topic"], "protocol": "email", "endpoint": "ops@example.com"},
        replace=lambda r: {
            "topic": r["topic2"],
            "protocol": "email",
            "endpoint": "ops@example.com",
        },
    ),
    dict(
        kind="cloudwatch.alarm",
        name="kinds-test-api-cpu-high",
        setup=dict,
        props=_alarm_props(80.0),
        update=_alarm_props(90.0),
    ),
    dict(
        kind="cloudwatch.dashboard",
        name=dashboard_name(OWNER),
        key="dashboard",
        setup=dict,
        props=_dashboard_props("CPU"),
        update=_dashboard_props("CPU %"),
    ),
    dict(
        kind="wafv2.web_acl",
        name="kinds-test-waf",
        setup=dict,
        props=_acl_props(2000),
        update=_acl_props(500),
        replace=_acl_props(2000, name="kinds-test-waf2"),
    ),
    dict(
        kind="wafv2.association",
        name="kinds-test-acl",
        key="waf/lb",
        setup=_guarded_balancer,
        props=lambda r: {"web_acl": r["acl"], "resource": r["lb"]},
        replace=lambda r: {"web_acl": r["acl2"], "resource": r["lb"]},
    ),
]
