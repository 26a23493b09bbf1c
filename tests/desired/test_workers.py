"""Workers: a service without `port` and `route` (a queue consumer, a batch loop) gets no
target group, no listener rule, no load-balancer alarms, no open port and no container
port mapping; the rest of a service it gets as any other."""

from __future__ import annotations

from typing import Any

import boto3

from ecsdeploy.desired import desired_resources
from ecsdeploy.images.refs import ImageRef
from ecsdeploy.output.plan_details import attributes
from ecsdeploy.output.plan_view import names_of
from ecsdeploy.plan.model import Action
from ecsdeploy.resources import keys
from ecsdeploy.spec import parse_spec

from conftest import Harness, owned_anything, spec_text

WORKER = """\
  trainer:
    image: 123456789012.dkr.ecr.us-west-2.amazonaws.com/trainer:v1
    env:
      QUEUE: jobs
"""
REGION = "us-west-2"


def worker_spec() -> str:
    return spec_text() + WORKER


def desired() -> dict[str, Any]:
    spec = parse_spec(worker_spec(), "t.yaml")
    images = {n: ImageRef(n, s.image or "") for n, s in spec.services.items()}
    return {d.key: d for d in desired_resources(spec, ["us-west-2a", "us-west-2b"], images)}


def test_a_worker_has_no_load_balancer_parts_and_no_port() -> None:
    want = desired()
    assert want[keys.task_definition("trainer")].props.port is None
    service = want[keys.ecs_service("trainer")].props
    assert service.load_balancers == frozenset()
    assert service.grace_period is None  # no load balancer health checks to wait for
    assert keys.target_group("trainer") not in want
    assert keys.listener_rule("trainer") not in want
    assert want[keys.service_group("trainer")].props.ingress == frozenset()
    # the routed services are unchanged
    assert keys.target_group("api") in want and keys.listener_rule("api") in want
    assert want[keys.task_definition("api")].props.port == 8000


def test_a_worker_alarms_on_cpu_memory_and_running_tasks_only() -> None:
    want = desired()
    worker = sorted(k for k in want if k.startswith("alarm/trainer/"))
    assert worker == [keys.service_alarm("trainer", c) for c in ("cpu", "memory", "tasks")]
    api = {k for k in want if k.startswith("alarm/api/")}
    assert {keys.service_alarm("api", "p95"), keys.service_alarm("api", "unhealthy")} <= api


def test_the_plan_says_it_listens_on_no_port(harness: Harness) -> None:
    dep: Any = harness.deployment(worker_spec())
    plan = dep.plan_up()
    task = next(s for s in plan.steps if s.key == keys.task_definition("trainer"))
    assert dict(attributes(task.kind, task.want.props, names_of(plan)))["port"] == (
        "none (a worker)"
    )
    created = {s.key for s in plan.steps if s.action is Action.CREATE}
    assert keys.target_group("trainer") not in created
    assert keys.ecs_service("trainer") in created


def test_a_worker_deploys_stays_put_and_goes(harness: Harness) -> None:
    harness.up(worker_spec())
    ecs = boto3.client("ecs", region_name=REGION)
    service = ecs.describe_services(cluster="mlapp-dev", services=["trainer"])["services"][0]
    assert service["loadBalancers"] == []
    definition = ecs.describe_task_definition(taskDefinition=service["taskDefinition"])
    container = definition["taskDefinition"]["containerDefinitions"][0]
    assert container.get("portMappings", []) == []
    assert {"name": "QUEUE", "value": "jobs"} in container["environment"]
    groups = boto3.client("ec2", region_name=REGION).describe_security_groups(
        Filters=[{"Name": "group-name", "Values": ["mlapp-dev-trainer"]}]
    )["SecurityGroups"]
    assert groups[0]["IpPermissions"] == []
    harness.assert_up_changes_nothing(worker_spec())
    harness.down(worker_spec())
    assert owned_anything() == []


def test_a_route_without_a_port_is_a_spec_error() -> None:
    from ecsdeploy.spec.errors import SpecError

    text = worker_spec().replace("      QUEUE: jobs\n", "      QUEUE: jobs\n    route: /jobs/*\n")
    try:
        parse_spec(text, "t.yaml")
    except SpecError as exc:
        (problem,) = exc.problems
        assert "a route needs the `port:`" in str(problem)
        assert "t.yaml:" in str(problem)  # file:line
    else:
        raise AssertionError("a route without a port passed validation")
