"""A secret's value never appears in any output.

Canaries are planted where a value could leak from: an SSM SecureString the spec names,
environment variables of the deploying process named like secrets, and the AWS secret
key itself. Every command then runs (text and JSON, with -v, the live view included, and a
failing `up` with its error report) and none of the canaries may appear in stdout or
stderr.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import boto3
import pytest
from rich.console import Console
from test_machine_output import FaultyRecorder
from typer.testing import CliRunner

from ecsdeploy.aws.recorder import CallRecorder
from ecsdeploy.cli import app as cli
from ecsdeploy.cli import seams
from ecsdeploy.output import progress
from ecsdeploy.output.live import LiveDisplay

from conftest import spec_text

runner = CliRunner()
SSM_CANARY = "canary-ssm-7f3a9c-do-not-print"
ENV_CANARY = "canary-env-41b2d8-do-not-print"
KEY_CANARY = "canaryKEY0d9e1fdoNotPrint"


def test_no_secret_value_in_any_output(
    aws: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", KEY_CANARY)  # moto takes any key
    monkeypatch.setenv("API_TOKEN", ENV_CANARY)  # as named in the spec's secrets
    monkeypatch.setenv("DB_PASSWORD", ENV_CANARY)
    monkeypatch.setattr(seams, "recorder", CallRecorder)
    boto3.client("ssm", region_name="us-west-2").put_parameter(
        Name="/mlapp/api-token", Value=SSM_CANARY, Type="SecureString"
    )
    spec = tmp_path / "ecsdeploy.yaml"
    spec.write_text(spec_text())
    live = Console(file=io.StringIO(), force_terminal=True, width=120, record=True)
    outputs: list[str] = []

    def run(*args: str, code: int = 0) -> None:
        result = runner.invoke(cli.app, list(args))
        assert result.exit_code == code, result.stderr
        outputs.append(result.stdout + result.stderr)

    run("validate", str(spec))
    run("-v", "verify", str(spec), code=1)  # the images named do not exist in moto
    run("verify", str(spec), "-o", "json", code=1)
    run("-v", "plan", str(spec))
    run("plan", str(spec), "-o", "json")
    run("-v", "up", str(spec), "--skip-verify", "--no-wait")
    run("status", str(spec))
    run("-v", "status", str(spec), "-o", "json")
    spec.write_text(spec_text().replace("memory: 1024", "memory: 2048"))
    monkeypatch.setattr(progress, "display", lambda console, verbose: LiveDisplay(live, True))
    run("-v", "up", str(spec), "--skip-verify", "--no-wait", "-o", "json")
    monkeypatch.undo()  # plain display, the recorder again, the canaries still planted
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", KEY_CANARY)
    monkeypatch.setenv("API_TOKEN", ENV_CANARY)
    monkeypatch.setattr(seams, "recorder", FaultyRecorder)
    spec.write_text(spec_text(env="prod"))
    run("-v", "up", str(spec), "--skip-verify", "--no-wait", code=1)  # fails: error report
    monkeypatch.setattr(seams, "recorder", CallRecorder)
    run("-v", "down", str(spec), "--yes")
    spec.write_text(spec_text())
    run("-v", "down", str(spec), "--yes")
    outputs.append(live.export_text())

    assert len(outputs) == 13
    assert "API_TOKEN" in "".join(outputs)  # the secret's name is shown...
    for canary in (SSM_CANARY, ENV_CANARY, KEY_CANARY):
        leaks = [out for out in outputs if canary in out]
        assert leaks == [], f"{canary} printed"  # ...its value never


def test_task_definition_passes_secrets_by_reference(aws: None, tmp_path: Path) -> None:
    """The value is read by ECS at task start: ecsdeploy only ever handles the ARN."""
    boto3.client("ssm", region_name="us-west-2").put_parameter(
        Name="/mlapp/api-token", Value=SSM_CANARY, Type="SecureString"
    )
    spec = tmp_path / "ecsdeploy.yaml"
    spec.write_text(spec_text())
    result = runner.invoke(cli.app, ["up", str(spec), "--skip-verify", "--no-wait"])
    assert result.exit_code == 0, result.stderr
    ecs = boto3.client("ecs", region_name="us-west-2")
    task = ecs.describe_task_definition(taskDefinition="mlapp-dev-api")["taskDefinition"]
    container = task["containerDefinitions"][0]
    assert container["secrets"] == [
        {
            "name": "API_TOKEN",
            "valueFrom": "arn:aws:ssm:us-west-2:123456789012:parameter/mlapp/api-token",
        }
    ]
    assert SSM_CANARY not in json.dumps(task, default=str)
