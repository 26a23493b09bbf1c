"""The Cloud Map namespace's asynchronous calls: create and delete wait (bounded, saying
what for) until GetOperation says SUCCESS, a FAIL stops with AWS's reason, and a delete
refused while services are still registered (ResourceInUse) is retried until it goes."""

from __future__ import annotations

import dataclasses
from typing import Any

import boto3
import pytest
from cloudmap_lag import OperationLag

from ecsdeploy.aws.recorder import CallRecorder
from ecsdeploy.ops.stages import Stages
from ecsdeploy.ops.target import Target
from ecsdeploy.plan.planner import delete_all
from ecsdeploy.resources import keys
from ecsdeploy.resources.base import Desired, Timing
from ecsdeploy.resources.cloudmap_namespace import NamespaceProps, OperationFailed
from ecsdeploy.resources.waiting import WaitTimeout
from ecsdeploy.spec.naming import Owner

from faults import Fault, first_n, inject

REGION = "us-west-2"
OWNER = Owner("mlapp", "dev")
WANT = Desired(
    "servicediscovery.namespace",
    keys.NAMESPACE,
    "mlapp-dev",
    NamespaceProps(name="mlapp-dev", description="ecsdeploy mlapp-dev: ECS Service Connect"),
)


def _connect(timing: Timing, notes: list[str]) -> tuple[Any, Any]:
    dep: Any = Stages.connect(Target(OWNER, REGION), CallRecorder(), timing)
    handler = dep.handlers["servicediscovery.namespace"]
    return dep, handler.using(dataclasses.replace(handler.ctx, note=notes.append))


def test_create_waits_for_the_operation_to_succeed(aws: None, fast_timing: Timing) -> None:
    notes: list[str] = []
    dep, handler = _connect(fast_timing, notes)
    lag = OperationLag(polls=3).install(dep.aws.client("servicediscovery").raw)
    have = handler.create(WANT, WANT.props)
    (asked,) = lag.asked.values()
    assert asked == 4  # SUBMITTED, PENDING, PENDING, then SUCCESS
    assert notes and all("Cloud Map to create namespace mlapp-dev" in n for n in notes)
    (listed,) = boto3.client("servicediscovery", region_name=REGION).list_namespaces()["Namespaces"]
    assert have.id == listed["Id"] and have.attr("arn") == listed["Arn"]
    assert [o.key for o in handler.observe([WANT])] == [keys.NAMESPACE]


def test_the_wait_has_a_deadline(aws: None, fast_timing: Timing) -> None:
    dep, handler = _connect(fast_timing, [])
    OperationLag(polls=10_000).install(dep.aws.client("servicediscovery").raw)
    with pytest.raises(WaitTimeout, match="Cloud Map to create namespace mlapp-dev"):
        handler.create(WANT, WANT.props)


def test_a_failed_operation_says_why(aws: None, fast_timing: Timing) -> None:
    dep, handler = _connect(fast_timing, [])
    OperationLag(polls=2, fail="quota of namespaces reached").install(
        dep.aws.client("servicediscovery").raw
    )
    with pytest.raises(OperationFailed, match="quota of namespaces reached"):
        handler.create(WANT, WANT.props)


def test_delete_waits_while_services_are_registered(aws: None, fast_timing: Timing) -> None:
    dep, handler = _connect(fast_timing, [])
    have = handler.create(WANT, WANT.props)
    client = dep.aws.client("servicediscovery")
    errors = {s.name for s in client.raw.meta.service_model.operation_model(
        "DeleteNamespace").error_shapes}  # fmt: skip
    assert "ResourceInUse" in errors  # what AWS answers while services are registered
    fault = inject(
        dep.aws,
        "servicediscovery",
        Fault("DeleteNamespace", "ResourceInUse", "namespace has services", first_n(2)),
    )
    OperationLag(polls=2).install(client.raw)
    assert dep.apply(delete_all([have], dep.handlers)).ok
    assert fault.fired == 2
    cloudmap = boto3.client("servicediscovery", region_name=REGION)
    assert cloudmap.list_namespaces()["Namespaces"] == []
