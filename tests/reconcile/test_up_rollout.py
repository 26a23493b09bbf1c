"""``up`` waits for the rollouts it started and reports them honestly.

moto never runs tasks, so the rollout reads go through a source that takes moto's real
service description and plays what ECS would do next: finish the rollout, or have the
circuit breaker roll it back.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rollout_fakes import AwsPerService
from typer.testing import CliRunner

from ecsdeploy.aws.recorder import CallRecorder
from ecsdeploy.cli import app as cli
from ecsdeploy.cli import seams

from conftest import spec_text

runner = CliRunner()
pytestmark = pytest.mark.usefixtures("no_preflight")


class FinishedRollout(AwsPerService):
    """ECS as after a clean rollout: our deployment COMPLETED, all tasks healthy."""

    def describe_service(self, cluster: str, service: str) -> dict[str, Any]:
        svc = super().describe_service(cluster, service)
        for deployment in svc.get("deployments", []):
            deployment.update(rolloutState="COMPLETED", runningCount=svc["desiredCount"])
        svc["runningCount"] = svc["desiredCount"]
        return svc

    def target_health(self, target_group_arn: str) -> list[dict[str, Any]]:
        return [{"TargetHealth": {"State": "healthy"}}] * self.desired_behind(target_group_arn)


class CrashLoop(AwsPerService):
    """ECS after a crash loop: the circuit breaker failed our deployment and rolled back."""

    def describe_service(self, cluster: str, service: str) -> dict[str, Any]:
        svc = super().describe_service(cluster, service)
        for deployment in svc.get("deployments", []):
            deployment.update(
                rolloutState="FAILED",
                failedTasks=3,
                rolloutStateReason="ECS deployment circuit breaker: tasks failed to start.",
            )
        return svc

    def stopped_tasks(self, cluster: str, service: str) -> list[dict[str, Any]]:
        svc = super().describe_service(cluster, service)
        return [
            {
                "taskArn": f"arn:aws:ecs:us-west-2:123456789012:task/{cluster}/abc123",
                "taskDefinitionArn": svc["taskDefinition"],
                "stoppedReason": "Essential container in task exited",
                "containers": [{"name": service, "exitCode": 1, "reason": ""}],
            }
        ]

    def log_tail(self, log_group: str, stream_prefix: str, limit: int) -> list[str]:
        return ["Traceback (most recent call last):", "FileNotFoundError: model.joblib"]


@pytest.fixture
def spec_file(tmp_path: Path) -> Path:
    path = tmp_path / "ecsdeploy.yaml"
    path.write_text(spec_text())
    return path


@pytest.fixture(autouse=True)
def _quiet(monkeypatch: pytest.MonkeyPatch) -> CallRecorder:
    recorder = CallRecorder()
    monkeypatch.setattr(seams, "recorder", lambda: recorder)
    return recorder


def test_up_waits_for_a_clean_rollout(
    aws: None, spec_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(seams, "rollout_source", lambda dep: FinishedRollout(dep.aws))
    result = runner.invoke(cli.app, ["up", str(spec_file)])
    assert result.exit_code == 0, result.stderr
    assert "Waiting up to 15m for the rollout of 2 service(s)" in result.stderr
    assert "rolled out service api" in result.stdout
    assert "rolled out service ui" in result.stdout


def test_rollback_is_a_failure_with_the_reason_and_the_logs(
    aws: None, spec_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(seams, "rollout_source", lambda dep: CrashLoop(dep.aws))
    result = runner.invoke(cli.app, ["up", str(spec_file), "--timeout", "5m"])
    assert result.exit_code == 1
    assert "rollout failed service api" in result.stdout
    assert "circuit breaker" in result.stdout
    assert "Essential container in task exited" in result.stdout
    assert "FileNotFoundError: model.joblib" in result.stdout
    assert "rolled out" not in result.stdout


def test_unchanged_up_has_no_rollout_to_wait_for(
    aws: None, spec_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert runner.invoke(cli.app, ["up", str(spec_file), "--no-wait"]).exit_code == 0
    monkeypatch.setattr(seams, "rollout_source", lambda dep: CrashLoop(dep.aws))
    result = runner.invoke(cli.app, ["up", str(spec_file)])
    assert result.exit_code == 0
    assert "No changes" in result.stdout
    assert "rollout" not in result.stderr


def test_bad_timeout_is_bad_input(aws: None, spec_file: Path) -> None:
    result = runner.invoke(cli.app, ["up", str(spec_file), "--timeout", "soon"])
    assert result.exit_code == 2
    assert "Invalid value for '--timeout': 'soon' is not a duration" in result.stderr
    assert "spec" not in result.stderr  # an argument problem, not a spec one
