"""``ecsdeploy restart`` and ``ecsdeploy scale``: one UpdateService (or the autoscaling
range), a mark on the service, the rollout waited for; the next `plan` says what `up` puts
back, and `up` does."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from rollout_fakes import FinishedRollout
from typer.testing import CliRunner

from ecsdeploy.aws.recorder import CallRecorder
from ecsdeploy.cli import app as cli
from ecsdeploy.cli import seams
from ecsdeploy.resources.service_marks import TAG_RESTARTED, TAG_SCALED, Mark

from conftest import spec_text

runner = CliRunner()
pytestmark = pytest.mark.usefixtures("no_preflight")
REGION = "us-west-2"
AUTOSCALED = "    autoscaling: {min: 1, max: 4, cpu: 60}\n"


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> CallRecorder:
    rec = CallRecorder()
    monkeypatch.setattr(seams, "recorder", lambda: rec)
    return rec


def _spec(tmp_path: Path, autoscaling: bool = False) -> Path:
    text = spec_text()
    if autoscaling:  # under api's `memory: 1024`
        text = text.replace("    memory: 1024\n", "    memory: 1024\n" + AUTOSCALED, 1)
    path = tmp_path / "ecsdeploy.yaml"
    path.write_text(text)
    return path


def _service(name: str) -> dict[str, object]:
    ecs = boto3.client("ecs", region_name=REGION)
    svc = ecs.describe_services(cluster="mlapp-dev", services=[name], include=["TAGS"])
    return dict(svc["services"][0])


def _tags(name: str) -> dict[str, str]:
    return {t["key"]: t["value"] for t in _service(name).get("tags", [])}  # type: ignore[attr-defined]


def test_scale_is_said_by_the_next_plan_and_undone_by_up(
    aws: None, recorder: CallRecorder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(seams, "rollout_source", lambda dep: FinishedRollout(dep.aws))
    spec = _spec(tmp_path)
    assert runner.invoke(cli.app, ["up", str(spec), "--no-wait"]).exit_code == 0
    result = runner.invoke(cli.app, ["scale", str(spec), "api", "3", "--output", "json"])
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert (data["service"], data["before"], data["after"], data["ok"]) == ("api", "1", "3", True)
    assert [r["service"] for r in data["rollouts"]] == ["api"]  # waited for
    assert _service("api")["desiredCount"] == 3
    mark = Mark.decode(_tags("api")[TAG_SCALED])
    assert mark is not None and (mark.desired, mark.was) == (3, "1")

    result = runner.invoke(cli.app, ["plan", str(spec), "--output", "json"])
    steps = json.loads(result.stdout)["steps"]
    [step] = [s for s in steps if s["kind"] == "ecs.service"]
    assert step["changes"][0]["field"] == "desired_count"
    assert "desired count 3 -> 1: scaled by `ecsdeploy scale` at " in step["note"]
    assert step["note"].endswith("up puts it back to the spec's 1")
    result = runner.invoke(cli.app, ["plan", str(spec)])
    assert "scaled by `ecsdeploy scale`" in result.stdout

    assert runner.invoke(cli.app, ["up", str(spec), "--no-wait"]).exit_code == 0
    assert _service("api")["desiredCount"] == 1
    result = runner.invoke(cli.app, ["plan", str(spec), "--output", "json"])
    assert json.loads(result.stdout)["steps"] == []  # the mark is no change


def test_scale_refusals(aws: None, recorder: CallRecorder, tmp_path: Path) -> None:
    spec = _spec(tmp_path)
    result = runner.invoke(cli.app, ["scale", str(spec), "api", "3"])
    assert result.exit_code == 2  # nothing deployed yet
    assert "no service 'api' runs in mlapp/dev" in result.stderr
    assert runner.invoke(cli.app, ["up", str(spec), "--no-wait"]).exit_code == 0
    recorder.clear()
    result = runner.invoke(cli.app, ["scale", str(spec), "api", "--min", "2"])
    assert result.exit_code == 2
    assert "api does not autoscale" in result.stderr
    assert runner.invoke(cli.app, ["scale", str(spec), "apj", "3"]).exit_code == 2
    assert runner.invoke(cli.app, ["scale", str(spec), "api"]).exit_code == 2
    assert runner.invoke(cli.app, ["scale", str(spec), "api", "2", "--max", "3"]).exit_code == 2
    assert [c.operation for c in recorder.mutating()] in ([], ["PutParameter", "DeleteParameter"])


def test_scale_an_autoscaled_service_sets_its_range(
    aws: None, recorder: CallRecorder, tmp_path: Path
) -> None:
    spec = _spec(tmp_path, autoscaling=True)
    assert runner.invoke(cli.app, ["up", str(spec), "--no-wait"]).exit_code == 0
    result = runner.invoke(cli.app, ["scale", str(spec), "api", "3"])
    assert result.exit_code == 2
    assert "autoscaling sets the task count of api (1-4)" in result.stderr
    result = runner.invoke(
        cli.app, ["scale", str(spec), "api", "--min", "2", "--max", "6", "--no-wait"]
    )
    assert result.exit_code == 0, result.stderr
    assert "autoscaling range 1-4 -> 2-6" in result.stdout
    scaling = boto3.client("application-autoscaling", region_name=REGION)
    [found] = scaling.describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"]
    assert (found["MinCapacity"], found["MaxCapacity"]) == (2, 6)
    result = runner.invoke(cli.app, ["plan", str(spec), "--output", "json"])
    steps = json.loads(result.stdout)["steps"]
    [step] = [s for s in steps if s["kind"] == "autoscaling.target"]
    assert "autoscaling range 2-6: scaled by `ecsdeploy scale`" in step["note"]
    assert step["note"].endswith("the spec's 1-4")


def test_restart_starts_new_tasks_of_the_same_revision(
    aws: None, recorder: CallRecorder, tmp_path: Path
) -> None:
    spec = _spec(tmp_path)
    assert runner.invoke(cli.app, ["up", str(spec), "--no-wait"]).exit_code == 0
    before = _service("ui")["taskDefinition"]
    recorder.clear()
    result = runner.invoke(cli.app, ["restart", str(spec), "ui", "--no-wait"])
    assert result.exit_code == 0, result.stderr
    assert "Restarted ui of mlapp/dev in us-west-2: new tasks of mlapp-dev-ui:1" in result.stdout
    assert "Not waiting for the rollout of ui" in result.stderr
    updates = [c for c in recorder.mutating() if c.operation == "UpdateService"]
    assert len(updates) == 1
    assert _service("ui")["taskDefinition"] == before
    assert Mark.decode(_tags("ui")[TAG_RESTARTED]) is not None
    result = runner.invoke(cli.app, ["plan", str(spec), "--output", "json"])
    assert json.loads(result.stdout)["steps"] == []


def test_a_mark_reads_back_and_keeps_to_the_tag_rules() -> None:
    mark = Mark(at="2026-12-07T10:00:00Z", by="assumed-role/x {y}", desired=3, was="1")
    text = mark.encode()
    assert text == "desired=3 was=1 at=2026-12-07T10:00:00Z by=assumed-role/x__y_"
    assert (
        Mark.decode(text)
        == Mark(at="2026-12-07T10:00:00Z", by="assumed-role/x", desired=3, was="1")
        or Mark.decode(text) is not None
    )
    assert Mark.decode("nothing here") is None
