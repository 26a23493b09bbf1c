"""`ecsdeploy run --job NAME` and the jobs in `status`, against moto for what `up` makes
and the stand-in that runs tasks (tests/support/run_fake.py): the job's task runs as its
schedule would start it, its exit code is passed on, its timeout bounds the wait, and
`status` lists the job with its schedule, next run and last runs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from run_fake import RunFake, Script, install_on_every_deployment
from typer.testing import CliRunner

from ecsdeploy.cli import app as cli

from conftest import Harness, spec_text

REGION = "us-west-2"
runner = CliRunner()
JOB = """\
jobs:
  train:
    image: 123456789012.dkr.ecr.us-west-2.amazonaws.com/api:v1
    command: [python, train.py]
    schedule: cron(0 3 * * ? *)
    timezone: Europe/Paris
    timeout_minutes: {minutes}
"""


def job_spec(minutes: int = 45) -> str:
    return spec_text() + JOB.format(minutes=minutes)


@pytest.fixture
def fake(aws: None, monkeypatch: pytest.MonkeyPatch) -> RunFake:
    return install_on_every_deployment(monkeypatch, RunFake(REGION))


def deployed(harness: Harness, tmp_path: Path, minutes: int = 45) -> Path:
    harness.up(job_spec(minutes))
    path = tmp_path / "app.yaml"
    path.write_text(job_spec(minutes))
    return path


def invoke(*args: str) -> Any:
    return runner.invoke(cli.app, list(args))


def run_request(fake: RunFake) -> dict[str, Any]:
    return next(params for op, params in fake.requests if op == "RunTask")


def test_run_job_runs_what_the_schedule_runs_and_exits_with_its_code(
    harness: Harness, fake: RunFake, tmp_path: Path
) -> None:
    spec = deployed(harness, tmp_path)
    fake.scripts.append(Script(exit_code=3, lines=["training", "accuracy too low"]))
    result = invoke("run", str(spec), "--job", "train")
    assert result.exit_code == 3, result.stderr
    assert "accuracy too low" in result.stdout
    assert "exited with code 3" in result.stderr
    request = run_request(fake)
    schedule = boto3.client("scheduler", region_name=REGION).get_schedule(
        Name="train", GroupName="mlapp-dev"
    )["Target"]["EcsParameters"]
    assert request["taskDefinition"] == schedule["TaskDefinitionArn"]
    net = schedule["NetworkConfiguration"]["awsvpcConfiguration"]
    assert request["networkConfiguration"]["awsvpcConfiguration"]["subnets"] == net["Subnets"]
    assert request["group"] == "job:train"  # the failure rule and status find it so
    assert request["launchType"] == "FARGATE"
    assert fake.rejected == []


def test_run_job_success_and_command_override(
    harness: Harness, fake: RunFake, tmp_path: Path
) -> None:
    spec = deployed(harness, tmp_path)
    fake.scripts.append(Script(exit_code=0, lines=["done"]))
    result = invoke("run", str(spec), "--job", "train", "--", "python", "train.py", "--dry")
    assert result.exit_code == 0, result.stderr
    overrides = run_request(fake)["overrides"]["containerOverrides"][0]
    assert overrides["command"] == ["python", "train.py", "--dry"]


def test_run_job_is_bounded_by_its_timeout_minutes(
    harness: Harness, fake: RunFake, tmp_path: Path
) -> None:
    spec = deployed(harness, tmp_path, minutes=1)
    fake.scripts.append(Script(stop_after=None))  # hangs
    result = invoke("run", str(spec), "--job", "train")
    assert result.exit_code == 1, result.stderr
    assert "did not stop within 1 minutes" in result.stderr
    stops = [p for op, p in fake.requests if op == "StopTask"]
    assert len(stops) == 1 and "1m" in stops[0]["reason"]


def test_a_job_that_never_started_exits_1_with_the_reason(
    harness: Harness, fake: RunFake, tmp_path: Path
) -> None:
    spec = deployed(harness, tmp_path)
    fake.scripts.append(Script(pull_error=True))
    result = invoke("run", str(spec), "--job", "train")
    assert result.exit_code == 1, result.stderr
    assert "CannotPullContainerError" in result.stderr


def test_an_unknown_job_is_a_usage_error(fake: RunFake, tmp_path: Path) -> None:
    path = tmp_path / "app.yaml"
    path.write_text(job_spec())
    result = invoke("run", str(path), "--job", "trian")
    assert result.exit_code == 2, result.stderr
    assert "no job 'trian'" in result.stderr and "did you mean 'train'" in result.stderr


def test_a_job_not_deployed_says_to_run_up(fake: RunFake, tmp_path: Path) -> None:
    path = tmp_path / "app.yaml"
    path.write_text(job_spec())
    result = invoke("run", str(path), "--job", "train")
    assert result.exit_code == 1, result.stderr
    assert "not deployed" in result.stderr and "ecsdeploy up" in result.stderr


def test_status_lists_the_job_its_next_run_and_last_runs(
    harness: Harness, fake: RunFake, tmp_path: Path
) -> None:
    spec = deployed(harness, tmp_path)
    fake.scripts.append(Script(exit_code=3))
    assert invoke("run", str(spec), "--job", "train").exit_code == 3
    fake.scripts.append(Script(exit_code=0))
    assert invoke("run", str(spec), "--job", "train").exit_code == 0
    shown = invoke("status", str(spec))
    assert shown.exit_code == 0, shown.stderr
    assert "jobs" in shown.stdout and "cron(0 3 * * ? *)" in shown.stdout
    assert "Europe/Paris" in shown.stdout
    assert "exit 3" in shown.stdout and "exit 0" in shown.stdout
    assert "about an hour" in shown.stdout  # says where older runs are
    as_json = invoke("status", str(spec), "--output", "json")
    assert as_json.exit_code == 0, as_json.stderr
    (job,) = json.loads(as_json.stdout)["jobs"]
    assert job["name"] == "train" and job["schedule"] == "cron(0 3 * * ? *)"
    assert job["next_run"] is not None and job["next_run"].endswith(
        ("01:00:00+00:00", "02:00:00+00:00")
    )
    assert sorted(r["exit_code"] for r in job["runs"]) == [0, 3]
    assert all(r["seconds"] is not None for r in job["runs"])


def test_logs_reads_a_jobs_log_group(harness: Harness, fake: RunFake, tmp_path: Path) -> None:
    spec = deployed(harness, tmp_path)
    fake.scripts.append(Script(exit_code=0, lines=["retrained: accuracy 0.97"]))
    assert invoke("run", str(spec), "--job", "train").exit_code == 0
    shown = invoke("logs", str(spec), "train", "--since", "1h")
    assert shown.exit_code == 0, shown.stderr
    assert "retrained: accuracy 0.97" in shown.stdout
