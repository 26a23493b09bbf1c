"""Eventual consistency (aws/catch_up.py): AWS answers "not found" or "unavailable" for a
while after a create, for every entry of the table. The fault layer below answers, at the
botocore seam, the first calls of each listed operation with AWS's exact code and a message
in AWS's wording; `up` of the example and hardened configs must then succeed in one run,
while a read, or an error that is not a lag, fails at once, and a lag that never ends fails
at its window, saying so."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ecsdeploy.aws.catch_up import LAGS, CatchingUp, Lag, NotCaughtUp, Patience, lag_of
from ecsdeploy.aws.clients import Client
from ecsdeploy.aws.errors import AwsError, InvalidRequest, NotFound

from conftest import CONFIGS, ROOT, FakeClock, Harness
from faults import Fault, first_n, inject

# AWS's wording for each entry's code, where the table matches on a phrase of it
MESSAGES = {
    "InvalidGroup.NotFound": "The security group 'sg-0123456789abcdef0' does not exist",
    "InvalidVpcID.NotFound": "The vpc ID 'vpc-0123456789abcdef0' does not exist",
    "InvalidSubnetID.NotFound": "The subnet ID 'subnet-0123456789abcdef0' does not exist",
    "InvalidRouteTableID.NotFound": "The routeTable ID 'rtb-0123456789abcdef0' does not exist",
    "InvalidInternetGatewayID.NotFound": "The internetGateway ID 'igw-0123' does not exist",
    "InvalidGatewayID.NotFound": "The gateway ID 'igw-0123456789abcdef0' does not exist",
    "InvalidNatGatewayID.NotFound": "The natGateway ID 'nat-0123456789abcdef0' does not exist",
    "InvalidAllocationID.NotFound": "The allocation ID 'eipalloc-0123' does not exist",
    "InvalidVpcEndpointId.NotFound": "The Vpc Endpoint Id 'vpce-0123' does not exist",
    "InvalidSecurityGroup": "One or more security groups are invalid",
    "InvalidSubnet": "The subnet ID 'subnet-0123456789abcdef0' is not valid",
    "WAFUnavailableEntityException": "AWS WAF couldn't retrieve the resource that you "
    "requested. Retry your request.",
}
PHRASED = {
    "security group": "Error retrieving security group information for "
    "[sg-0123456789abcdef0]: The security group 'sg-0123456789abcdef0' does not exist",
    "service doesn't exist": "ECS service doesn't exist: service/mlapp-dev/api",
    "no scalable target registered": "No scalable target registered for service namespace: "
    "ecs, resource ID: service/mlapp-dev/api, scalable dimension: ecs:service:DesiredCount",
    "service linked role": "Unable to assume the service linked role. Please verify that "
    "the ECS service linked role exists.",
    "assume the role": "The execution role you provide must allow AWS EventBridge Scheduler "
    "to assume the role.",
}


def message(lag: Lag) -> str:
    return PHRASED[lag.phrase] if lag.phrase else MESSAGES[lag.code]


class Flaky:
    """A client stand-in whose ``operation`` fails ``times`` times with ``error``."""

    def __init__(self, error: AwsError, times: int) -> None:
        self.error, self.left, self.calls = error, times, 0
        self.raw = None

    def __getattr__(self, operation: str) -> Any:
        def call(**kwargs: Any) -> str:
            self.calls += 1
            if self.left > 0:
                self.left -= 1
                raise self.error
            return "done"

        return call


def _client(flaky: Flaky, service: str, clock: FakeClock, notes: list[str]) -> CatchingUp:
    patience = Patience(sleep=clock.sleep, clock=clock)
    return CatchingUp(flaky, service, notes.append, patience)  # type: ignore[arg-type]


def _method(operation: str) -> str:
    out = ""
    for i, ch in enumerate(operation):
        prev = operation[i - 1] if i else ""
        if ch.isupper() and i and not prev.isupper():
            out += "_"
        out += ch.lower()
    return out


@pytest.mark.parametrize("lag", LAGS, ids=lambda lag: f"{lag.service}-{lag.code}-{lag.phrase}")
def test_each_lag_is_waited_out(lag: Lag) -> None:
    clock, notes = FakeClock(), []
    for operation in sorted(lag.operations):
        error = InvalidRequest(message(lag), code=lag.code, operation=operation)
        assert lag_of(lag.service, operation, error) is lag
        flaky = Flaky(error, times=3)
        got = getattr(_client(flaky, lag.service, clock, notes), _method(operation))()
        assert got == "done" and flaky.calls == 4
    assert notes and all(lag.waits_for in n for n in notes)
    assert 0 < lag.window <= 600  # bounded, and stated in docs/failures.md
    assert lag.source


def test_a_lag_that_never_ends_fails_at_its_window_saying_what_to_do() -> None:
    clock, notes = FakeClock(), []
    lag = next(x for x in LAGS if x.code == "InvalidGroup.NotFound")
    error = NotFound(MESSAGES[lag.code], code=lag.code, operation="AuthorizeSecurityGroupIngress")
    flaky = Flaky(error, times=10_000)
    start = clock()
    with pytest.raises(NotCaughtUp) as caught:
        _client(flaky, "ec2", clock, notes).authorize_security_group_ingress(GroupId="sg-1")
    waited = clock() - start
    assert lag.window <= waited < lag.window + 16  # the window, and not a poll more
    text = str(caught.value)
    assert "AuthorizeSecurityGroupIngress" in text and "InvalidGroup.NotFound" in text
    assert "sg-0123456789abcdef0" in text and "ecsdeploy up" in text
    assert 5 < flaky.calls < 40  # backoff, not a busy loop


def test_reads_and_errors_outside_the_table_fail_at_once() -> None:
    clock, notes = FakeClock(), []
    gone = NotFound(MESSAGES["InvalidGroup.NotFound"], code="InvalidGroup.NotFound")
    read = Flaky(gone, times=1)
    with pytest.raises(NotFound):  # observe: an absent group is absent
        _client(read, "ec2", clock, notes).describe_security_groups(GroupIds=["sg-1"])
    other = InvalidRequest("Invalid port range", code="InvalidParameterValue")
    wrong = Flaky(other, times=1)
    with pytest.raises(InvalidRequest):
        _client(wrong, "ec2", clock, notes).authorize_security_group_ingress()
    ecs = InvalidRequest("Invalid cpu value", code="InvalidParameterException")
    with pytest.raises(InvalidRequest):  # same code as a lag, without its phrase
        _client(Flaky(ecs, times=1), "ecs", clock, notes).create_service()
    assert read.calls == wrong.calls == 1 and notes == [] and clock() == 0


def test_the_client_view_is_a_client() -> None:
    assert issubclass(CatchingUp, Client)


def _prebuilt(name: str, tmp_path: Path) -> str:
    """A config of configs/ with prebuilt images (no Docker) and paths made absolute."""
    text = (CONFIGS / name).read_text()
    for svc in ("api", "ui"):
        text = text.replace(f"build: ../examples/{svc}", f"image: registry.example.com/{svc}:1")
    return text


@pytest.mark.parametrize("config", ["example.yaml", "hardened.yaml"])
def test_up_succeeds_in_one_run_while_aws_catches_up(
    harness: Harness, config: str, tmp_path: Path
) -> None:
    dep: Any = harness.deployment(_prebuilt(config, tmp_path))
    faults: list[tuple[Lag, Fault]] = []
    for lag in LAGS:
        for operation in sorted(lag.operations):
            fault = Fault(operation, lag.code, message(lag), first_n(2))
            faults.append((lag, inject(dep.aws, lag.service, fault)))
    result = dep.apply(dep.plan_up())
    assert result.ok, [(s.key, str(e)) for s, e in result.failed]
    fired = {(lag.service, f.operation, lag.code) for lag, f in faults if f.fired}
    # the run met the lags of every layer it builds (so this test is not vacuous)
    assert {
        ("ec2", "AuthorizeSecurityGroupIngress", "InvalidGroup.NotFound"),
        ("ec2", "CreateSubnet", "InvalidVpcID.NotFound"),
        ("ec2", "CreateNatGateway", "InvalidSubnetID.NotFound"),
        ("ec2", "CreateRoute", "InvalidRouteTableID.NotFound"),
        ("elbv2", "CreateLoadBalancer", "InvalidSecurityGroup"),
        ("ecs", "CreateService", "InvalidParameterException"),
        ("application-autoscaling", "RegisterScalableTarget", "ValidationException"),
        ("application-autoscaling", "PutScalingPolicy", "ObjectNotFoundException"),
    } <= fired
    if config == "example.yaml":  # its nightly job
        assert ("scheduler", "CreateSchedule", "ValidationException") in fired
    if config == "hardened.yaml":
        assert ("wafv2", "AssociateWebACL", "WAFUnavailableEntityException") in fired
    harness.assert_up_changes_nothing(_prebuilt(config, tmp_path))


def test_the_docs_list_every_window() -> None:
    """docs/failures.md states each error of the table with its window."""
    lines = (ROOT / "docs" / "failures.md").read_text().splitlines()
    for lag in LAGS:
        rows = [line for line in lines if f"`{lag.code}`" in line]
        assert rows, f"docs/failures.md does not list {lag.code}"
        window = f"{lag.window / 60:g} min"
        assert any(window in row for row in rows), f"{lag.code}: not listed with {window}"
