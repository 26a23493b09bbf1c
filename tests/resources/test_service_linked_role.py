"""ECS's service-linked role on a fresh account: made before the cluster when missing,
left alone when present (resources/ecs_cluster.py)."""

from __future__ import annotations

import json

import boto3

from conftest import Harness, spec_text

ROLE = "AWSServiceRoleForECS"
PATH = "/aws-service-role/ecs.amazonaws.com/"


def _calls(harness: Harness, operation: str) -> int:
    calls = harness.recorder.mutating() + harness.recorder.reads()
    return sum(1 for c in calls if c.operation == operation)


def test_a_fresh_account_gets_the_role_before_the_cluster(harness: Harness) -> None:
    iam = boto3.client("iam", region_name="us-west-2")
    assert not [r for r in iam.list_roles()["Roles"] if r["Path"] == PATH]
    harness.up(spec_text())
    assert _calls(harness, "CreateServiceLinkedRole") == 1
    # (moto names it AWSServiceRoleForecs; AWS names it AWSServiceRoleForECS)
    assert [r for r in iam.list_roles()["Roles"] if r["Path"] == PATH]


def test_an_account_that_has_it_is_left_alone(harness: Harness) -> None:
    trust = {"Version": "2012-10-17", "Statement": []}
    boto3.client("iam", region_name="us-west-2").create_role(
        RoleName=ROLE, Path=PATH, AssumeRolePolicyDocument=json.dumps(trust)
    )  # as AWS names it
    harness.up(spec_text())
    assert _calls(harness, "CreateServiceLinkedRole") == 0
    assert _calls(harness, "GetRole") >= 1
