"""``ecsdeploy promote --from dev --to prod``: the target runs the source's images pinned by
digest, no build; the release is recorded with where it came from; a missing source env or
service is refused before anything changes."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from test_preflight import put_image
from typer.testing import CliRunner

from ecsdeploy.aws.clients import Aws
from ecsdeploy.aws.recorder import CallRecorder
from ecsdeploy.cli import app as cli
from ecsdeploy.cli import seams
from ecsdeploy.ops.promote import pin, running_digest
from ecsdeploy.resources import releases
from ecsdeploy.spec.naming import Owner

from conftest import spec_text

runner = CliRunner()
pytestmark = pytest.mark.usefixtures("no_preflight")
REGION = "us-west-2"
HOST = "123456789012.dkr.ecr.us-west-2.amazonaws.com"


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


def _image(env: str, service: str) -> str:
    ecs = boto3.client("ecs", region_name=REGION)
    arn = ecs.describe_services(cluster=f"mlapp-{env}", services=[service])["services"][0][
        "taskDefinition"
    ]
    task = ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"]
    return str(task["containerDefinitions"][0]["image"])


def test_promote_deploys_the_sources_digests_and_records_where_from(
    aws: None, recorder: CallRecorder, spec_file: Path
) -> None:
    api_v1 = put_image("api", "v1")
    put_image("ui", "v1")
    assert runner.invoke(cli.app, ["up", str(spec_file), "--no-wait"]).exit_code == 0

    result = runner.invoke(
        cli.app,
        ["promote", str(spec_file), "--from", "dev", "--to", "prod", "--yes", "--no-wait",
         "--output", "json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["promoted_from"] == "dev#1"
    assert data["env"] == "prod" and data["release"] == 1
    assert _image("prod", "api") == f"{HOST}/api@{api_v1}"
    assert _image("prod", "ui").startswith(f"{HOST}/ui@sha256:")
    assert "Promoting dev#1 to mlapp/prod" in result.stderr

    ledger = releases.read_all(Aws(REGION), Owner("mlapp", "prod"))
    assert [r.promoted_from for r in ledger] == ["dev#1"]
    assert ledger[0].what == "promote from dev#1"

    # promoting again changes nothing: the same digests run
    recorder.clear()
    result = runner.invoke(
        cli.app, ["promote", str(spec_file), "--from", "dev", "--to", "prod", "--no-wait"]
    )
    assert result.exit_code == 0, result.stderr
    assert "No changes" in result.stdout
    assert recorder.mutating() == []


def test_promote_refuses_a_missing_env_or_service(
    aws: None, recorder: CallRecorder, spec_file: Path
) -> None:
    result = runner.invoke(
        cli.app, ["promote", str(spec_file), "--from", "qa", "--to", "prod", "--yes"]
    )
    assert result.exit_code == 2
    assert "env 'qa' of mlapp does not exist" in result.stderr
    assert recorder.mutating() == []

    assert runner.invoke(cli.app, ["up", str(spec_file), "--no-wait"]).exit_code == 0
    ecs = boto3.client("ecs", region_name=REGION)
    ecs.delete_service(cluster="mlapp-dev", service="ui", force=True)
    recorder.clear()
    result = runner.invoke(
        cli.app, ["promote", str(spec_file), "--from", "dev", "--to", "prod", "--yes"]
    )
    assert result.exit_code == 2
    assert "runs no service ui" in result.stderr
    assert recorder.mutating() == []

    result = runner.invoke(cli.app, ["promote", str(spec_file), "--from", "dev", "--to", "dev"])
    assert result.exit_code == 2
    result = runner.invoke(cli.app, ["promote", str(spec_file), "--to", "prod"])
    assert result.exit_code == 2


def test_the_digest_is_the_one_the_running_tasks_pulled() -> None:
    """DescribeTasks' containers[].imageDigest, of a task of the revision the service runs
    (moto runs no task: the answer is AWS's documented shape)."""
    arn = "arn:aws:ecs:us-west-2:123456789012:task-definition/mlapp-dev-api:3"
    tasks = [
        {"taskDefinitionArn": arn.replace(":3", ":2"), "lastStatus": "RUNNING",
         "containers": [{"name": "api", "imageDigest": "sha256:old"}]},
        {"taskDefinitionArn": arn, "lastStatus": "STOPPED",
         "containers": [{"name": "api", "imageDigest": "sha256:stopped"}]},
        {"taskDefinitionArn": arn, "lastStatus": "RUNNING",
         "containers": [{"name": "sidecar", "imageDigest": "sha256:side"},
                        {"name": "api", "imageDigest": "sha256:now"}]},
    ]  # fmt: skip
    assert running_digest(tasks, "api", arn) == "sha256:now"
    assert running_digest(tasks[:2], "api", arn) == ""
    assert pin(Aws(REGION), f"{HOST}/api:v1", "sha256:now") == f"{HOST}/api@sha256:now"
    assert pin(Aws(REGION), "nginx@sha256:abc") == "nginx@sha256:abc"
    assert pin(Aws(REGION), "nginx:1.27", "sha256:d") == "nginx@sha256:d"
    assert pin(Aws(REGION), "localhost:5000/web:1", "sha256:d") == "localhost:5000/web@sha256:d"
    assert pin(Aws(REGION), "nginx:1.27") is None  # not in ECR, no digest known
