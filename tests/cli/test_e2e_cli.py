"""End to end: the installed CLI as a subprocess against a moto server (AWS_ENDPOINT_URL),
as a user runs it: validate, up, up again (no change), status, down, nothing left."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from conftest import CONFIGS, run_cli

pytestmark = pytest.mark.e2e


def _prebuilt_example(tmp_path: Path) -> str:
    """configs/example.yaml with prebuilt images instead of builds: no Docker needed."""
    text = (CONFIGS / "example.yaml").read_text()
    for name in ("api", "ui"):
        text = text.replace(
            f"build: ../examples/{name}", f"image: registry.example.com/mlapp/{name}:1.4.2"
        )
    path = tmp_path / "example.yaml"
    path.write_text(text)
    return str(path)


def test_example_up_status_down(moto_server: str, tmp_path: Path) -> None:
    config = _prebuilt_example(tmp_path)
    assert run_cli(moto_server, "validate", config).returncode == 0

    # the spec names an SSM parameter: verify (and up) refuse until it exists
    missing = run_cli(moto_server, "verify", config)
    assert missing.returncode == 1 and "/mlapp/api-token" in missing.stdout
    import boto3

    boto3.client("ssm", region_name="us-west-2", endpoint_url=moto_server).put_parameter(
        Name="/mlapp/api-token", Value="s3cret", Type="SecureString", Overwrite=True
    )
    verified = run_cli(moto_server, "verify", config)
    assert verified.returncode == 0, verified.stderr

    first = run_cli(moto_server, "up", config, "--yes", "--no-wait")
    assert first.returncode == 0, first.stderr
    assert "Done:" in first.stdout

    again = run_cli(moto_server, "-v", "up", config, "--no-wait")
    assert again.returncode == 0, again.stderr
    assert "No changes" in again.stdout
    calls = [ln.split()[-1] for ln in again.stderr.splitlines() if ln.startswith("aws ")]
    assert calls, "-v logged no AWS calls"
    mutating = [c for c in calls if not c.split(":")[1].startswith(("Describe", "List", "Get"))]
    assert mutating == []

    status = run_cli(moto_server, "status", config, "--output", "json")
    assert status.returncode == 0, status.stderr
    report = json.loads(status.stdout)
    kinds = Counter(r["kind"] for r in report["resources"])
    assert kinds["ec2.vpc"] == kinds["ec2.nat_gateway"] == kinds["ec2.vpc_endpoint"] == 1
    assert kinds["elbv2.load_balancer"] == 1
    assert kinds["elbv2.target_group"] == 2
    assert kinds["elbv2.listener"] == 1  # /* (the UI) is the listener's default action
    assert kinds["elbv2.listener_rule"] == 1  # /api/*
    assert kinds["ecs.cluster"] == 1
    assert kinds["ecs.service"] == 2
    assert kinds["ecs.task_definition"] == 3  # and the nightly job's
    assert kinds["scheduler.schedule"] == kinds["scheduler.group"] == 1
    assert [j["name"] for j in report["jobs"]] == ["train"]
    assert kinds["autoscaling.target"] == kinds["autoscaling.policy"] == 1  # the API's
    assert report["url"].startswith("http://")
    assert sorted(s["name"] for s in report["services"]) == ["api", "ui"]

    refused = run_cli(moto_server, "down", config)
    assert refused.returncode == 3

    down = run_cli(moto_server, "down", config, "--yes", "--keep-logs")
    assert down.returncode == 0, down.stderr
    after = run_cli(moto_server, "status", config, "--output", "json")
    left = json.loads(after.stdout)["resources"]
    assert sorted(r["name"] for r in left) == [
        "/ecsdeploy/mlapp/dev/api",
        "/ecsdeploy/mlapp/dev/train",
        "/ecsdeploy/mlapp/dev/ui",
    ]
    down = run_cli(moto_server, "down", config, "--yes")
    assert down.returncode == 0, down.stderr
    after = run_cli(moto_server, "status", config, "--output", "json")
    assert json.loads(after.stdout)["resources"] == []


def test_bad_config_fails_before_any_aws_call(moto_server: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text((CONFIGS / "example.yaml").read_text().replace("cpu: 512", "cpu: 500"))
    result = run_cli(moto_server, "-v", "up", str(bad), "--yes")
    assert result.returncode == 2
    assert f"{bad}:" in result.stderr and "services.api.cpu" in result.stderr
    assert "aws " not in result.stderr
    assert "Traceback" not in result.stderr
