"""`up --images-only`: the spec's new images shipped with ECS and SSM calls only, and a
refusal (before any change) when the spec or what runs asks for more, against moto.

The rollout reads go through a source that plays a finished ECS rollout (moto never
finishes one): tests/support/rollout_fakes.py.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import boto3
import pytest
from rollout_fakes import FinishedRollout
from test_releases import REGION, SERVICES, history, running, up, version
from typer.testing import CliRunner

from ecsdeploy.aws.recorder import CallRecorder
from ecsdeploy.cli import app as cli
from ecsdeploy.cli import seams

runner = CliRunner()
pytestmark = pytest.mark.usefixtures("no_preflight")
IMAGE = "123456789012.dkr.ecr.us-west-2.amazonaws.com/{service}:v{n}"
WAIT = 5.0  # seconds a held call waits for the call it should overlap
LOCK = "/ecsdeploy/mlapp/dev/lock"


@pytest.fixture(autouse=True)
def calls(monkeypatch: pytest.MonkeyPatch) -> CallRecorder:
    recorder = CallRecorder()
    monkeypatch.setattr(seams, "recorder", lambda: recorder)
    return recorder


@pytest.fixture
def first(aws: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """v1 set up and rolled out by a full `up`."""
    monkeypatch.setattr(seams, "rollout_source", lambda dep: FinishedRollout(dep.aws))
    result = up(tmp_path, 1)
    assert result.exit_code == 0, result.stderr
    return version(tmp_path, 1)


def images_only(spec: Path, *extra: str) -> Any:
    return runner.invoke(cli.app, ["up", str(spec), "--yes", "--images-only", *extra])


def only_the_lock(calls: CallRecorder) -> None:
    """A refusal changed nothing: the spec's new image made the run take the lock ahead
    (beside its last reads, ``ops.up.LockAhead``), and it let it go."""
    assert sorted(str(c) for c in calls.mutating()) == ["ssm:DeleteParameter", "ssm:PutParameter"]
    names = boto3.client("ssm", region_name=REGION).describe_parameters()["Parameters"]
    assert LOCK not in [p["Name"] for p in names]


def test_it_ships_the_new_images_with_ecs_and_ssm_calls_only(
    first: Path, tmp_path: Path, calls: CallRecorder
) -> None:
    calls.clear()
    result = images_only(version(tmp_path, 2))
    assert result.exit_code == 0, result.stderr
    assert "Plan for mlapp/dev in us-west-2 (new images only)" in result.stdout
    assert running() == {s: IMAGE.format(service=s, n=2) for s in SERVICES}
    # no infrastructure read: the zones (the spec's subnets need them), then ECS and SSM
    services = {str(c).split(":")[0] for c in calls.calls}
    assert services <= {"ecs", "ssm", "sts", "ec2"}, services
    assert {str(c) for c in calls.calls if str(c).startswith("ec2:")} == {
        "ec2:DescribeAvailabilityZones"
    }
    # a revision and a rollout per service; the lock taken and let go, the applied record
    # and the release written
    assert sorted(str(c) for c in calls.mutating()) == sorted(
        ["ecs:RegisterTaskDefinition"] * 2
        + ["ecs:UpdateService"] * 2
        + ["ssm:PutParameter"] * 3
        + ["ssm:DeleteParameter"]
    )
    assert "Release 2 (up) recorded: rolled out" in result.stderr
    released = history(version(tmp_path, 2))[0]["services"]
    assert {s: v["image"] for s, v in released.items()} == {
        s: IMAGE.format(service=s, n=2) for s in SERVICES
    }
    # what it set is what a full `up` would have set, and the record says so: no change,
    # no drift
    again = runner.invoke(cli.app, ["plan", str(version(tmp_path, 2)), "--output", "json"])
    assert again.exit_code == 0, again.stderr
    assert '"drift": true' not in again.stdout
    assert runner.invoke(cli.app, ["up", str(version(tmp_path, 2)), "--yes"]).stdout.count(
        "No changes"
    )


def test_it_refuses_a_spec_that_changes_more_than_images(
    first: Path, tmp_path: Path, calls: CallRecorder
) -> None:
    spec = tmp_path / "more.yaml"
    spec.write_text(version(tmp_path, 2).read_text().replace("memory: 1024", "memory: 2048", 1))
    assert spec.read_text() != version(tmp_path, 2).read_text()
    calls.clear()
    result = images_only(spec)
    assert result.exit_code == 3, result.stderr
    assert "--images-only ships new images only" in result.stderr
    assert (
        "task definition mlapp-dev-api differs from the spec in more than its image (memory)"
        in result.stderr
    )
    assert "without --images-only" in result.stderr
    only_the_lock(calls)
    assert running() == {s: IMAGE.format(service=s, n=1) for s in SERVICES}


def test_it_refuses_when_the_infrastructure_changes_too(
    first: Path, tmp_path: Path, calls: CallRecorder
) -> None:
    spec = tmp_path / "grown.yaml"
    spec.write_text(version(tmp_path, 2).read_text().replace("route: /api/*", "route: /v2/*"))
    assert spec.read_text() != version(tmp_path, 2).read_text()
    calls.clear()
    result = images_only(spec)
    assert result.exit_code == 3, result.stderr
    assert "routing rule mlapp-dev-api-rule changes" in result.stderr, result.stderr
    assert calls.mutating() == []


def test_it_refuses_what_was_changed_outside_ecsdeploy(
    first: Path, tmp_path: Path, calls: CallRecorder
) -> None:
    boto3.client("ecs", region_name=REGION).update_service(
        cluster="mlapp-dev", service="api", desiredCount=5
    )
    calls.clear()
    result = images_only(version(tmp_path, 2))
    assert result.exit_code == 3, result.stderr
    assert "ECS service api differs from the spec in more than its image (desired_count)" in (
        result.stderr
    )
    only_the_lock(calls)


def test_it_refuses_an_app_no_up_has_set(aws: None, tmp_path: Path, calls: CallRecorder) -> None:
    result = images_only(version(tmp_path, 1))
    assert result.exit_code == 3, result.stderr
    assert "no earlier `up` of this app and env is recorded" in result.stderr
    assert calls.mutating() == []


class LetGoWatched(CallRecorder):
    """Holds the lock's release (its DeleteParameter) until the rollout's first read has
    started; ``overlapped`` says whether it had."""

    def __init__(self, polled: threading.Event) -> None:
        super().__init__()
        self.polled = polled
        self.overlapped: list[bool] = []

    def attach(self, client: Any) -> None:
        super().attach(client)
        client.meta.events.register("before-call.ssm.DeleteParameter", self._hold)

    def _hold(self, **_: Any) -> None:
        self.overlapped.append(self.polled.wait(WAIT))


def test_the_rollout_is_watched_while_the_record_is_kept_and_the_lock_let_go(
    first: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    polled = threading.Event()

    class Polled(FinishedRollout):
        def describe_service(self, cluster: str, service: str) -> dict[str, Any]:
            polled.set()
            return super().describe_service(cluster, service)

    recorder = LetGoWatched(polled)
    monkeypatch.setattr(seams, "recorder", lambda: recorder)
    monkeypatch.setattr(seams, "rollout_source", lambda dep: Polled(dep.aws))
    result = images_only(version(tmp_path, 2))
    assert result.exit_code == 0, result.stderr
    assert recorder.overlapped == [True]
    names = boto3.client("ssm", region_name=REGION).describe_parameters()["Parameters"]
    assert LOCK not in [p["Name"] for p in names]  # let go all the same


class LockedAhead(CallRecorder):
    """Holds the first DescribeServices (the plan's read of the services) until the lock's
    PutParameter has started; ``overlapped`` says whether it had."""

    def __init__(self) -> None:
        super().__init__()
        self.locking = threading.Event()
        self.overlapped: list[bool] = []

    def attach(self, client: Any) -> None:
        super().attach(client)
        client.meta.events.register("before-call.ssm.PutParameter", self._locking)
        client.meta.events.register("before-call.ecs.DescribeServices", self._hold)

    def _locking(self, params: dict[str, Any], **_: Any) -> None:
        if LOCK in str(params.get("body", "")):
            self.locking.set()

    def _hold(self, **_: Any) -> None:
        if not self.overlapped:
            self.overlapped.append(self.locking.wait(WAIT))


def test_the_lock_is_taken_beside_the_last_reads(
    first: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorder = LockedAhead()
    monkeypatch.setattr(seams, "recorder", lambda: recorder)
    result = images_only(version(tmp_path, 2))
    assert result.exit_code == 0, result.stderr
    assert recorder.overlapped == [True]
    assert running() == {s: IMAGE.format(service=s, n=2) for s in SERVICES}


def test_an_unchanged_spec_takes_no_lock(first: Path, calls: CallRecorder) -> None:
    calls.clear()
    result = images_only(first)
    assert result.exit_code == 0, result.stderr
    assert "No changes" in result.stdout
    assert calls.mutating() == []


def test_the_record_keeps_what_up_recorded_for_a_service(first: Path, tmp_path: Path) -> None:
    """A service's entry stays as the last full `up` wrote it (which may follow the traffic
    a blue/green deployment left on the alternate group: desired.follow_traffic); the task
    definitions' become the spec's."""
    ssm = boto3.client("ssm", region_name=REGION)
    name = "/ecsdeploy/mlapp/dev/applied"
    before = json.loads(ssm.get_parameter(Name=name)["Parameter"]["Value"])
    followed = {**before, "service/api": "followed0000"}
    ssm.put_parameter(Name=name, Value=json.dumps(followed), Type="String", Overwrite=True)
    result = images_only(version(tmp_path, 2))
    assert result.exit_code == 0, result.stderr
    after = json.loads(ssm.get_parameter(Name=name)["Parameter"]["Value"])
    assert after["service/api"] == "followed0000"
    assert after["service/ui"] == before["service/ui"]
    assert after["taskdef/api"] != before["taskdef/api"]
    unchanged = {k for k in before if not k.startswith("taskdef/")}
    assert {k: after[k] for k in unchanged - {"service/api"}} == {
        k: before[k] for k in unchanged - {"service/api"}
    }
