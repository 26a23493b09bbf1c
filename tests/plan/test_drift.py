"""Drift: changes made outside ecsdeploy show in `plan` as drift (text and JSON) and `up`
puts the spec back. A spec change is not drift; an autoscaled task count is not either;
a resource whose ownership tag was removed is no longer touched."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest
from typer.testing import CliRunner

from ecsdeploy.aws.recorder import CallRecorder
from ecsdeploy.cli import app as cli
from ecsdeploy.cli import seams
from ecsdeploy.plan.model import Action
from ecsdeploy.plan.planner import OwnershipConflict

from conftest import Harness, spec_text

REGION = "us-west-2"
runner = CliRunner()


def _ec2() -> Any:
    return boto3.client("ec2", region_name=REGION)


def _elbv2() -> Any:
    return boto3.client("elbv2", region_name=REGION)


def _ecs() -> Any:
    return boto3.client("ecs", region_name=REGION)


def _group(name: str) -> dict[str, Any]:
    found = _ec2().describe_security_groups(
        Filters=[{"Name": "tag:ecsdeploy:key", "Values": [name]}]
    )["SecurityGroups"]
    assert len(found) == 1
    return dict(found[0])


def _lb_arn() -> str:
    return str(_elbv2().describe_load_balancers(Names=["mlapp-dev"])["LoadBalancers"][0][
        "LoadBalancerArn"
    ])  # fmt: skip


def _tags(arn: str) -> dict[str, str]:
    described = _elbv2().describe_tags(ResourceArns=[arn])["TagDescriptions"][0]["Tags"]
    return {t["Key"]: t["Value"] for t in described}


# --- out-of-band changes: (make it, check that up repaired it) --------------------------
def _open_ssh() -> None:
    _ec2().authorize_security_group_ingress(
        GroupId=_group("sg/api")["GroupId"],
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
                        "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
    )  # fmt: skip


def _ssh_closed() -> bool:
    return all(p.get("FromPort") != 22 for p in _group("sg/api")["IpPermissions"])


def _scale_ui_by_hand() -> None:
    _ecs().update_service(cluster="mlapp-dev", service="ui", desiredCount=5)


def _ui_count_restored() -> bool:
    svc = _ecs().describe_services(cluster="mlapp-dev", services=["ui"])["services"][0]
    return bool(svc["desiredCount"] == 1)


def _delete_api_rule() -> None:
    listener = _elbv2().describe_listeners(LoadBalancerArn=_lb_arn())["Listeners"][0]
    for rule in _elbv2().describe_rules(ListenerArn=listener["ListenerArn"])["Rules"]:
        if not rule["IsDefault"]:
            _elbv2().delete_rule(RuleArn=rule["RuleArn"])


def _api_rule_back() -> bool:
    listener = _elbv2().describe_listeners(LoadBalancerArn=_lb_arn())["Listeners"][0]
    rules = _elbv2().describe_rules(ListenerArn=listener["ListenerArn"])["Rules"]
    paths = [r["Conditions"][0]["PathPatternConfig"]["Values"] for r in rules if not r["IsDefault"]]
    return paths == [["/api/*"]]


def _untag_lb_name() -> None:
    _elbv2().remove_tags(ResourceArns=[_lb_arn()], TagKeys=["Name"])


def _lb_name_tag_back() -> bool:
    return _tags(_lb_arn()).get("Name") == "mlapp-dev"


DRIFTS: list[tuple[str, Callable[[], None], str, str, Callable[[], bool]]] = [
    ("ingress-rule-added", _open_ssh, "sg/api", "update", _ssh_closed),
    ("desired-count-changed", _scale_ui_by_hand, "service/ui", "update", _ui_count_restored),
    ("listener-rule-deleted", _delete_api_rule, "rule/api", "create", _api_rule_back),
    ("name-tag-removed", _untag_lb_name, "lb", "update", _lb_name_tag_back),
]


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> CallRecorder:
    rec = CallRecorder()
    monkeypatch.setattr(seams, "recorder", lambda: rec)
    return rec


@pytest.mark.parametrize(
    ("change", "key", "action", "repaired"),
    [d[1:] for d in DRIFTS],
    ids=[d[0] for d in DRIFTS],
)
def test_out_of_band_change_is_drift_in_plan_and_up_repairs_it(
    harness: Harness,
    tmp_path: Path,
    recorder: CallRecorder,
    change: Callable[[], None],
    key: str,
    action: str,
    repaired: Callable[[], bool],
) -> None:
    text = spec_text()
    spec = tmp_path / "ecsdeploy.yaml"
    spec.write_text(text)
    harness.up(text)
    change()

    shown = runner.invoke(cli.app, ["plan", str(spec)])
    assert shown.exit_code == 0, shown.stderr
    line = next(ln for ln in shown.stdout.splitlines() if f" {action} " in ln)
    what = "deleted" if action == "create" else "changed"
    assert f"(drift: {what} outside ecsdeploy)" in line, shown.stdout
    shown = runner.invoke(cli.app, ["plan", str(spec), "--output", "json"])
    assert shown.exit_code == 0, shown.stderr
    steps = json.loads(shown.stdout)["steps"]
    assert [(s["key"], s["action"], s["drift"]) for s in steps] == [(key, action, True)]
    assert recorder.mutating() == []  # plan changes nothing

    harness.up(text)
    assert repaired()
    assert harness.deployment(text).plan_up().empty  # type: ignore[attr-defined]


def test_a_spec_change_is_not_drift(harness: Harness) -> None:
    text = spec_text()
    harness.up(text)
    _open_ssh()
    changed = text.replace("port: 8501", "port: 8502")
    plan: Any = harness.deployment(changed).plan_up()  # type: ignore[attr-defined]
    by_key = {s.key: s for s in plan.changes}
    assert by_key["sg/api"].drift  # still drift: the spec did not change it
    assert by_key["taskdef/ui"].action is Action.UPDATE and not by_key["taskdef/ui"].drift
    assert by_key["sg/ui"].action is Action.UPDATE and not by_key["sg/ui"].drift


def test_an_autoscaled_task_count_is_not_drift(harness: Harness) -> None:
    text = spec_text().replace(
        "    route: /api/*\n",
        "    route: /api/*\n    autoscaling:\n      min: 1\n      max: 4\n      cpu: 70\n",
    )
    harness.up(text)
    _ecs().update_service(cluster="mlapp-dev", service="api", desiredCount=3)  # scaled out
    assert harness.deployment(text).plan_up().empty  # type: ignore[attr-defined]
    _scale_ui_by_hand()  # the UI has no autoscaling: its count is the spec's
    plan: Any = harness.deployment(text).plan_up()  # type: ignore[attr-defined]
    assert [(s.key, s.drift) for s in plan.changes] == [("service/ui", True)]


def test_a_resource_whose_ownership_tag_was_removed_is_left_alone(
    harness: Harness, tmp_path: Path, recorder: CallRecorder
) -> None:
    # Without the ecsdeploy:app tag the target group is no longer provably this app's:
    # ecsdeploy never adopts it silently (nor deletes it); up stops, naming it.
    text = spec_text()
    spec = tmp_path / "ecsdeploy.yaml"
    spec.write_text(text)
    harness.up(text)
    tg = _elbv2().describe_target_groups(Names=["mlapp-dev-api"])["TargetGroups"][0]
    _elbv2().remove_tags(ResourceArns=[tg["TargetGroupArn"]], TagKeys=["ecsdeploy:app"])

    with pytest.raises(OwnershipConflict) as caught:
        harness.deployment(text).plan_up()  # type: ignore[attr-defined]
    assert [c.name for c in caught.value.conflicts] == ["mlapp-dev-api"]
    result = runner.invoke(cli.app, ["up", str(spec), "--yes", "--skip-verify", "--no-wait"])
    assert result.exit_code == 3
    assert "mlapp-dev-api" in result.stderr and "not created by ecsdeploy" in result.stderr
    assert recorder.mutating() == []
    assert "Traceback" not in result.stderr


def test_a_record_that_cannot_be_kept_warns_and_the_deploy_stands(harness: Harness) -> None:
    """The record only labels drift: AWS refusing it must not fail an applied `up`."""
    from faults import Fault, inject

    dep: Any = harness.deployment(spec_text())
    refuse = inject(
        dep.aws, "ssm", Fault("PutParameter", "ParameterMaxVersionLimitExceeded", "too many",
                              lambda: True)
    )  # fmt: skip
    result = dep.apply(dep.plan_up())
    assert refuse.fired == 1
    assert not result.failed and not result.not_started
    assert len(result.warnings) == 1 and "too many" in result.warnings[0]
    assert harness.deployment(spec_text()).plan_up().empty  # type: ignore[attr-defined]
