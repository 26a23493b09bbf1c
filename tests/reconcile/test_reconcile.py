"""The engine end to end on moto: up, up again (no changes), down (nothing left)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ecsdeploy.plan.model import Action

from conftest import CONFIGS, Harness, owned_anything, spec_text


def _kinds(plan: Any, action: Action) -> list[str]:
    return sorted(s.key for s in plan.steps if s.action is action)


@pytest.mark.parametrize(("nat", "nat_gateways"), [("none", 0), ("single", 1), ("per_az", 2)])
def test_up_up_down(harness: Harness, nat: str, nat_gateways: int) -> None:
    text = spec_text(nat=nat)
    harness.up(text)
    assert len(owned_anything()) > 0

    import boto3

    ec2 = boto3.client("ec2", region_name="us-west-2")
    nats = [n for n in ec2.describe_nat_gateways()["NatGateways"] if n["State"] == "available"]
    assert len(nats) == nat_gateways
    private = [
        t
        for t in ec2.describe_route_tables()["RouteTables"]
        if any(tag["Value"].startswith("rt/private") for tag in t.get("Tags", []))
    ]
    assert len(private) == 2
    defaults = [r for t in private for r in t["Routes"] if r.get("NatGatewayId")]
    assert len(defaults) == (2 if nat_gateways else 0)

    harness.assert_up_changes_nothing(text)

    harness.down(text)
    assert owned_anything() == []
    # a second down finds nothing and does nothing
    harness.recorder.clear()
    assert harness.deployment(text).plan_down().empty  # type: ignore[attr-defined]
    assert harness.recorder.mutating() == []


def test_nat_mode_change_updates_routes_in_place(harness: Harness) -> None:
    harness.up(spec_text(nat="single"))
    dep: Any = harness.deployment(spec_text(nat="per_az"))
    plan = dep.plan_up()
    assert _kinds(plan, Action.CREATE) == ["eip/nat-1", "nat/1"]
    assert _kinds(plan, Action.UPDATE) == ["rt/private-1"]
    assert _kinds(plan, Action.REPLACE) == []
    assert dep.apply(plan).ok
    assert harness.deployment(spec_text(nat="per_az")).plan_up().empty  # type: ignore[attr-defined]

    dep = harness.deployment(spec_text(nat="none"))
    plan = dep.plan_up()
    assert _kinds(plan, Action.DELETE) == ["eip/nat-0", "eip/nat-1", "nat/0", "nat/1"]
    assert _kinds(plan, Action.UPDATE) == ["rt/private-0", "rt/private-1"]
    assert dep.apply(plan).ok
    assert harness.deployment(spec_text(nat="none")).plan_up().empty  # type: ignore[attr-defined]
    harness.down(spec_text(nat="none"))
    assert owned_anything() == []


def test_more_zones_adds_subnets_without_touching_the_rest(harness: Harness) -> None:
    harness.up(spec_text(azs=2))
    plan: Any = harness.deployment(spec_text(azs=3)).plan_up()  # type: ignore[attr-defined]
    created = _kinds(plan, Action.CREATE)
    assert created == ["rt/private-2", "subnet/private-2", "subnet/public-2"]
    # the load balancer and the services spread into the new zone's subnets
    assert _kinds(plan, Action.UPDATE) == [
        "endpoint/s3",
        "lb",
        "rt/public",
        "service/api",
        "service/ui",
    ]
    assert _kinds(plan, Action.REPLACE) == _kinds(plan, Action.DELETE) == []


def test_cidr_change_replaces_the_network(harness: Harness) -> None:
    # nat: none because moto's DeleteNatGateway leaves the Elastic IP associated (AWS frees
    # it), so moto refuses the replacement NAT on the same address.
    harness.up(spec_text(cidr="10.0.0.0/16", nat="none"))
    dep: Any = harness.deployment(spec_text(cidr="10.1.0.0/16", nat="none"))
    plan = dep.plan_up()
    vpc = next(s for s in plan.steps if s.key == "vpc")
    assert vpc.action is Action.REPLACE
    assert [c.field for c in vpc.changes if c.replace] == ["cidr"]
    assert next(s for s in plan.steps if s.key == "subnet/public-0").action is Action.REPLACE
    result = dep.apply(plan)
    assert result.ok, [(s.key, str(e)) for s, e in result.failed]
    assert harness.deployment(spec_text(cidr="10.1.0.0/16", nat="none")).plan_up().empty  # type: ignore[attr-defined]
    import boto3

    vpcs = boto3.client("ec2", region_name="us-west-2").describe_vpcs(
        Filters=[{"Name": "tag:ecsdeploy:app", "Values": ["mlapp"]}]
    )["Vpcs"]
    assert [v["CidrBlock"] for v in vpcs] == ["10.1.0.0/16"]


def test_two_envs_do_not_see_each_other(harness: Harness) -> None:
    harness.up(spec_text(env="dev"))
    plan: Any = harness.deployment(spec_text(env="prod")).plan_up()  # type: ignore[attr-defined]
    assert plan.counts()["no-op"] == 0
    assert plan.counts()["delete"] == 0
    assert harness.deployment(spec_text(env="prod")).plan_down().empty  # type: ignore[attr-defined]


def _mutations(harness: Harness) -> list[str]:
    return sorted(c.operation for c in harness.recorder.mutating())


def test_changing_one_env_var_registers_one_revision_and_updates_one_service(
    harness: Harness,
) -> None:
    text = spec_text()
    harness.up(text)
    changed = text.replace(
        "    route: /api/*\n", "    route: /api/*\n    env:\n      THEME: dark\n"
    )
    assert changed != text
    dep: Any = harness.deployment(changed)
    plan = dep.plan_up()
    assert _kinds(plan, Action.UPDATE) == ["service/api", "taskdef/api"]
    env_change = next(c for s in plan.changes if s.key == "taskdef/api" for c in s.changes)
    assert env_change.field == "env" and env_change.after == {"THEME": "dark"}
    harness.recorder.clear()
    assert dep.apply(plan).ok
    # and the record of what was set (reconcile.applied)
    assert _mutations(harness) == ["PutParameter", "RegisterTaskDefinition", "UpdateService"]
    assert harness.deployment(changed).plan_up().empty  # type: ignore[attr-defined]


def test_changing_a_route_updates_the_rule_not_the_target_group(harness: Harness) -> None:
    text = spec_text()
    harness.up(text)
    changed = text.replace("route: /api/*", "route: /v2/api/*")
    dep: Any = harness.deployment(changed)
    plan = dep.plan_up()
    assert [s.key for s in plan.changes] == ["rule/api", "taskdef/ui", "service/ui"]
    rule = plan.changes[0]
    assert rule.action is Action.UPDATE
    # the UI is told the API's new URL, which takes a new revision
    url = next(c for s in plan.changes if s.key == "taskdef/ui" for c in s.changes)
    assert url.field == "env"
    harness.recorder.clear()
    assert dep.apply(plan).ok
    ops = _mutations(harness)
    assert "DeleteTargetGroup" not in ops and "CreateTargetGroup" not in ops
    assert "ModifyRule" in ops or "SetRulePriorities" in ops


def test_long_names_fit_aws_limits(harness: Harness) -> None:
    app = "a-very-long-application-name-xyz"  # 32 characters, the most the spec allows
    service = "model-serving-inference-endpoint"  # 32 too
    assert len(app) == 32 and len(service) == 32
    text = (
        spec_text(app=app, env="staging")
        .replace("  api:\n", f"  {service}:\n")
        .replace("services.api.url", f"services.{service}.url")
    )
    harness.up(text)
    import boto3

    elbv2 = boto3.client("elbv2", region_name="us-west-2")
    names = [lb["LoadBalancerName"] for lb in elbv2.describe_load_balancers()["LoadBalancers"]]
    names += [tg["TargetGroupName"] for tg in elbv2.describe_target_groups()["TargetGroups"]]
    assert len(names) == 3
    assert all(len(n) <= 32 and not n.endswith("-") for n in names), names
    assert len(set(names)) == 3
    assert harness.deployment(text).plan_up().empty  # type: ignore[attr-defined]
    harness.down(text)
    assert owned_anything(app=app, env="staging") == []


def _squat_log_group() -> None:
    import boto3

    boto3.client("logs", region_name="us-west-2").create_log_group(
        logGroupName="/ecsdeploy/mlapp/dev/api"
    )


def _squat_cluster() -> None:
    import boto3

    boto3.client("ecs", region_name="us-west-2").create_cluster(
        clusterName="mlapp-dev", tags=[{"key": "ecsdeploy:app", "value": "other"}]
    )


def _squat_target_group() -> None:
    import boto3

    vpc = boto3.client("ec2", region_name="us-west-2").create_vpc(CidrBlock="10.7.0.0/16")
    boto3.client("elbv2", region_name="us-west-2").create_target_group(
        Name="mlapp-dev-api", Protocol="HTTP", Port=80, VpcId=vpc["Vpc"]["VpcId"]
    )


def _squat_role() -> None:
    import boto3

    from ecsdeploy.resources.iam_role import trust_policy

    boto3.client("iam", region_name="us-west-2").create_role(  # outside the app's path
        RoleName="mlapp-dev-api-task", AssumeRolePolicyDocument=trust_policy("ecs.amazonaws.com")
    )


@pytest.mark.parametrize(
    ("squat", "name"),
    [
        (_squat_role, "mlapp-dev-api-task"),
        (_squat_log_group, "/ecsdeploy/mlapp/dev/api"),
        (_squat_cluster, "mlapp-dev"),
        (_squat_target_group, "mlapp-dev-api"),
    ],
    ids=["role", "log_group", "cluster", "target_group"],
)
def test_a_name_held_by_something_else_stops_the_plan(
    harness: Harness, squat: Any, name: str
) -> None:
    from ecsdeploy.plan.planner import OwnershipConflict

    squat()
    harness.recorder.clear()
    with pytest.raises(OwnershipConflict) as caught:
        harness.deployment(spec_text()).plan_up()  # type: ignore[attr-defined]
    assert [c.name for c in caught.value.conflicts] == [name]
    assert harness.recorder.mutating() == []


def test_private_services_without_nat_use_endpoints(harness: Harness) -> None:
    import boto3

    text = spec_text(nat="none", endpoints="s3, ecr.api, ecr.dkr, logs, ssm")
    harness.up(text)
    ec2 = boto3.client("ec2", region_name="us-west-2")
    assert [n for n in ec2.describe_nat_gateways()["NatGateways"] if n["State"] != "deleted"] == []
    endpoints = ec2.describe_vpc_endpoints()["VpcEndpoints"]
    kinds = sorted((e["ServiceName"].split(".", 3)[-1], e["VpcEndpointType"]) for e in endpoints)
    assert kinds == [
        ("ecr.api", "Interface"),
        ("ecr.dkr", "Interface"),
        ("logs", "Interface"),
        ("s3", "Gateway"),
        ("ssm", "Interface"),
    ]
    private = {
        s["SubnetId"]
        for s in ec2.describe_subnets()["Subnets"]
        if any(t["Value"].startswith("subnet/private") for t in s.get("Tags", []))
    }
    for endpoint in endpoints:
        if endpoint["VpcEndpointType"] == "Interface":
            assert set(endpoint["SubnetIds"]) == private
            assert endpoint["PrivateDnsEnabled"] is True
    ecs = boto3.client("ecs", region_name="us-west-2")
    services = ecs.describe_services(cluster="mlapp-dev", services=["api", "ui"])["services"]
    for svc in services:
        network = svc["networkConfiguration"]["awsvpcConfiguration"]
        assert network["assignPublicIp"] == "DISABLED"
        assert set(network["subnets"]) == private
    assert harness.deployment(text).plan_up().empty  # type: ignore[attr-defined]
    harness.down(text)
    assert owned_anything() == []


def _with_model(model: Path) -> str:
    return (spec_text() + f"artifacts:\n  model:\n    source: {model}\n").replace(
        "    route: /api/*\n",
        "    route: /api/*\n    env:\n      MODEL_URI: ${artifacts.model.uri}\n",
    )


def test_artifacts_upload_once_by_content_and_are_granted_to_their_users(
    harness: Harness, tmp_path: Path
) -> None:
    import boto3

    model = tmp_path / "model.joblib"
    model.write_bytes(b"a trained model, version 1")
    harness.up(_with_model(model))
    s3 = boto3.client("s3", region_name="us-west-2")
    bucket = "mlapp-dev-artifacts-123456789012"
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert len(keys) == 1 and keys[0].startswith("model/") and keys[0].endswith("/model.joblib")
    assert s3.get_object(Bucket=bucket, Key=keys[0])["Body"].read() == model.read_bytes()
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(block.values())

    ecs = boto3.client("ecs", region_name="us-west-2")
    task = ecs.describe_task_definition(taskDefinition="mlapp-dev-api")["taskDefinition"]
    env = {e["name"]: e["value"] for e in task["containerDefinitions"][0]["environment"]}
    assert env["MODEL_URI"] == f"s3://{bucket}/{keys[0]}"
    iam = boto3.client("iam", region_name="us-west-2")
    grant = iam.get_role_policy(RoleName="mlapp-dev-api-task", PolicyName="artifacts")
    assert grant["PolicyDocument"]["Statement"][0]["Resource"] == [f"arn:aws:s3:::{bucket}/model/*"]
    assert iam.list_role_policies(RoleName="mlapp-dev-ui-task")["PolicyNames"] == []

    harness.recorder.clear()
    assert harness.deployment(_with_model(model)).plan_up().empty  # type: ignore[attr-defined]
    assert harness.recorder.mutating() == []

    model.write_bytes(b"a trained model, version 2")
    dep: Any = harness.deployment(_with_model(model))
    plan = dep.plan_up()
    assert _kinds(plan, Action.CREATE) == ["artifact/model"]  # a new key beside the old
    assert _kinds(plan, Action.DELETE) == []
    assert _kinds(plan, Action.UPDATE) == ["service/api", "taskdef/api"]
    assert dep.apply(plan).ok
    assert len(s3.list_objects_v2(Bucket=bucket)["Contents"]) == 2

    harness.down(_with_model(model))  # the engine's down deletes the bucket too;
    # keeping it is the CLI's default (tests/cli/test_cli.py)
    assert owned_anything() == []
    assert bucket not in [b["Name"] for b in s3.list_buckets()["Buckets"]]


def test_the_private_no_nat_config_deploys_without_a_nat(harness: Harness) -> None:
    import boto3

    text = (CONFIGS / "private-no-nat.yaml").read_text()
    for name in ("api", "ui"):  # prebuilt ECR images instead of builds: no Docker here
        text = text.replace(
            f"build: ../examples/{name}",
            f"image: 123456789012.dkr.ecr.us-west-2.amazonaws.com/mlapp/{name}:1.4.2",
        )
    harness.up(text)
    ec2 = boto3.client("ec2", region_name="us-west-2")
    assert [n for n in ec2.describe_nat_gateways()["NatGateways"] if n["State"] != "deleted"] == []
    services = {e["ServiceName"].rsplit(".", 1)[-1] if "ecr" not in e["ServiceName"]
                else e["ServiceName"].split(".", 3)[-1]
                for e in ec2.describe_vpc_endpoints()["VpcEndpoints"]}  # fmt: skip
    assert services == {"s3", "ecr.api", "ecr.dkr", "logs", "ssm"}
    ecs = boto3.client("ecs", region_name="us-west-2")
    for svc in ecs.describe_services(cluster="mlapp-private", services=["api", "ui"])["services"]:
        assert svc["networkConfiguration"]["awsvpcConfiguration"]["assignPublicIp"] == "DISABLED"
    harness.down(text)
    assert owned_anything(env="private") == []
