"""Preview environments: ``up --ttl`` marks the env with an expiry (shown by `ls` and
`status`), ``gc`` removes every expired env of the app with the down use case (``--dry-run``
lists; without a terminal it needs ``--yes``), and `down` removes the expiry with the env."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import boto3
import pytest
from typer.testing import CliRunner

from ecsdeploy.aws.clients import Aws
from ecsdeploy.aws.recorder import CallRecorder
from ecsdeploy.cli import app as cli
from ecsdeploy.cli import seams
from ecsdeploy.ops.gc import mark_expiry, parse_ttl
from ecsdeploy.resources import expiry
from ecsdeploy.spec.naming import Owner

from conftest import owned_anything, spec_text

runner = CliRunner()
pytestmark = pytest.mark.usefixtures("no_preflight")
REGION = "us-west-2"


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


def _up(spec: Path, *args: str) -> str:
    result = runner.invoke(cli.app, ["up", str(spec), "--no-wait", *args])
    assert result.exit_code == 0, result.stderr
    return result.stderr


def _parameters() -> list[str]:
    ssm = boto3.client("ssm", region_name=REGION)
    found = ssm.describe_parameters()["Parameters"]
    return sorted(p["Name"] for p in found if p["Name"].endswith("/expires"))


def test_ttl_marks_the_env_and_gc_removes_the_expired_ones(
    aws: None, recorder: CallRecorder, spec_file: Path
) -> None:
    _up(spec_file)  # dev: no expiry, never collected
    assert "mlapp/pr-1 in us-west-2 expires at " in _up(spec_file, "--env", "pr-1", "--ttl", "3d")
    _up(spec_file, "--env", "pr-2", "--ttl", "1d")
    expiry.write(Aws(REGION), Owner("mlapp", "pr-2"), "2020-01-01T00:00:00Z")  # long past

    listed = json.loads(runner.invoke(cli.app, ["ls", "--region", REGION, "-o", "json"]).stdout)
    by_env = {e["env"]: e["expires"] for e in listed["envs"]}
    assert by_env["dev"] is None and by_env["pr-2"] == "2020-01-01T00:00:00Z"
    assert by_env["pr-1"] > datetime.now(UTC).isoformat()
    recorder.clear()
    result = runner.invoke(cli.app, ["status", str(spec_file), "--env", "pr-1"])
    assert "Expires in 2d 23h" in result.stdout
    # status sends the expiry read first (cli.shared.reach: it overlaps the imports) and
    # reads it once, taking that early answer at the end
    assert str(recorder.calls[0]) == "ssm:GetParameter"
    assert [str(c) for c in recorder.calls].count("ssm:GetParameter") == 1
    result = runner.invoke(cli.app, ["status", str(spec_file), "--env", "pr-2", "-o", "json"])
    assert json.loads(result.stdout)["expires"] == "2020-01-01T00:00:00Z"

    recorder.clear()
    result = runner.invoke(cli.app, ["gc", str(spec_file), "--dry-run", "--output", "json"])
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["expired"] == [{"env": "pr-2", "expires": "2020-01-01T00:00:00Z", "removed": False}]
    assert [k["env"] for k in data["kept"]] == ["pr-1"]
    assert recorder.mutating() == []

    result = runner.invoke(cli.app, ["gc", str(spec_file)])  # no terminal, no --yes
    assert result.exit_code == 3
    assert "--yes" in result.stderr
    assert recorder.mutating() == []

    result = runner.invoke(cli.app, ["gc", str(spec_file), "--yes"])
    assert result.exit_code == 0, result.stderr
    assert "Removed mlapp/pr-2 (expired " in result.stdout
    assert "Kept mlapp/pr-1 (expires in 2d" in result.stdout
    assert owned_anything(env="pr-2") == []
    assert owned_anything(env="pr-1") != [] and owned_anything(env="dev") != []
    assert _parameters() == ["/ecsdeploy/mlapp/pr-1/expires"]

    result = runner.invoke(cli.app, ["gc", str(spec_file), "--yes"])
    assert result.exit_code == 0
    assert "No expired env of mlapp" in result.stdout

    # `up --ttl never` keeps the env; `down` removes an expiry with the env
    _up(spec_file, "--env", "pr-1", "--ttl", "never")
    assert _parameters() == []
    _up(spec_file, "--env", "pr-1", "--ttl", "2h")
    assert _parameters() == ["/ecsdeploy/mlapp/pr-1/expires"]
    result = runner.invoke(cli.app, ["down", str(spec_file), "--env", "pr-1", "--yes"])
    assert result.exit_code == 0, result.stderr
    assert _parameters() == []


def test_a_bad_ttl_is_refused_before_anything_runs(
    aws: None, recorder: CallRecorder, spec_file: Path
) -> None:
    result = runner.invoke(cli.app, ["up", str(spec_file), "--ttl", "3 days"])
    assert result.exit_code == 2
    assert "is not a time to live" in result.stderr
    assert recorder.calls == []


def test_ttl_durations_and_renewal(aws: None) -> None:
    assert parse_ttl("3d") == 3 * 86400 and parse_ttl("90m") == 5400 and parse_ttl("2w") > 0
    assert parse_ttl("never") is None
    for bad in ("", "3", "0d", "1y", "-1h"):
        with pytest.raises(ValueError):
            parse_ttl(bad)
    from ecsdeploy.ops.target import Target

    class Connected:  # what mark_expiry uses of Stages
        aws = Aws(REGION)
        target = Target(Owner("mlapp", "pr-9"), REGION)

    now = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
    stages = Connected()
    assert mark_expiry(stages, "1d", now) == "2026-12-08T12:00:00Z"  # type: ignore[arg-type]
    assert mark_expiry(stages, "3d", now) == "2026-12-10T12:00:00Z"  # type: ignore[arg-type]
    ssm = boto3.client("ssm", region_name=REGION)
    name = "/ecsdeploy/mlapp/pr-9/expires"
    assert ssm.get_parameter(Name=name)["Parameter"]["Value"] == "2026-12-10T12:00:00Z"
    tags = ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=name)["TagList"]
    assert {"Key": "ecsdeploy:expires", "Value": "2026-12-10T12:00:00Z"} in tags
    assert {"Key": "ecsdeploy:env", "Value": "pr-9"} in tags
