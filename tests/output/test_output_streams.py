"""What a command is for goes to stdout (the plan, the status table, the `up` summary),
progress and diagnostics to stderr, and with `--output json` only JSON is on stdout.
Without a terminal, tables are drawn wide rather than wrapped at 80 columns."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ecsdeploy.aws.recorder import CallRecorder
from ecsdeploy.cli import app as cli
from ecsdeploy.cli import seams
from ecsdeploy.output.console import WIDE, out

from conftest import spec_text

runner = CliRunner()
pytestmark = pytest.mark.usefixtures("no_preflight")


@pytest.fixture
def spec_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(seams, "recorder", lambda: CallRecorder())
    path = tmp_path / "ecsdeploy.yaml"
    path.write_text(spec_text())
    return path


def test_plan_text_goes_to_stdout(aws: None, spec_file: Path) -> None:
    result = runner.invoke(cli.app, ["plan", str(spec_file)])
    assert result.exit_code == 0, result.stderr
    assert "Plan for mlapp/dev" in result.stdout and "+ create" in result.stdout
    assert "Plan for" not in result.stderr


def test_up_summary_on_stdout_progress_on_stderr(aws: None, spec_file: Path) -> None:
    result = runner.invoke(cli.app, ["up", str(spec_file), "--no-wait"])
    assert result.exit_code == 0, result.stderr
    assert "Done: up of mlapp/dev" in result.stdout
    assert "creating  ec2.vpc" in result.stderr and "creating" not in result.stdout
    again = runner.invoke(cli.app, ["up", str(spec_file), "--no-wait", "--output", "json"])
    assert again.exit_code == 0, again.stderr
    assert json.loads(again.stdout)["ok"] is True  # nothing but JSON on stdout
    assert "No changes" in again.stderr


def test_status_shows_services_and_lists_resources_only_with_all(
    aws: None, spec_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)
    assert runner.invoke(cli.app, ["up", str(spec_file), "--no-wait"]).exit_code == 0
    short = runner.invoke(cli.app, ["status", str(spec_file)])
    assert short.exit_code == 0, short.stderr
    assert "mlapp/dev in us-west-2: services" in short.stdout
    assert "ec2.vpc" not in short.stdout
    assert f"`ecsdeploy status {spec_file} --all` lists them by layer" in short.stdout
    full = runner.invoke(cli.app, ["status", str(spec_file), "--all"])
    assert full.exit_code == 0, full.stderr
    assert "ec2.vpc" in full.stdout
    # no terminal: a row is one line, wider than 80 columns, not folded
    row = next(line for line in full.stdout.splitlines() if "ecs.service" in line)
    assert "1/1 running, completed" in row
    assert max(len(line) for line in full.stdout.splitlines()) > 80


def test_wide_without_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)
    assert not out.is_terminal
    assert out.width == WIDE
    monkeypatch.setenv("COLUMNS", "120")
    assert out.width == 120
