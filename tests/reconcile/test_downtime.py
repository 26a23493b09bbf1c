"""Replacements without downtime: a port change makes the new target group beside the old
one, moves the rule and the ECS service to it in place (UpdateService), and deletes the old
one after; a replacement that cannot avoid downtime is marked in the plan, and ``up``
refuses it without a terminal unless --allow-downtime is given."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from typer.testing import CliRunner

from ecsdeploy.aws.recorder import CallRecorder
from ecsdeploy.cli import app as cli
from ecsdeploy.cli import seams
from ecsdeploy.plan.model import Action
from ecsdeploy.resources.target_group import other_name

from conftest import Harness, owned_anything, spec_text

runner = CliRunner()

NEW_PORT = spec_text().replace("port: 8000", "port: 8080")
INTERNAL = spec_text() + "load_balancer:\n  public: false\n"


def _groups() -> dict[str, int]:
    elbv2 = boto3.client("elbv2", region_name="us-west-2")
    return {g["TargetGroupName"]: g["Port"] for g in elbv2.describe_target_groups()["TargetGroups"]}


def _operations(recorder: CallRecorder) -> list[str]:
    return [c.operation for c in recorder.mutating()]


def test_port_change_moves_the_service_to_a_new_target_group(harness: Harness) -> None:
    harness.up(spec_text())
    assert _groups()["mlapp-dev-api"] == 8000
    service_arn = _service_arn("api")

    dep: Any = harness.deployment(NEW_PORT)
    plan = dep.plan_up()
    actions = {s.key: s for s in plan.changes}
    assert actions["tg/api"].action is Action.REPLACE and actions["tg/api"].alongside
    assert actions["service/api"].action is Action.UPDATE
    assert actions["rule/api"].action is Action.UPDATE
    assert plan.downtime == []

    harness.recorder.clear()
    result = dep.apply(plan)
    assert result.ok, [(s.key, str(e)) for s, e in result.failed]
    calls = _operations(harness.recorder)
    assert "DeleteService" not in calls and "CreateService" not in calls
    assert "UpdateService" in calls
    # the new target group was created before the old one was deleted
    assert calls.index("CreateTargetGroup") < calls.index("DeleteTargetGroup")
    # the service's security group lets the new port in before the service moves, and
    # drops the old one only once the old target group has drained and gone
    assert calls.index("AuthorizeSecurityGroupIngress") < calls.index("UpdateService")
    assert calls.index("DeleteTargetGroup") < calls.index("RevokeSecurityGroupIngress")
    groups = _groups()
    assert "mlapp-dev-api" not in groups  # the old one is gone
    assert groups[other_name("mlapp-dev-api")] == 8080
    assert _service_arn("api") == service_arn  # the same service
    ecs = boto3.client("ecs", region_name="us-west-2")
    svc = ecs.describe_services(cluster="mlapp-dev", services=["api"])["services"][0]
    elbv2 = boto3.client("elbv2", region_name="us-west-2")
    new_arn = elbv2.describe_target_groups(Names=[other_name("mlapp-dev-api")])["TargetGroups"][0][
        "TargetGroupArn"
    ]
    assert [lb["targetGroupArn"] for lb in svc["loadBalancers"]] == [new_arn]

    harness.assert_up_changes_nothing(NEW_PORT)
    # and back: the replacement of the replacement takes the first name again
    harness.recorder.clear()
    harness.up(spec_text())
    assert "DeleteService" not in _operations(harness.recorder)
    assert _groups()["mlapp-dev-api"] == 8000 and other_name("mlapp-dev-api") not in _groups()
    harness.down(spec_text())
    assert owned_anything() == []


def test_retire_waits_for_the_old_targets_to_drain(harness: Harness) -> None:
    harness.up(spec_text())
    elbv2 = boto3.client("elbv2", region_name="us-west-2")
    old = elbv2.describe_target_groups(Names=["mlapp-dev-api"])["TargetGroups"][0]
    elbv2.register_targets(TargetGroupArn=old["TargetGroupArn"], Targets=[{"Id": "10.0.3.7"}])
    dep: Any = harness.deployment(NEW_PORT)
    result = dep.apply(dep.plan_up())
    # the old tasks never left it (as after a rollback): the old one is kept, and up says why
    assert not result.ok
    [(step, error)] = result.failed
    assert step.key == "tg/api" and "to drain" in str(error)
    assert "mlapp-dev-api" in _groups()


def _service_arn(name: str) -> str:
    ecs = boto3.client("ecs", region_name="us-west-2")
    arn: str = ecs.describe_services(cluster="mlapp-dev", services=[name])["services"][0][
        "serviceArn"
    ]
    return arn


def test_a_scheme_change_is_marked_downtime(harness: Harness) -> None:
    harness.up(spec_text())
    plan: Any = harness.deployment(INTERNAL).plan_up()  # type: ignore[attr-defined]
    marked = {s.key: s.downtime for s in plan.downtime}
    assert "lb" in marked and "new DNS name" in marked["lb"]
    assert "listener/http" in marked
    assert not any(s.alongside for s in plan.changes if s.key.startswith("rule/"))


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch, no_preflight: None) -> CallRecorder:
    rec = CallRecorder()
    monkeypatch.setattr(seams, "recorder", lambda: rec)
    return rec


def test_up_refuses_downtime_without_allow_downtime(
    aws: None, recorder: CallRecorder, tmp_path: Path
) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(spec_text())
    assert runner.invoke(cli.app, ["up", str(path), "--no-wait"]).exit_code == 0
    path.write_text(INTERNAL)

    result = runner.invoke(cli.app, ["plan", str(path)])
    assert "(downtime: requests fail until the new load balancer" in result.stdout
    result = runner.invoke(cli.app, ["plan", str(path), "--output", "json"])
    assert any(s["downtime"] for s in json.loads(result.stdout)["steps"])

    recorder.clear()
    result = runner.invoke(cli.app, ["up", str(path), "--yes", "--no-wait"])  # --yes: not enough
    assert result.exit_code == 3, result.stderr
    assert "--allow-downtime" in result.stderr
    assert recorder.mutating() == []

    result = runner.invoke(cli.app, ["up", str(path), "--yes", "--allow-downtime", "--no-wait"])
    assert result.exit_code == 0, result.stderr
    elbv2 = boto3.client("elbv2", region_name="us-west-2")
    [lb] = elbv2.describe_load_balancers()["LoadBalancers"]
    assert lb["Scheme"] == "internal"


def test_port_change_needs_no_allow_downtime(
    aws: None, recorder: CallRecorder, tmp_path: Path
) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(spec_text())
    assert runner.invoke(cli.app, ["up", str(path), "--no-wait"]).exit_code == 0
    path.write_text(NEW_PORT)
    recorder.clear()
    result = runner.invoke(cli.app, ["up", str(path), "--yes", "--no-wait"])
    assert result.exit_code == 0, result.stderr
    assert "(beside the old one)" in result.stdout
    assert "DeleteService" not in [c.operation for c in recorder.mutating()]
