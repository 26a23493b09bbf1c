"""A new load balancer provisions for two to three minutes; `up` does not wait for it before
the listeners, rules and services, only before the web ACL association, and ends once it is
active.

moto makes a load balancer active at its first Describe: ``faults.Provisioning`` keeps it
``provisioning`` until a test says otherwise.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import boto3
import pytest

from ecsdeploy.reconcile.executor import Event, State, build_graph
from ecsdeploy.resources import registry
from ecsdeploy.resources.base import Desired, Timing

from conftest import Harness, spec_text
from faults import Provisioning

WAF_SPEC = spec_text() + "load_balancer:\n  waf: true\n"


def _graph(harness: Harness, text: str) -> dict[str, set[str]]:
    plan = harness.deployment(text).plan_up()  # type: ignore[attr-defined]
    graph = build_graph(plan, registry.kind_rank(), registry.settling_kinds())
    return {node: deps for node, (_, _, deps) in graph.items()}


def test_only_the_web_acl_association_waits_for_the_load_balancer_to_be_active(
    harness: Harness,
) -> None:
    graph = _graph(harness, WAF_SPEC)

    assert graph["ready:lb"] == {"apply:lb"}
    assert {node for node, deps in graph.items() if "ready:lb" in deps} == {"apply:waf/lb"}
    assert "apply:lb" in graph["apply:listener/http"]
    # a service waits for its listener rule, and for the routes and endpoints its tasks
    # pull their image through (nothing else orders them before it)
    needed = {"apply:rule/api", "apply:rt/private-0", "apply:rt/private-1", "apply:endpoint/s3"}
    assert needed <= graph["apply:service/api"]

    harness.up(WAF_SPEC)
    assert not [node for node in _graph(harness, WAF_SPEC) if node.startswith("ready:")]


def test_listeners_rules_and_services_are_made_while_the_load_balancer_provisions(
    aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # real time, short polls: the load balancer stays provisioning until both services
    # exist, so a run that waited for it before them would time out
    harness = Harness(Timing(poll=0.02, resource_ready=20.0, iam_propagation=5.0))
    opened = threading.Event()
    provisioning = Provisioning(opened.is_set)
    provisioning.attach(monkeypatch)
    calls: list[tuple[str, bool]] = []  # (operation, load balancer active when it was made)
    harness.recorder.listeners.append(lambda c: calls.append((c.operation, provisioning.active)))
    dep: Any = harness.deployment(WAF_SPEC)
    services: list[str] = []

    def service_created(**_: Any) -> None:
        services.append("made")
        if len(services) == 2:
            opened.set()

    dep.aws.client("ecs").raw.meta.events.register("after-call.ecs.CreateService", service_created)
    events: list[tuple[float, Event]] = []

    result = dep.apply(dep.plan_up(), listener=lambda e: events.append((time.monotonic(), e)))
    returned = time.monotonic()

    assert result.ok, [(s.key, str(e)) for s, e in result.failed]

    def made_while_active(operation: str) -> list[bool]:
        return [active for op, active in calls if op == operation]

    assert made_while_active("CreateListener") == [False]
    assert made_while_active("CreateRule") == [False]
    assert made_while_active("CreateService") == [False, False]
    assert made_while_active("AssociateWebACL") == [True]
    (active_at,) = provisioning.activated.values()
    assert active_at < returned  # the apply (`up`, also --no-wait) ends once it is active
    assert result.resources["lb"].state == "active"
    # one row: started at the create, waiting meanwhile, done once active
    lb = [(at, e) for at, e in events if e.step.key == "lb"]
    assert [e.state for _, e in lb if not e.message] == [State.CREATING, State.DONE]
    waiting = "waiting for load balancer mlapp-dev to become active"
    assert any(e.message.startswith(waiting) for _, e in lb)
    assert lb[-1][0] > active_at
    harness.assert_up_changes_nothing(WAF_SPEC)


# --- the load balancer step ----------------------------------------------------------


def _network() -> tuple[str, list[str]]:
    """A VPC and a subnet in each of two zones, made directly in moto."""
    ec2 = boto3.client("ec2", region_name="us-west-2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = []
    for i, zone in enumerate("ab"):
        cidr, az = f"10.0.{i}.0/24", f"us-west-2{zone}"
        made = ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=az)["Subnet"]
        subnets.append(made["SubnetId"])
    return vpc, subnets


def test_the_create_returns_at_once_and_a_failed_load_balancer_fails_its_wait(
    harness: Harness,
) -> None:
    from moto.elbv2.models import elbv2_backends

    vpc, subnets = _network()
    ec2 = boto3.client("ec2", region_name="us-west-2")
    group = ec2.create_security_group(GroupName="lb", Description="lb", VpcId=vpc)["GroupId"]
    props = {
        "name": "mlapp-dev",
        "scheme": "internet-facing",
        "subnets": frozenset(subnets),
        "security_groups": frozenset({group}),
        "idle_timeout": 60,
        "drop_invalid_headers": True,
        "deletion_protection": False,
        "access_logs": None,
    }
    dep: Any = harness.deployment(spec_text())
    handler = dep.handlers["elbv2.load_balancer"]

    created = handler.create(Desired("elbv2.load_balancer", "lb", "mlapp-dev", props), props)

    assert created.state == "provisioning"
    assert created.attrs["arn"] and created.attrs["dns_name"]  # what the rest needs
    assert created.props["drop_invalid_headers"] is True
    assert [c.operation for c in harness.recorder.calls] == [
        "CreateLoadBalancer",
        "ModifyLoadBalancerAttributes",
    ]
    backend = elbv2_backends["123456789012"]["us-west-2"]
    backend.load_balancers[created.id].state = "failed"
    with pytest.raises(RuntimeError, match="load balancer mlapp-dev failed to provision"):
        handler.wait_ready(created)
