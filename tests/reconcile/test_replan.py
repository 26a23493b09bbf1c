"""`up` observes AWS once when nobody changed the app between its plan and its lock, and
plans again when somebody did (the applied record's stamp, see reconcile.applied), when
the record tells nothing (absent), when the plan is no longer fresh or when it took over
a killed run's lock."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from typer.testing import CliRunner

from ecsdeploy.aws.clients import Aws
from ecsdeploy.aws.recorder import CallRecorder
from ecsdeploy.cli import app as cli
from ecsdeploy.cli import seams
from ecsdeploy.ops import stages
from ecsdeploy.ops.stages import Stages
from ecsdeploy.ops.target import Target
from ecsdeploy.reconcile import applied
from ecsdeploy.reconcile.lock import Lock, lock_name
from ecsdeploy.spec import parse_spec
from ecsdeploy.spec.naming import Owner

from conftest import spec_text

OWNER = Owner("mlapp", "dev")
runner = CliRunner()
pytestmark = pytest.mark.usefixtures("no_preflight")


def observes(recorder: CallRecorder) -> int:
    """How many times the app's network was read: once per observe."""
    return sum(1 for c in recorder.reads() if c.operation == "DescribeVpcs")


def changed_image(text: str) -> str:
    return text.replace("api:v1", "api:v2")


def up(spec: Path, recorder: CallRecorder, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setattr(seams, "recorder", lambda: recorder)
    result = runner.invoke(cli.app, ["up", str(spec), "--yes", "--no-wait"])
    assert result.exit_code == 0, result.stderr
    return result


def deployed_then_changed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The spec deployed, then rewritten with a new image: the next `up` redeploys."""
    spec = tmp_path / "ecsdeploy.yaml"
    spec.write_text(spec_text())
    up(spec, CallRecorder(), monkeypatch)
    spec.write_text(changed_image(spec_text()))
    return spec


def test_seen_unchanged_only_for_the_same_readable_present_stamp() -> None:
    seen = applied.Seen({"vpc": "x"}, "3@2026-12-02 00:00:00")
    assert seen.unchanged("3@2026-12-02 00:00:00")
    assert not seen.unchanged("4@2026-12-02 00:00:01")
    assert not seen.unchanged(applied.ABSENT)  # a down removed it meanwhile
    assert not seen.unchanged(None)
    # absent both times: a whole up and down may have happened in between
    assert not applied.Seen({}, applied.ABSENT).unchanged(applied.ABSENT)
    # unreadable: nothing can be proven
    assert not applied.Seen({}, None).unchanged(None)


def test_every_apply_rewrites_the_record_even_when_its_content_stays(aws: None) -> None:
    aws_ = Aws("us-west-2")
    record = {"vpc": "abc"}
    applied.save(aws_, OWNER, {}, record)
    first = applied.read(aws_, OWNER)
    applied.save(aws_, OWNER, record, record)  # e.g. a drift repair: same fingerprints
    second = applied.read(aws_, OWNER)
    assert first.record == second.record == record
    assert first.stamp != second.stamp and not first.unchanged(second.stamp)


def test_redeploy_observes_once_when_nobody_changed_the_app_meanwhile(
    aws: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = deployed_then_changed(tmp_path, monkeypatch)
    recorder = CallRecorder()
    up(spec, recorder, monkeypatch)
    assert observes(recorder) == 1
    assert [c.operation for c in recorder.mutating()].count("RegisterTaskDefinition") == 1
    # the first deploy had no record yet: it planned again under the lock
    recorder = CallRecorder()
    spec.write_text(spec_text(app="fresh"))
    up(spec, recorder, monkeypatch)
    assert observes(recorder) == 2


def test_redeploy_plans_again_when_another_run_changed_the_app_meanwhile(
    aws: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = deployed_then_changed(tmp_path, monkeypatch)
    text = spec.read_text()
    acquire = Lock.acquire

    def another_run_first(self: Lock) -> None:
        # between this run's plan and its lock, another run applies the same change
        other = Stages.connect(Target.of(parse_spec(text, "other.yaml")))
        assert other.apply(other.plan_up()).ok
        acquire(self)

    monkeypatch.setattr(Lock, "acquire", another_run_first)
    recorder = CallRecorder()
    result = up(spec, recorder, monkeypatch)
    assert "another run made them meanwhile" in result.stderr
    assert observes(recorder) == 2
    assert recorder.mutating() and all(
        c.service == "ssm" for c in recorder.mutating()
    )  # the lock only: the change was made already


def test_taking_over_a_killed_runs_lock_plans_again(
    aws: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = deployed_then_changed(tmp_path, monkeypatch)
    # a run killed mid-apply: its lock expired, and it never rewrote the record
    stale = {"token": "dead", "who": "ci@old pid 1 (up)", "since": "then", "expires": 1.0}
    boto3.client("ssm", region_name="us-west-2").put_parameter(
        Name=lock_name(OWNER), Value=json.dumps(stale), Type="String"
    )
    recorder = CallRecorder()
    up(spec, recorder, monkeypatch)
    assert observes(recorder) == 2
    assert Lock(Aws("us-west-2"), OWNER, "x").current() is None


def test_a_plan_older_than_the_freshness_bound_is_made_again(
    aws: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # e.g. an image build or a confirmation between the plan and the lock: a change made
    # by hand meanwhile leaves no stamp, so only a fresh plan is applied as it is
    spec = deployed_then_changed(tmp_path, monkeypatch)
    monkeypatch.setattr(stages, "PLAN_FRESH", 0.0)
    recorder = CallRecorder()
    up(spec, recorder, monkeypatch)
    assert observes(recorder) == 2
