"""``ecsdeploy ls``: the apps and environments of the region from their tags, with URL,
services, last release and monthly cost (table on stdout, or JSON); and commands acting on
an env that has nothing say which envs the app has."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ecsdeploy.aws.recorder import CallRecorder
from ecsdeploy.cli import app as cli
from ecsdeploy.cli import seams
from ecsdeploy.output.inventory_view import expiry

from conftest import spec_text

runner = CliRunner()
pytestmark = pytest.mark.usefixtures("no_preflight")


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> CallRecorder:
    rec = CallRecorder()
    monkeypatch.setattr(seams, "recorder", lambda: rec)
    return rec


@pytest.fixture
def spec_file(tmp_path: Path) -> Path:
    path = tmp_path / "ecsdeploy.yaml"
    path.write_text(spec_text())
    return path


def test_ls_lists_every_app_and_env_of_the_region(
    aws: None, recorder: CallRecorder, spec_file: Path, tmp_path: Path
) -> None:
    result = runner.invoke(cli.app, ["ls", "--region", "us-west-2"])
    assert result.exit_code == 0, result.stderr
    assert "No app managed by ecsdeploy in us-west-2" in result.stdout

    assert runner.invoke(cli.app, ["up", str(spec_file), "--no-wait"]).exit_code == 0
    other = tmp_path / "other.yaml"
    other.write_text(spec_text(app="shop", env="prod", nat="none", cidr="10.1.0.0/16"))
    assert runner.invoke(cli.app, ["up", str(other), "--no-wait"]).exit_code == 0

    recorder.clear()
    result = runner.invoke(cli.app, ["ls", "--region", "us-west-2", "--output", "json"])
    assert result.exit_code == 0, result.stderr
    assert recorder.mutating() == []
    data = json.loads(result.stdout)
    assert data["region"] == "us-west-2"
    assert [(e["app"], e["env"]) for e in data["envs"]] == [("mlapp", "dev"), ("shop", "prod")]
    dev, shop = data["envs"]
    assert dev["services"] == ["api", "ui"]
    assert dev["url"].startswith("http://") and "elb" in dev["url"]
    assert dev["last_release"]["number"] == 1 and dev["last_release"]["outcome"] == "not waited"
    # the cost of what runs, as `plan` counts it
    plan = json.loads(runner.invoke(cli.app, ["plan", str(spec_file), "--output", "json"]).stdout)
    assert dev["monthly_cost"] == round(plan["cost"]["before"]["total"], 2) > 0
    assert shop["monthly_cost"] > 0
    assert dev["expires"] is None

    result = runner.invoke(cli.app, ["ls", "--region", "us-west-2", "--app", "shop"])
    assert result.exit_code == 0, result.stderr
    assert "shop" in result.stdout and "mlapp" not in result.stdout
    assert "api ui" in result.stdout


def test_an_unknown_env_names_the_envs_there_are(
    aws: None, recorder: CallRecorder, spec_file: Path
) -> None:
    result = runner.invoke(cli.app, ["down", str(spec_file), "--env", "prod", "--yes"])
    assert result.exit_code == 0
    assert "mlapp has no environment in us-west-2" in result.stderr

    assert runner.invoke(cli.app, ["up", str(spec_file), "--no-wait"]).exit_code == 0
    assert (
        runner.invoke(cli.app, ["up", str(spec_file), "--env", "prod", "--no-wait"]).exit_code == 0
    )
    result = runner.invoke(cli.app, ["down", str(spec_file), "--env", "prdo", "--yes"])
    assert result.exit_code == 0
    assert "Nothing to delete" in result.stdout
    assert "its envs: dev, prod; did you mean 'prod'?" in result.stderr
    result = runner.invoke(cli.app, ["status", str(spec_file), "--env", "prdo"])
    assert "did you mean 'prod'?" in result.stderr
    result = runner.invoke(cli.app, ["plan", str(spec_file), "--env", "qa"])
    assert result.exit_code == 0
    assert "no env 'qa' in us-west-2; its envs: dev, prod" in result.stderr
    result = runner.invoke(cli.app, ["plan", str(spec_file), "--env", "prod"])
    assert "its envs" not in result.stderr  # prod exists: no note


def test_expiry_reads_as_a_span() -> None:
    now = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
    assert expiry("2026-12-10T15:00:00Z", now) == "in 3d 3h"
    assert expiry("2026-12-07T07:00:00Z", now) == "expired 5h ago"
    assert expiry("2026-12-07T12:30:00Z", now) == "in 30m"
    assert expiry("", now) == ""
