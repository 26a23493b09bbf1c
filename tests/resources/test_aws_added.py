"""What AWS adds to the app's VPC, and what others leave there (resources' ``aws_added``,
the VPC's delete): with GuardDuty Runtime Monitoring on, AWS adds a ``guardduty-data``
endpoint and a ``GuardDutyManagedSecurityGroup-<vpc>`` to every VPC running Fargate,
untagged; `down` removes exactly those and says so. Anything else untagged still blocks,
with a message naming it."""

from __future__ import annotations

from typing import Any

import boto3

from conftest import Harness, owned_anything, spec_text
from faults import Fault, inject

REGION = "us-west-2"


def _app_vpc(ec2: Any) -> str:
    tagged = [{"Name": "tag:ecsdeploy:app", "Values": ["mlapp"]}]
    [vpc] = ec2.describe_vpcs(Filters=tagged)["Vpcs"]
    return str(vpc["VpcId"])


def _guardduty_in(ec2: Any, vpc: str) -> tuple[str, str]:
    subnets = [s["SubnetId"] for s in ec2.describe_subnets(
        Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]][:1]  # fmt: skip
    group = ec2.create_security_group(
        GroupName=f"GuardDutyManagedSecurityGroup-{vpc}", Description="GuardDuty", VpcId=vpc
    )["GroupId"]
    endpoint = ec2.create_vpc_endpoint(
        VpcId=vpc,
        ServiceName=f"com.amazonaws.{REGION}.guardduty-data",
        VpcEndpointType="Interface",
        SubnetIds=subnets,
        SecurityGroupIds=[group],
    )["VpcEndpoint"]["VpcEndpointId"]
    return endpoint, group


def test_down_removes_what_guardduty_added_and_says_so(harness: Harness) -> None:
    text = spec_text()
    harness.up(text)
    ec2 = boto3.client("ec2", region_name=REGION)
    vpc = _app_vpc(ec2)
    endpoint, group = _guardduty_in(ec2, vpc)
    dep: Any = harness.deployment(text)
    plan = dep.plan_down()
    names = {s.key: s.name for s in plan.steps}
    assert names[f"aws-added/guardduty-endpoint/{endpoint}"] == f"{endpoint} (added by GuardDuty)"
    assert names[f"aws-added/guardduty-group/{group}"].endswith("(added by GuardDuty)")
    result = dep.apply(plan)
    assert result.ok, [(s.key, str(e)) for s, e in result.failed]
    assert owned_anything() == []
    assert not ec2.describe_vpcs(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Vpcs"]


def test_up_leaves_them_alone(harness: Harness) -> None:
    text = spec_text()
    harness.up(text)
    ec2 = boto3.client("ec2", region_name=REGION)
    _guardduty_in(ec2, _app_vpc(ec2))
    harness.assert_up_changes_nothing(text)


def test_anything_else_untagged_blocks_naming_it(harness: Harness) -> None:
    text = spec_text()
    harness.up(text)
    ec2 = boto3.client("ec2", region_name=REGION)
    vpc = _app_vpc(ec2)
    other = ec2.create_security_group(GroupName="someone-else", Description="x", VpcId=vpc)
    dep: Any = harness.deployment(text)
    # AWS refuses to delete a VPC that still holds a security group (moto deletes it anyway)
    message = f"The vpc '{vpc}' has dependencies and cannot be deleted."
    inject(dep.aws, "ec2", Fault("DeleteVpc", "DependencyViolation", message, lambda: True))
    plan = dep.plan_down()
    assert not [s for s in plan.steps if s.have is not None and s.have.id == other["GroupId"]]
    result = dep.apply(plan)
    assert not result.ok
    [(step, error)] = result.failed
    assert step.key == "vpc"
    assert f"security group {other['GroupId']} (someone-else)" in str(error)
    assert "not made by ecsdeploy" in str(error)
