"""`--set KEY=VALUE` overrides one scalar spec key for a run (`up`, `plan`): validated
like the file (a problem names the --set), shown above the plan, and its effect planned."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from ecsdeploy.aws.recorder import CallRecorder
from ecsdeploy.cli import app as cli
from ecsdeploy.cli import seams
from ecsdeploy.spec import load_spec
from ecsdeploy.spec.errors import SpecError, UsageError
from ecsdeploy.spec.overrides import parse

from conftest import spec_text

runner = CliRunner()
NEW_IMAGE = "123456789012.dkr.ecr.us-west-2.amazonaws.com/api:v2"


@pytest.fixture
def spec_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(seams, "recorder", lambda: CallRecorder())
    monkeypatch.setattr(seams, "preflight", lambda target, stages: [])
    path = tmp_path / "ecsdeploy.yaml"
    path.write_text(spec_text())
    return path


def test_values_read_as_yaml_scalars() -> None:
    assert parse("services.api.image=repo:v2") == (("services", "api", "image"), "repo:v2")
    assert parse("services.api.cpu=1024") == (("services", "api", "cpu"), 1024)
    assert parse("services.api.exec=true") == (("services", "api", "exec"), True)
    assert parse("network.endpoints.0=s3") == (("network", "endpoints", 0), "s3")
    with pytest.raises(ValueError, match="expected KEY=VALUE"):
        parse("services.api.image")
    with pytest.raises(ValueError, match="single value"):
        parse("services.api.env={A: 1}")


def test_overrides_are_validated_like_the_file(spec_file: Path) -> None:
    spec = load_spec(spec_file, [f"services.api.image={NEW_IMAGE}", "services.ui.cpu=256"])
    assert spec.services["api"].image == NEW_IMAGE and spec.services["ui"].cpu == 256
    with pytest.raises(SpecError) as caught:
        load_spec(spec_file, ["services.api.cpu=300"])
    assert str(caught.value).startswith("--set services.api.cpu=300: services.api.cpu: 300")
    with pytest.raises(SpecError, match="unknown key 'imgae'; did you mean 'image'"):
        load_spec(spec_file, ["services.api.imgae=x"])
    with pytest.raises(UsageError, match="holds a mapping"):
        load_spec(spec_file, ["services.api=x"])


def test_up_with_set_plans_and_deploys_the_override(aws: None, spec_file: Path) -> None:
    assert runner.invoke(cli.app, ["up", str(spec_file), "--no-wait"]).exit_code == 0
    shown = runner.invoke(
        cli.app, ["plan", str(spec_file), "--set", f"services.api.image={NEW_IMAGE}"]
    )
    assert shown.exit_code == 0, shown.stderr
    assert f"override: services.api.image={NEW_IMAGE} (--set)" in shown.stdout
    assert NEW_IMAGE in shown.stdout and "~ update" in shown.stdout
    done = runner.invoke(
        cli.app, ["up", str(spec_file), "--no-wait", "--set", f"services.api.image={NEW_IMAGE}"]
    )
    assert done.exit_code == 0, done.stderr
    again = runner.invoke(
        cli.app, ["plan", str(spec_file), "--set", f"services.api.image={NEW_IMAGE}"]
    )
    assert "No changes" in again.stdout
    bad = runner.invoke(cli.app, ["up", str(spec_file), "--set", "services.api.cpu=300"])
    assert bad.exit_code == 2
    assert "--set services.api.cpu=300: services.api.cpu: 300 is not a Fargate cpu" in bad.stderr
