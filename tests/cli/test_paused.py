"""A release paused before production traffic, through the CLI: `up` stops once the new
revision has the test traffic (prints where to test it, records the release as paused,
exits 0); `promote` continues it, `abort` rolls it back; both settle the ledger. On moto
plus the deployment fake (tests/support/deploy_fake.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from typer.testing import CliRunner

from ecsdeploy.aws.recorder import CallRecorder
from ecsdeploy.cli import app as cli
from ecsdeploy.cli import seams

from conftest import spec_text
from deploy_fake import DeployFake, install_on_every_deployment

runner = CliRunner()
pytestmark = pytest.mark.usefixtures("no_preflight")
PAUSE = "deploy:\n  strategy: blue_green\n  bake_minutes: 5\n  pause_before_traffic: true\n"


@pytest.fixture
def fake(aws: None, monkeypatch: pytest.MonkeyPatch) -> DeployFake:
    recorder = CallRecorder()
    monkeypatch.setattr(seams, "recorder", lambda: recorder)
    return install_on_every_deployment(monkeypatch, DeployFake())


def version(tmp_path: Path, n: int) -> Path:
    path = tmp_path / "ecsdeploy.yaml"
    path.write_text(spec_text().replace("api:v1", f"api:v{n}") + PAUSE)
    return path


def history(spec: Path) -> list[dict[str, Any]]:
    result = runner.invoke(cli.app, ["history", str(spec), "--output", "json"])
    assert result.exit_code == 0, result.stderr
    found: list[dict[str, Any]] = json.loads(result.stdout)["releases"]
    return found


def test_up_pauses_and_promote_continues(fake: DeployFake, tmp_path: Path) -> None:
    first = runner.invoke(cli.app, ["up", str(version(tmp_path, 1)), "--yes"])
    assert first.exit_code == 0, first.stderr
    spec = version(tmp_path, 2)
    result = runner.invoke(cli.app, ["up", str(spec), "--yes"])
    assert result.exit_code == 0, result.stderr
    assert "paused before production traffic; test it at http://" in result.stdout
    assert "/api/?ecsdeploy-test=1" in result.stdout
    dep = fake.deployment_of("api")
    assert dep is not None and dep.hook is not None
    assert dep.status == "IN_PROGRESS"
    assert history(spec)[0]["outcome"] == "paused"

    result = runner.invoke(cli.app, ["promote", str(spec)])
    assert result.exit_code == 0, result.stderr
    assert dep.status == "SUCCESSFUL"
    continued = [p for op, p in fake.requests if op == "ContinueServiceDeployment"]
    assert continued == [
        {"serviceDeploymentArn": dep.arn, "hookId": continued[0]["hookId"], "action": "CONTINUE"}
    ]
    assert history(spec)[0]["outcome"] == "rolled out"
    assert fake.rejected == []
    # nothing left to promote
    again = runner.invoke(cli.app, ["promote", str(spec)])
    assert again.exit_code == 3, again.stderr
    assert "waits before production traffic" in again.stderr


def test_abort_rolls_the_paused_release_back(fake: DeployFake, tmp_path: Path) -> None:
    assert runner.invoke(cli.app, ["up", str(version(tmp_path, 1)), "--yes"]).exit_code == 0
    spec = version(tmp_path, 2)
    assert runner.invoke(cli.app, ["up", str(spec), "--yes"]).exit_code == 0
    dep = fake.deployment_of("api")
    assert dep is not None and dep.hook is not None

    result = runner.invoke(cli.app, ["abort", str(spec), "--output", "json"])
    assert result.exit_code == 0, result.stderr
    assert dep.status == "ROLLBACK_SUCCESSFUL"
    stops = [p for op, p in fake.requests if op == "StopServiceDeployment"]
    assert stops == [{"serviceDeploymentArn": dep.arn, "stopType": "ROLLBACK"}]
    report = json.loads(result.stdout)
    assert report["action"] == "abort" and report["services"] == ["api"]
    assert report["release"]["outcome"] == "rolled back"
    latest = history(spec)[0]
    assert latest["outcome"] == "rolled back"
    assert latest["reason"] == "aborted before production traffic"


def test_a_pause_ecs_ended_on_its_own_is_settled_by_history(
    fake: DeployFake, tmp_path: Path
) -> None:
    """Nobody promoted the paused release before the PAUSE hook timed out and ECS rolled
    it back: `history` says so (and writes it down once), and `rollback` and `promote`
    no longer take it for paused. (ECS lists the deployments oldest first here: the
    order is not documented.)"""
    fake.oldest_first = True
    assert runner.invoke(cli.app, ["up", str(version(tmp_path, 1)), "--yes"]).exit_code == 0
    spec = version(tmp_path, 2)
    assert runner.invoke(cli.app, ["up", str(spec), "--yes"]).exit_code == 0
    assert history(spec)[0]["outcome"] == "paused"  # ECS still waits: nothing settled
    fake.time_out_pauses()
    # a later deployment (forced from the console, say) is not the paused release's
    fake.created_at = datetime.now(UTC) + timedelta(hours=1)
    fake.handlers()["UpdateService"](
        {"cluster": "mlapp-dev", "service": "api", "forceNewDeployment": True}
    )

    latest = history(spec)[0]
    assert latest["outcome"] == "rolled back"
    assert latest["reason"] == "api: ended by ECS while paused (The lifecycle hook timed out.)"
    assert latest["services"]["api"]["outcome"] == "rolled back"
    ssm = boto3.client("ssm", region_name="us-west-2")
    name = f"/ecsdeploy/mlapp/dev/releases/{latest['number']:06d}"
    version_after = ssm.get_parameter(Name=name)["Parameter"]["Version"]
    assert history(spec)[0]["outcome"] == "rolled back"
    assert ssm.get_parameter(Name=name)["Parameter"]["Version"] == version_after  # written once
    again = runner.invoke(cli.app, ["promote", str(spec)])
    assert again.exit_code == 3, again.stderr


def test_a_canary_release_is_watched_to_its_end(fake: DeployFake, tmp_path: Path) -> None:
    spec = tmp_path / "ecsdeploy.yaml"
    canary = "deploy:\n  strategy: canary\n  canary_percent: 10\n"
    spec.write_text(spec_text() + canary)
    assert runner.invoke(cli.app, ["up", str(spec), "--yes"]).exit_code == 0
    spec.write_text(spec_text().replace("api:v1", "api:v2") + canary)
    result = runner.invoke(cli.app, ["up", str(spec), "--yes", "--env", "dev"])
    assert result.exit_code == 0, result.stderr
    dep = fake.deployment_of("api")
    assert dep is not None and dep.status == "SUCCESSFUL"
    assert [sorted(w for _, w in weights) for _, weights in fake.shifts] == [[10, 90], [0, 100]]
    assert "promote" not in result.stderr
    assert history(spec)[0]["outcome"] == "rolled out"


def test_the_pause_hint_repeats_the_options(fake: DeployFake, tmp_path: Path) -> None:
    assert runner.invoke(cli.app, ["up", str(version(tmp_path, 1)), "--yes"]).exit_code == 0
    spec = version(tmp_path, 2)
    result = runner.invoke(cli.app, ["up", str(spec), "--yes", "--env", "dev"])
    assert result.exit_code == 0, result.stderr
    assert f"`ecsdeploy promote {spec} --env dev` sends it production traffic" in result.stderr
