"""``up`` against moto when a release's new image cannot be pulled: after three tasks stopped
for the same reason the service goes back to the revision it ran before, and, in an atomic
release, so does the other service (which had already rolled out); the ledger says why.

moto never runs a task: as in tests/reconcile/test_releases.py, the rollout reads go through
a source that takes moto's real service description and plays what ECS would do next.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from rollout_fakes import AwsPerService, FinishedRollout
from test_releases import SERVICES, history, running, up, version
from typer.testing import CliRunner

from ecsdeploy.aws.recorder import CallRecorder
from ecsdeploy.cli import app as cli
from ecsdeploy.cli import seams
from ecsdeploy.ops.stages import Stages
from ecsdeploy.resources.base import Timing

runner = CliRunner()
pytestmark = pytest.mark.usefixtures("no_preflight")
REGISTRY = "123456789012.dkr.ecr.us-west-2.amazonaws.com"
PULL = "CannotPullContainerError: pull image manifest has been retried 5 time(s): not found"


class PullFails(FinishedRollout):
    """ECS rolling out the revision each service was last given: ``failing`` never starts
    a task (an image that cannot be pulled: three stopped by its second poll), the others
    finish at their first poll."""

    def __init__(self, aws: Any, failing: str) -> None:
        super().__init__(aws)
        self.failing = failing
        self.polls: dict[str, int] = {}

    def describe_service(self, cluster: str, service: str) -> dict[str, Any]:
        svc = super().describe_service(cluster, service)
        self.polls[service] = self.polls.get(service, 0) + 1
        if service != self.failing:
            return svc
        svc["deployments"] = [
            {
                "id": "ecs-svc/9",
                "status": "PRIMARY",
                "taskDefinition": svc["taskDefinition"],
                "rolloutState": "IN_PROGRESS",
                "runningCount": 0,
                "pendingCount": 1,
                "failedTasks": 0 if self.polls[service] == 1 else 3,
            }
        ]
        return svc

    def stopped_tasks(self, cluster: str, service: str) -> list[dict[str, Any]]:
        if service != self.failing or self.polls.get(service, 0) < 2:
            return []
        svc = AwsPerService.describe_service(self, cluster, service)
        return [
            {
                "taskArn": f"arn:aws:ecs:us-west-2:123456789012:task/{cluster}/{i:032x}",
                "taskDefinitionArn": svc["taskDefinition"],
                "startedBy": "ecs-svc/9",
                "stopCode": "TaskFailedToStart",
                "stoppedReason": PULL.replace("5 time", f"{i + 5} time"),
                "stoppedAt": i,
                "containers": [{"name": service, "reason": PULL}],
            }
            for i in range(3)
        ]

    def log_tail(self, log_group: str, stream_prefix: str, limit: int) -> list[str]:
        return ["exec format error"]


@pytest.fixture(autouse=True)
def _setup(monkeypatch: pytest.MonkeyPatch) -> None:
    recorder = CallRecorder()
    monkeypatch.setattr(seams, "recorder", lambda: recorder)
    clock = [0.0]
    connect = Stages.connect

    def sleep(seconds: float) -> None:
        clock[0] += seconds

    def with_fake_time(
        target: Any, recorder: Any = None, timing: Any = None, kinds: Any = None
    ) -> Stages:
        return connect(target, recorder, Timing(sleep=sleep, clock=lambda: clock[0]), kinds)

    monkeypatch.setattr(Stages, "connect", with_fake_time)


def v1_then_failing_v2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, extra: str = "") -> Any:
    monkeypatch.setattr(seams, "rollout_source", lambda dep: FinishedRollout(dep.aws))
    first = up(tmp_path, 1)
    assert first.exit_code == 0, first.stderr
    monkeypatch.setattr(seams, "rollout_source", lambda dep: PullFails(dep.aws, "api"))
    path = version(tmp_path, 2)
    path.write_text(path.read_text() + extra)
    return runner.invoke(cli.app, ["up", str(path), "--yes"])


def test_an_atomic_release_goes_back_whole(
    aws: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = v1_then_failing_v2(tmp_path, monkeypatch)

    assert result.exit_code == 1
    out = " ".join(result.stdout.split())
    assert "3 tasks of the new revision stopped for the same reason" in out
    assert "CannotPullContainerError" in out
    assert "exec format error" in out  # the last log lines
    assert "rolled back to mlapp-dev-api:1" in out
    assert "stopped with the release: api failed; rolled back to mlapp-dev-ui:1" in out
    # ui had rolled out; both run release 1's revisions again
    assert running() == {s: f"{REGISTRY}/{s}:v1" for s in SERVICES}
    [last, *_] = history(version(tmp_path, 2))
    assert last["number"] == 2
    assert last["outcome"] == "rolled back"
    assert last["reason"].startswith("ui: stopped with the release: api failed; rolled back")
    assert "; api: 3 tasks of the new revision stopped for the same reason" in last["reason"]
    assert {s: v["outcome"] for s, v in last["services"].items()} == {
        "api": "rolled back",
        "ui": "rolled back",
    }


def test_atomic_false_leaves_the_other_service_rolled_out(
    aws: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = v1_then_failing_v2(tmp_path, monkeypatch, "\nrelease:\n  atomic: false\n")

    assert result.exit_code == 1
    assert running() == {"api": f"{REGISTRY}/api:v1", "ui": f"{REGISTRY}/ui:v2"}
    [last, *_] = history(version(tmp_path, 2))
    assert {s: v["outcome"] for s, v in last["services"].items()} == {
        "api": "rolled back",
        "ui": "rolled out",
    }
    assert "ui" not in last["reason"]
    ecs = boto3.client("ecs", region_name="us-west-2")
    ui = ecs.describe_services(cluster="mlapp-dev", services=["ui"])["services"][0]
    assert ui["taskDefinition"].endswith(":2")
    assert json.loads(json.dumps(last))["services"]["ui"]["task_definition"].endswith(":2")
