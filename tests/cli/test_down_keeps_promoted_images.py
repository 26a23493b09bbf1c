"""`down` of an environment keeps an ECR repository whose images another environment of
the app still runs (`promote` pins the target to the source's images by digest; a kept
release may roll back to them): deleting it (force: the images go with it) would leave
that environment unable to start a task. Its own task definitions do not count."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest
from typer.testing import CliRunner

from ecsdeploy.cli import app as cli
from ecsdeploy.resources import keys
from ecsdeploy.spec.naming import Owner, dict_to_tags

from conftest import spec_text

runner = CliRunner()
pytestmark = pytest.mark.usefixtures("no_preflight")
REGION = "us-west-2"
IMAGE = "123456789012.dkr.ecr.us-west-2.amazonaws.com/mlapp/dev/api@sha256:" + "ab" * 32


def _register(env: str, family: str) -> str:
    ecs = boto3.client("ecs", region_name=REGION)
    found = ecs.register_task_definition(
        family=family,
        containerDefinitions=[{"name": "api", "image": IMAGE, "essential": True}],
        requiresCompatibilities=["FARGATE"],
        networkMode="awsvpc",
        cpu="256",
        memory="512",
        tags=[  # ECS spells its tags in lower case
            {"key": k, "value": v} for k, v in Owner("mlapp", env).tags(f"task/{family}").items()
        ],
    )
    return str(found["taskDefinition"]["taskDefinitionArn"])


def _repositories() -> list[str]:
    ecr = boto3.client("ecr", region_name=REGION)
    return [r["repositoryName"] for r in ecr.describe_repositories()["repositories"]]


def test_down_keeps_a_repository_another_env_runs(aws: None, tmp_path: Path) -> None:
    spec = tmp_path / "ecsdeploy.yaml"
    spec.write_text(spec_text())
    ecr = boto3.client("ecr", region_name=REGION)
    dev = Owner("mlapp", "dev")
    ecr.create_repository(
        repositoryName="mlapp/dev/api",
        tags=dict_to_tags(dev.tags(keys.repository("api"), "mlapp/dev/api")),
    )
    _register("dev", "mlapp-dev-api")  # this env's own: does not keep it
    # an env whose name begins with this one's: its family name begins with mlapp-dev-
    promoted = _register("dev-2", "mlapp-dev-2-api")

    result = runner.invoke(cli.app, ["down", str(spec), "--yes"])
    assert result.exit_code == 0, result.stderr
    assert (
        "kept mlapp/dev/api: other environments' task definitions run its images "
        "(mlapp-dev-2-api:1: promoted, or a release they may roll back to)" in result.stderr
    )
    assert _repositories() == ["mlapp/dev/api"]

    # once no other env runs its images, the next down deletes it
    boto3.client("ecs", region_name=REGION).deregister_task_definition(taskDefinition=promoted)
    result = runner.invoke(cli.app, ["down", str(spec), "--yes"])
    assert result.exit_code == 0, result.stderr
    assert _repositories() == []
