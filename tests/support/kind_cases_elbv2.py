"""Lifecycle cases for the ELBv2 kinds (load balancer, target group, listener, rule).

``CASES`` holds one dict per kind with the fields of ``test_resource_kinds.Case``; that
module builds ``Case(**d)`` from them. Setups create the prerequisites with plain boto3 in
us-west-2; parents that the kind's observe must find (the load balancer of a listener, the
listeners of a rule) carry the test owner's tags, as ecsdeploy would have created them.
"""

from __future__ import annotations

from typing import Any

import boto3

from ecsdeploy.spec.naming import Owner, dict_to_tags

REGION = "us-west-2"
OWNER = Owner("kinds", "test")  # the owner test_resource_kinds uses
Refs = dict[str, str]


def _ec2() -> Any:
    return boto3.client("ec2", region_name=REGION)


def _elbv2() -> Any:
    return boto3.client("elbv2", region_name=REGION)


def _network() -> Refs:
    """A VPC, a subnet in each of two AZs (an ALB needs two), two security groups."""
    ec2 = _ec2()
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    refs = {"vpc": vpc}
    for name, cidr, zone in (("subnet", "10.9.1.0/24", "a"), ("subnet2", "10.9.2.0/24", "b")):
        refs[name] = ec2.create_subnet(
            VpcId=vpc, CidrBlock=cidr, AvailabilityZone=f"{REGION}{zone}"
        )["Subnet"]["SubnetId"]
    for name in ("sg", "sg2"):
        refs[name] = ec2.create_security_group(
            GroupName=f"kinds-test-{name}", Description="test", VpcId=vpc
        )["GroupId"]
    return refs


def _owned_tags(key: str) -> list[dict[str, str]]:
    return dict_to_tags(OWNER.tags(key))


def _balancer() -> Refs:
    """The network, an owned load balancer and a target group (untagged: nobody observes it)."""
    refs = _network()
    elbv2 = _elbv2()
    refs["lb"] = elbv2.create_load_balancer(
        Name="kinds-test",
        Subnets=[refs["subnet"], refs["subnet2"]],
        SecurityGroups=[refs["sg"]],
        Scheme="internet-facing",
        Type="application",
        Tags=_owned_tags("alb"),
    )["LoadBalancers"][0]["LoadBalancerArn"]
    refs["tg"] = elbv2.create_target_group(
        Name="kinds-test-api",
        Protocol="HTTP",
        Port=8000,
        VpcId=refs["vpc"],
        TargetType="ip",
    )["TargetGroups"][0]["TargetGroupArn"]
    return refs


def _listeners() -> Refs:
    """The balancer with two owned listeners (80 and 8080), for rules to live on."""
    refs = _balancer()
    elbv2 = _elbv2()
    for name, port in (("listener", 80), ("listener2", 8080)):
        refs[name] = elbv2.create_listener(
            LoadBalancerArn=refs["lb"],
            Protocol="HTTP",
            Port=port,
            DefaultActions=[
                {
                    "Type": "fixed-response",
                    "FixedResponseConfig": {"StatusCode": "404", "ContentType": "text/plain"},
                }
            ],
            Tags=_owned_tags(f"listener/{port}"),
        )["Listeners"][0]["ListenerArn"]
    return refs


def _lb_props(refs: Refs, **changes: Any) -> dict[str, Any]:
    props = {
        "name": "kinds-test-alb",
        "scheme": "internet-facing",
        "subnets": frozenset({refs["subnet"], refs["subnet2"]}),
        "security_groups": frozenset({refs["sg"]}),
        "idle_timeout": 30,  # not AWS's 60: create must set it
        "drop_invalid_headers": True,  # not AWS's default either
        "deletion_protection": False,
        "access_logs": None,
    }
    return {**props, **changes}


def _tg_props(refs: Refs, **changes: Any) -> dict[str, Any]:
    props = {
        "name": "kinds-test-ui",
        "port": 8501,
        "protocol": "HTTP",
        "vpc": refs["vpc"],
        "target_type": "ip",
        "health_path": "/healthz",
        "health_interval": 15,
        "health_timeout": 5,
        "healthy_threshold": 2,
        "unhealthy_threshold": 3,
        "matcher": "200-399",
        "deregistration_delay": 30,  # not AWS's 300: create must set it
    }
    return {**props, **changes}


def _listener_props(refs: Refs, **changes: Any) -> dict[str, Any]:
    props = {
        "load_balancer": refs["lb"],
        "port": 80,
        "protocol": "HTTP",
        "certificate": None,
        "ssl_policy": None,
        "default_action": {"type": "forward", "target_group": refs["tg"]},
    }
    return {**props, **changes}


def _rule_props(refs: Refs, **changes: Any) -> dict[str, Any]:
    props = {
        "listener": refs["listener"],
        "priority": 10,
        "paths": frozenset({"/api/*"}),
        "hosts": frozenset(),
        "target_group": refs["tg"],
    }
    return {**props, **changes}


CASES: list[dict[str, Any]] = [
    dict(
        kind="elbv2.load_balancer",
        name="kinds-test-alb",
        setup=_network,
        props=_lb_props,
        update=lambda r: _lb_props(
            r,
            idle_timeout=120,
            security_groups=frozenset({r["sg2"]}),
            access_logs="kinds-test-logs",
            drop_invalid_headers=False,
        ),
        replace=lambda r: _lb_props(r, scheme="internal"),
    ),
    dict(
        kind="elbv2.target_group",
        name="kinds-test-ui",
        setup=_network,
        props=_tg_props,
        update=lambda r: _tg_props(r, health_interval=30, deregistration_delay=60),
        replace=lambda r: _tg_props(r, port=8502),
    ),
    dict(
        kind="elbv2.listener",
        name="kinds-test-http",
        setup=_balancer,
        props=_listener_props,
        update=lambda r: _listener_props(
            r,
            default_action={
                "type": "fixed-response",
                "status": "404",
                "content_type": "text/plain",
                "body": "not found",
            },
        ),
        replace=lambda r: _listener_props(r, port=8081),
    ),
    dict(
        kind="elbv2.listener_rule",
        name="kinds-test-api",
        setup=_listeners,
        props=_rule_props,
        update=lambda r: _rule_props(
            r, priority=20, paths=frozenset({"/api/*", "/v2/*"}), hosts=frozenset({"a.example"})
        ),
        replace=lambda r: _rule_props(r, listener=r["listener2"]),
    ),
]
