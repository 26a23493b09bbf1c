"""A new load balancer provisions for two to three minutes; `up` does not wait for it before
the listeners, rules and services, only before the web ACL association, and ends once it is
active.

moto makes a load balancer active at its first Describe: ``faults.Provisioning`` keeps it
``provisioning`` until a test says otherwise. Refusals AWS might give a listener or rule
create on a provisioning load balancer are injected at the botocore seam (``faults.Fault``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import boto3
import pytest

from ecsdeploy.aws.errors import AwsError, InvalidRequest
from ecsdeploy.reconcile.executor import Event, State, build_graph
from ecsdeploy.resources import registry
from ecsdeploy.resources.base import Desired, Timing
from ecsdeploy.resources.listener import ListenerProps
from ecsdeploy.resources.listener_rule import ListenerRuleProps
from ecsdeploy.resources.load_balancer import LoadBalancerProps
from ecsdeploy.resources.waiting import WaitTimeout

from conftest import Harness, spec_text
from faults import Fault, Provisioning, first_n, inject

WAF_SPEC = spec_text() + "load_balancer:\n  waf: true\n"


def _graph(harness: Harness, text: str) -> dict[str, set[str]]:
    plan = harness.deployment(text).plan_up()  # type: ignore[attr-defined]
    graph = build_graph(plan, registry.ordering())
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


def test_a_request_count_scaling_policy_waits_for_the_load_balancer_cpu_does_not(
    harness: Harness,
) -> None:
    scaled = spec_text().replace(
        "    route: /api/*\n",
        "    route: /api/*\n    autoscaling: {min: 1, max: 4, cpu: 70, requests: 500}\n",
    )
    graph = _graph(harness, scaled)
    waiting = {node for node, deps in graph.items() if "ready:lb" in deps}
    assert waiting == {"apply:scaling/api/requests"}
    assert "ready:lb" not in graph["apply:scaling/api/cpu"]


@pytest.mark.parametrize("parallelism", [8, 1])
def test_listeners_rules_and_services_are_made_while_the_load_balancer_provisions(
    aws: None, monkeypatch: pytest.MonkeyPatch, parallelism: int
) -> None:
    # real time, short polls: the load balancer stays provisioning until both services
    # exist, so a run that waited for it before them would time out. The wait takes none
    # of the pool's places: with one worker the rest goes on beside it too.
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

    result = dep.apply(
        dep.plan_up(),
        listener=lambda e: events.append((time.monotonic(), e)),
        parallelism=parallelism,
    )
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


def test_a_web_acl_added_while_an_earlier_runs_load_balancer_provisions_waits_for_it(
    aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened = threading.Event()
    provisioning = Provisioning(opened.is_set)
    provisioning.attach(monkeypatch)
    # a first run ends (here: its wait runs out) while the load balancer still provisions
    first = Harness(Timing(poll=0.02, resource_ready=0.3, iam_propagation=5.0))
    dep: Any = first.deployment(spec_text())
    assert not dep.apply(dep.plan_up()).ok
    assert not provisioning.active
    # the next run plans the load balancer as it is: no ready step to wait on
    harness = Harness(Timing(poll=0.02, resource_ready=20.0, iam_propagation=5.0))
    calls: list[tuple[str, bool]] = []
    harness.recorder.listeners.append(lambda c: calls.append((c.operation, provisioning.active)))
    dep = harness.deployment(WAF_SPEC)
    plan = dep.plan_up()
    assert not [n for n in build_graph(plan, registry.ordering()) if "ready:" in n]
    threading.Timer(0.5, opened.set).start()
    assert dep.apply(plan).ok
    assert [active for op, active in calls if op == "AssociateWebACL"] == [True]


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
    props = LoadBalancerProps(
        name="mlapp-dev",
        scheme="internet-facing",
        subnets=frozenset(subnets),
        security_groups=frozenset({group}),
        idle_timeout=60,
        drop_invalid_headers=True,
        deletion_protection=False,
        access_logs=None,
    )
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


# --- the safety net: a listener or rule create refused while provisioning -------------


def _load_balancer() -> tuple[str, str, str]:
    """A load balancer (provisioning until activated), its target group and an HTTP
    listener, made directly in moto: (load balancer, target group, listener) ARNs."""
    vpc, subnets = _network()
    elbv2 = boto3.client("elbv2", region_name="us-west-2")
    lb = elbv2.create_load_balancer(Name="mlapp-dev", Subnets=subnets)["LoadBalancers"][0]
    tg = elbv2.create_target_group(
        Name="mlapp-dev-api", Protocol="HTTP", Port=8000, VpcId=vpc, TargetType="ip"
    )["TargetGroups"][0]["TargetGroupArn"]
    listener = elbv2.create_listener(
        LoadBalancerArn=lb["LoadBalancerArn"],
        Protocol="HTTP",
        Port=8080,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}],
    )["Listeners"][0]["ListenerArn"]
    return lb["LoadBalancerArn"], tg, listener


def _wants(lb: str, tg: str, listener: str) -> dict[str, Desired]:
    action = {"type": "fixed-response", "status": "404", "content_type": "text/plain"}
    return {
        "CreateListener": Desired(
            "elbv2.listener",
            "listener/http",
            "mlapp-dev-http",
            ListenerProps(
                load_balancer=lb,
                port=80,
                protocol="HTTP",
                certificate=None,
                ssl_policy=None,
                default_action={**action, "body": "Not found"},
            ),
        ),
        "CreateRule": Desired(
            "elbv2.listener_rule",
            "rule/api",
            "mlapp-dev-api-rule",
            ListenerRuleProps(
                listener=listener,
                priority=100,
                paths=frozenset({"/api/*"}),
                hosts=frozenset(),
                target_group=tg,
            ),
        ),
    }


def _create(
    harness: Harness, operation: str, fault: Fault, until: Callable[[], bool], mp: Any
) -> tuple[Callable[[], Any], Provisioning, list[str]]:
    """The create of ``operation``'s kind, with ``fault`` injected and the load balancer
    provisioning until ``until()``; and where its notes go."""
    provisioning = Provisioning(until)
    provisioning.attach(mp)
    want = _wants(*_load_balancer())[operation]
    dep: Any = harness.deployment(spec_text())
    inject(dep.aws, "elbv2", fault)
    notes: list[str] = []
    handler = dep.handlers[want.kind].using(replace(dep.ctx, note=notes.append))
    return lambda: handler.create(want, want.props), provisioning, notes


def _attempts(harness: Harness, operation: str) -> list[float]:
    return [c.at for c in harness.recorder.calls if c.operation == operation]


@pytest.mark.parametrize(
    ("operation", "code"),
    [
        ("CreateListener", "OperationNotPermitted"),
        ("CreateListener", "ResourceInUse"),
        ("CreateRule", "InvalidConfigurationRequest"),
    ],
)
def test_a_create_refused_while_provisioning_is_made_again_once_active(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, operation: str, code: str
) -> None:
    clock = harness.timing.clock  # type: ignore[attr-defined]
    fault = Fault(operation, code, "The load balancer is not active yet", first_n(1))
    create, provisioning, notes = _create(
        harness, operation, fault, lambda: clock() >= 30, monkeypatch
    )

    made = create()

    assert made.id and made.attrs["arn"]
    assert fault.fired == 1
    refused, accepted = _attempts(harness, operation)
    (active_at,) = provisioning.activated.values()
    assert refused < active_at < accepted
    assert notes[0].endswith(f"refused ({code}); trying again once mlapp-dev is active")
    assert any(n.startswith("waiting for load balancer mlapp-dev to become active") for n in notes)
    assert clock() >= 30


def test_a_refusal_once_active_stands_after_one_more_try(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    message = "A listener cannot forward to a target group of another VPC"
    fault = Fault("CreateListener", "InvalidConfigurationRequest", message, lambda: True)
    create, _, _ = _create(harness, "CreateListener", fault, lambda: True, monkeypatch)

    with pytest.raises(InvalidRequest, match=message):
        create()

    assert fault.fired == 2 and len(_attempts(harness, "CreateListener")) == 2
    assert harness.timing.clock() == 0  # type: ignore[attr-defined]


def test_a_load_balancer_that_never_becomes_active_fails_the_create_at_the_bound(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    fault = Fault("CreateRule", "OperationNotPermitted", "not active", lambda: True)
    create, _, _ = _create(harness, "CreateRule", fault, lambda: False, monkeypatch)

    with pytest.raises(WaitTimeout, match="waiting for load balancer mlapp-dev to become active"):
        create()

    assert len(_attempts(harness, "CreateRule")) == 1
    bound = harness.timing.resource_ready  # type: ignore[attr-defined]
    assert bound <= harness.timing.clock() <= bound + harness.timing.poll  # type: ignore[attr-defined]


def test_other_refusals_fail_at_once(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    fault = Fault("CreateListener", "DuplicateListener", "A listener already exists", first_n(1))
    create, _, _ = _create(harness, "CreateListener", fault, lambda: False, monkeypatch)

    with pytest.raises(AwsError, match="DuplicateListener"):
        create()

    assert len(_attempts(harness, "CreateListener")) == 1
    assert not [c for c in harness.recorder.calls if c.operation == "DescribeLoadBalancers"]
