"""configs/express.yaml end to end through the engine and the CLI: the roles, the
cluster and the Express Mode service (on the Express fake, as moto has none), its URL,
an unchanged second run, and down."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ecsdeploy.aws.recorder import CallRecorder
from ecsdeploy.cli import app as cli
from ecsdeploy.cli import seams

from conftest import CONFIGS
from express_fake import ExpressFake, install_on_every_deployment

runner = CliRunner()
pytestmark = pytest.mark.usefixtures("no_preflight")


@pytest.fixture
def fake(aws: None, monkeypatch: pytest.MonkeyPatch) -> ExpressFake:
    """One fake AWS-side Express state, installed on every deployment the CLI connects."""
    recorder = CallRecorder()
    monkeypatch.setattr(seams, "recorder", lambda: recorder)
    return install_on_every_deployment(monkeypatch)


def test_express_up_status_down(fake: ExpressFake, tmp_path: Path) -> None:
    import boto3

    config = str(CONFIGS / "express.yaml")
    result = runner.invoke(cli.app, ["up", config, "--no-wait"])
    assert result.exit_code == 0, result.stderr
    assert "URL: extract: https://" in result.stdout

    iam = boto3.client("iam", region_name="us-west-2")
    roles = {r["RoleName"] for r in iam.list_roles(PathPrefix="/ecsdeploy/receipts/dev/")["Roles"]}
    assert roles == {
        "receipts-dev-execution",
        "receipts-dev-infrastructure",
        "receipts-dev-extract-task",
    }
    attached = iam.list_attached_role_policies(RoleName="receipts-dev-infrastructure")
    assert [p["PolicyName"] for p in attached["AttachedPolicies"]] == [
        "AmazonECSInfrastructureRoleforExpressGatewayServices"
    ]

    result = runner.invoke(cli.app, ["status", config, "--output", "json"])
    status = json.loads(result.stdout)
    extract = next(s for s in status["services"] if s["name"] == "extract")
    assert extract["url"].startswith("https://")

    updates = fake.calls.get("UpdateExpressGatewayService", 0)
    creates = fake.calls.get("CreateExpressGatewayService", 0)
    result = runner.invoke(cli.app, ["up", config, "--no-wait"])
    assert result.exit_code == 0, result.stderr
    assert "No changes" in result.stdout
    assert fake.calls.get("UpdateExpressGatewayService", 0) == updates
    assert fake.calls.get("CreateExpressGatewayService", 0) == creates == 1

    result = runner.invoke(cli.app, ["down", config, "--yes"])
    assert result.exit_code == 0, result.stderr
    assert iam.list_roles(PathPrefix="/ecsdeploy/receipts/dev/")["Roles"] == []
    result = runner.invoke(cli.app, ["status", config, "--output", "json"])
    assert json.loads(result.stdout)["resources"] == []
