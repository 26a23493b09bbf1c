"""A rollout an earlier run left unfinished (in progress, failed) is work left, not
success: `plan` shows it (and `--detailed-exitcode` says 2), `up` waits for it or fails
truthfully even with nothing to change, and `wait` waits for every service's rollout.

moto finishes every rollout at once (scripts/moto_rollouts.py); these tests set the
deployment ECS would show by hand, and read the rollout through the scripted sources of
tests/reconcile/test_up_rollout.py.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from moto.ecs.models import ecs_backends
from test_up_rollout import CrashLoop, FinishedRollout
from typer.testing import CliRunner

from ecsdeploy.aws.recorder import CallRecorder
from ecsdeploy.cli import app as cli
from ecsdeploy.cli import seams
from ecsdeploy.plan.model import Unsettled
from ecsdeploy.resources.base import Observed
from ecsdeploy.resources.ecs_service import ServiceHandler

from conftest import spec_text

runner = CliRunner()
pytestmark = pytest.mark.usefixtures("no_preflight")


@pytest.fixture
def spec_file(tmp_path: Path) -> Path:
    path = tmp_path / "ecsdeploy.yaml"
    path.write_text(spec_text())
    return path


@pytest.fixture(autouse=True)
def _quiet(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(seams, "recorder", lambda: CallRecorder())


def _set_rollout(service: str, state: str, reason: str) -> None:
    """The PRIMARY deployment of ``service`` as ECS would show it: not done."""
    services = ecs_backends["123456789012"]["us-west-2"].services
    svc = services[f"mlapp-dev:{service}"]
    svc.running_count = 0
    for deployment in svc.deployments:
        deployment.update(rolloutState=state, rolloutStateReason=reason, runningCount=0)


def _deployed(spec_file: Path) -> None:
    result = runner.invoke(cli.app, ["up", str(spec_file), "--no-wait"])
    assert result.exit_code == 0, result.stderr


def _service(**attrs: Any) -> Observed:
    return Observed("ecs.service", "svc/api", "arn", "api", {}, attrs)


def test_unsettled_reads_the_primary_deployment() -> None:
    done = _service(rollout="COMPLETED", deployments=1, running=1, desired=1)
    assert ServiceHandler.unsettled(done) is None
    going = _service(rollout="IN_PROGRESS", rollout_reason="in progress.", deployments=2)
    assert ServiceHandler.unsettled(going) == ("in progress", "in progress.")
    failed = _service(rollout="FAILED", rollout_reason="circuit breaker", deployments=1)
    assert ServiceHandler.unsettled(failed) == ("failed", "circuit breaker")
    # no circuit breaker: two deployments, or fewer tasks than wanted, is a rollout going on
    assert ServiceHandler.unsettled(_service(deployments=2, running=1, desired=1))
    assert ServiceHandler.unsettled(_service(deployments=1, running=0, desired=1))
    assert ServiceHandler.unsettled(_service(deployments=1, running=1, desired=1)) is None


def test_unsettled_line() -> None:
    line = Unsettled("svc/api", "api", "failed", "tasks failed to start").line()
    assert line == "api: rollout failed (tasks failed to start)"


def test_plan_shows_a_failed_rollout_and_says_there_is_work(aws: None, spec_file: Path) -> None:
    _deployed(spec_file)
    clean = runner.invoke(cli.app, ["plan", str(spec_file), "--detailed-exitcode"])
    assert clean.exit_code == 0, clean.stderr
    _set_rollout("api", "FAILED", "ECS deployment circuit breaker: tasks failed to start.")
    result = runner.invoke(cli.app, ["plan", str(spec_file), "--detailed-exitcode"])
    assert result.exit_code == 2, result.stderr
    text = result.stdout + result.stderr
    assert "AWS matches the spec" not in text
    assert "api: rollout failed (ECS deployment circuit breaker" in text
    assert "ui: rollout" not in text
    found = runner.invoke(cli.app, ["plan", str(spec_file), "--output", "json"])
    assert json.loads(found.stdout)["unsettled"] == [
        {
            "service": "api",
            "state": "failed",
            "reason": "ECS deployment circuit breaker: tasks failed to start.",
        }
    ]


def test_rerun_of_a_failed_rollout_fails_truthfully(
    aws: None, spec_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _deployed(spec_file)
    _set_rollout("api", "FAILED", "ECS deployment circuit breaker: tasks failed to start.")
    monkeypatch.setattr(seams, "rollout_source", lambda dep: CrashLoop(dep.aws))
    result = runner.invoke(cli.app, ["up", str(spec_file), "--yes"])
    assert result.exit_code == 1, result.stderr
    text = result.stdout + result.stderr
    assert "AWS matches the spec" not in text
    assert "rollout failed service api" in text
    assert "FileNotFoundError: model.joblib" in text


def test_rerun_waits_for_a_rollout_in_progress(
    aws: None, spec_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _deployed(spec_file)
    _set_rollout("ui", "IN_PROGRESS", "ECS deployment ecs-svc/1 in progress.")
    monkeypatch.setattr(seams, "rollout_source", lambda dep: FinishedRollout(dep.aws))
    result = runner.invoke(cli.app, ["up", str(spec_file)])
    assert result.exit_code == 0, result.stderr
    text = result.stdout + result.stderr
    assert "Waiting up to 15m for the rollout of 1 service(s)" in text
    assert "rolled out service ui" in text
    assert "service api" not in text


def test_no_wait_rerun_says_it_did_not_wait(aws: None, spec_file: Path) -> None:
    _deployed(spec_file)
    _set_rollout("ui", "IN_PROGRESS", "")
    result = runner.invoke(cli.app, ["up", str(spec_file), "--no-wait"])
    assert result.exit_code == 0, result.stderr
    assert "Not waiting for the rollout of ui" in result.stdout + result.stderr


def test_wait_command_waits_for_every_service(
    aws: None, spec_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _deployed(spec_file)
    monkeypatch.setattr(seams, "rollout_source", lambda dep: FinishedRollout(dep.aws))
    result = runner.invoke(cli.app, ["wait", str(spec_file)])
    assert result.exit_code == 0, result.stderr
    text = result.stdout + result.stderr
    assert "rolled out service api" in text
    assert "rolled out service ui" in text
    monkeypatch.setattr(seams, "rollout_source", lambda dep: CrashLoop(dep.aws))
    failed = runner.invoke(cli.app, ["wait", str(spec_file), "--timeout", "1m"])
    assert failed.exit_code == 1
    assert "rollout failed service api" in failed.stdout + failed.stderr
