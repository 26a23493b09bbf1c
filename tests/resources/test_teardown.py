"""down on AWS's terms: NAT gateways gone before their addresses and the internet gateway,
DependencyViolation while interfaces linger retried (bounded, with progress), and a
clear failure when the bound is reached."""

from __future__ import annotations

from typing import Any

from ecsdeploy.reconcile.executor import Event
from ecsdeploy.resources.waiting import WaitTimeout

from conftest import Harness, owned_anything, spec_text
from faults import Fault, Lingering, first_n, inject


def _order(harness: Harness) -> list[str]:
    return [c.operation for c in harness.recorder.mutating()]


def test_down_deletes_nat_before_its_address_subnet_and_gateway(harness: Harness) -> None:
    text = spec_text(nat="per_az")
    harness.up(text)
    harness.recorder.clear()
    harness.down(text)
    ops = _order(harness)
    last_nat = max(i for i, op in enumerate(ops) if op == "DeleteNatGateway")
    for later in ("ReleaseAddress", "DeleteSubnet", "DetachInternetGateway", "DeleteVpc"):
        assert min(i for i, op in enumerate(ops) if op == later) > last_nat, later
    assert ops.index("DeleteVpc") == max(
        i
        for i, op in enumerate(ops)
        if op.startswith(("Delete", "Release", "Detach"))
        # (and the record of what was set, removed once all is gone)
        and op
        not in (
            "DeleteRole",
            "DeleteRolePolicy",
            "DeleteLogGroup",
            "DetachRolePolicy",
            "DeleteParameter",
        )
    )
    assert owned_anything() == []


def test_lingering_interfaces_are_waited_out(harness: Harness) -> None:
    text = spec_text(nat="single")
    harness.up(text)
    dep: Any = harness.deployment(text)
    message = "The subnet has dependencies and cannot be deleted."
    fault = inject(
        dep.aws, "ec2", Fault("DeleteSubnet", "DependencyViolation", message, first_n(5))
    )
    events: list[Event] = []
    result = dep.apply(dep.plan_down(), listener=events.append)
    assert result.ok, [(s.key, str(e)) for s, e in result.failed]
    assert fault.fired == 5
    notes = [e.message for e in events if "DependencyViolation" in e.message]
    assert notes and "retrying" in notes[0]
    assert owned_anything() == []


# What AWS answers while the interfaces of a deleted NAT gateway, load balancer or task
# are still being released: (client, operation, code, message)
LINGERING = [
    ("ec2", "DeleteSubnet", "DependencyViolation",
     "The subnet 'subnet-0a1b2c3d' has dependencies and cannot be deleted."),
    ("ec2", "DeleteSecurityGroup", "DependencyViolation",
     "resource sg-0a1b2c3d has a dependent object"),
    ("ec2", "DetachInternetGateway", "DependencyViolation",
     "Network vpc-0a1b2c3d has some mapped public address(es). Please unmap those public "
     "address(es) before detaching the gateway."),
    ("ec2", "ReleaseAddress", "InvalidIPAddress.InUse", "Address 203.0.113.7 is in use."),
]  # fmt: skip


def test_down_waits_out_interfaces_lingering_after_nat_lb_and_service_deletions(
    harness: Harness,
) -> None:
    text = spec_text(nat="single")
    harness.up(text)
    dep: Any = harness.deployment(text)
    clock = harness.timing.clock  # type: ignore[attr-defined]
    lingering = Lingering(clock, seconds=20.0)
    lingering.attach(dep.aws)
    faults = [inject(dep.aws, service, Fault(op, code, message, lingering.active(op)))
              for service, op, code, message in LINGERING]  # fmt: skip
    events: list[Event] = []

    result = dep.apply(dep.plan_down(), listener=events.append)

    assert result.ok, [(s.key, str(e)) for s, e in result.failed]  # on the first run
    assert owned_anything() == []
    for fault in faults:
        assert fault.fired >= 1, fault.operation
    retried = {e.step.kind for e in events if "retrying" in e.message}
    assert retried == {
        "ec2.subnet",
        "ec2.security_group",
        "ec2.internet_gateway",
        "ec2.elastic_ip",
    }
    # each dependent was first tried only after what held it was deleted (the graph orders
    # each against its own holders, not against every holder: the Elastic IP may go while
    # a service still drains), then waited out well within the bound
    log = lingering.log
    owners = [i for i, op in enumerate(log) if op in Lingering.OWNERS]
    assert len(owners) == 1 + 1 + 2
    first = {op: log.index(op) for op in log if op not in Lingering.OWNERS}
    assert set(first) == {op for _, op, _, _ in LINGERING}
    assert all(i > min(owners) for i in first.values())
    nat_deleted = log.index("DeleteNatGateway")
    assert first["ReleaseAddress"] > nat_deleted  # the NAT gateway held the address
    assert first["DetachInternetGateway"] > nat_deleted  # and needed the gateway
    assert 20.0 <= clock() < harness.timing.dependency_retry  # type: ignore[attr-defined]


def test_dependency_that_never_clears_fails_clearly_and_down_can_be_rerun(
    harness: Harness,
) -> None:
    text = spec_text(nat="none")
    harness.up(text)
    dep: Any = harness.deployment(text)
    inject(
        dep.aws,
        "ec2",
        Fault(
            "DeleteSecurityGroup",
            "DependencyViolation",
            "resource sg has a dependent object",
            lambda: True,
        ),
    )
    result = dep.apply(dep.plan_down())
    assert not result.ok
    step, error = result.failed[0]
    assert step.kind == "ec2.security_group"
    assert isinstance(error, WaitTimeout)
    assert "DependencyViolation" in str(error)
    assert result.not_started  # the VPC was not attempted while its groups remain
    # once the dependency is gone, a plain re-run finishes the job
    harness.down(text)
    assert owned_anything() == []
