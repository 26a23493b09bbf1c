"""The release ledger, `history` and `rollback`, against moto.

moto never finishes a rollout: as in tests/reconcile/test_up_rollout.py, the rollout reads go
through a source that takes moto's real service description and plays what ECS would do next.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import boto3
import pytest
from rollout_fakes import AwsPerService, FinishedRollout
from test_preflight import put_image
from test_up_rollout import CrashLoop as ReplayedCrash
from typer.testing import CliRunner

from ecsdeploy.aws.clients import Aws
from ecsdeploy.aws.recorder import CallRecorder
from ecsdeploy.cli import app as cli
from ecsdeploy.cli import seams
from ecsdeploy.ops import releases as ledger
from ecsdeploy.ops.stages import Stages
from ecsdeploy.ops.target import Target
from ecsdeploy.resources import release_images, releases
from ecsdeploy.resources.ecr_repository import keep_of_policy, lifecycle_policy
from ecsdeploy.resources.releases import Release, ServiceRelease
from ecsdeploy.spec import parse_spec
from ecsdeploy.spec.naming import Owner

from conftest import run_cli, spec_text
from faults import Crash, CrashAfter, Fault, first_n, inject

runner = CliRunner()
pytestmark = pytest.mark.usefixtures("no_preflight")
REGION = "us-west-2"
OWNER = Owner("mlapp", "dev")
SERVICES = ("api", "ui")


class CrashLoop(ReplayedCrash):
    """ECS after a crash loop of the revision the service was last given: the circuit
    breaker failed that deployment (and rolled back to the one before)."""

    def describe_service(self, cluster: str, service: str) -> dict[str, Any]:
        svc = AwsPerService.describe_service(self, cluster, service)
        svc["deployments"] = [
            {
                "id": "ecs-svc/2",
                "status": "ACTIVE",
                "taskDefinition": svc["taskDefinition"],
                "rolloutState": "FAILED",
                "rolloutStateReason": "ECS deployment circuit breaker: tasks failed to start.",
                "runningCount": 0,
                "failedTasks": 3,
            }
        ]
        return svc


@pytest.fixture(autouse=True)
def calls(monkeypatch: pytest.MonkeyPatch) -> CallRecorder:
    recorder = CallRecorder()
    monkeypatch.setattr(seams, "recorder", lambda: recorder)
    return recorder


def version(tmp_path: Path, n: int) -> Path:
    """The spec with both services on images ``:vN``."""
    path = tmp_path / "ecsdeploy.yaml"
    path.write_text(spec_text().replace(":v1", f":v{n}"))
    return path


def up(tmp_path: Path, n: int, *extra: str) -> Any:
    result = runner.invoke(cli.app, ["up", str(version(tmp_path, n)), "--yes", *extra])
    return result


def history(spec: Path) -> list[dict[str, Any]]:
    result = runner.invoke(cli.app, ["history", str(spec), "--output", "json"])
    assert result.exit_code == 0, result.stderr
    found: list[dict[str, Any]] = json.loads(result.stdout)["releases"]
    return found


def running() -> dict[str, str]:
    """The image each service's task definition runs now, by service."""
    ecs = boto3.client("ecs", region_name=REGION)
    out = {}
    services = ecs.describe_services(cluster="mlapp-dev", services=list(SERVICES))["services"]
    for svc in services:
        td = ecs.describe_task_definition(taskDefinition=svc["taskDefinition"])
        out[svc["serviceName"]] = td["taskDefinition"]["containerDefinitions"][0]["image"]
    return out


@pytest.fixture
def three(aws: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """v1 -> v2 -> v3, each rolled out."""
    monkeypatch.setattr(seams, "rollout_source", lambda dep: FinishedRollout(dep.aws))
    for n in (1, 2, 3):
        result = up(tmp_path, n)
        assert result.exit_code == 0, result.stderr
        assert f"Release {n} (up) recorded: rolled out" in result.stderr
    return version(tmp_path, 3)


def test_history_lists_each_release(three: Path, tmp_path: Path) -> None:
    found = history(three)
    assert [r["number"] for r in found] == [3, 2, 1]  # newest first
    for release in found:
        n = release["number"]
        assert release["outcome"] == "rolled out"
        assert release["by"].startswith("arn:aws:")
        assert release["spec_hash"] and release["at"].endswith("Z")
        assert set(release["services"]) == set(SERVICES)
        for svc in release["services"].values():
            assert svc["task_definition"].endswith(f":{n}")
            assert svc["image"].endswith(f":v{n}")
            assert svc["deployment"]
            assert svc["outcome"] == "rolled out"
    assert len({r["spec_hash"] for r in found}) == 3
    text = runner.invoke(cli.app, ["history", str(three)])
    assert text.exit_code == 0
    assert "rolled out" in text.stdout and "api:3 ui:3" in text.stdout


def test_history_json_has_the_documented_shape(three: Path) -> None:
    from test_machine_output import differences, documented

    result = runner.invoke(cli.app, ["history", str(three), "--output", "json"])
    assert differences(documented()["history"], json.loads(result.stdout)) == []


def test_an_unchanged_up_is_no_release(three: Path) -> None:
    result = runner.invoke(cli.app, ["up", str(three), "--yes"])
    assert result.exit_code == 0 and "No changes" in result.stdout  # the plan
    assert len(history(three)) == 3


def test_rollback_goes_to_the_previous_release_and_changes_no_infrastructure(
    three: Path, calls: CallRecorder
) -> None:
    calls.calls.clear()
    result = runner.invoke(cli.app, ["rollback", str(three)])
    assert result.exit_code == 0, result.stderr
    assert "Rolling back from release 3 to release 2" in result.stderr
    assert "Release 4 (rollback to 2) recorded: rolled out" in result.stderr
    assert running() == {
        s: f"123456789012.dkr.ecr.us-west-2.amazonaws.com/{s}:v2" for s in SERVICES
    }
    mutating = [str(c) for c in calls.mutating()]
    # the services' task definitions, the lock (taken and let go) and the ledger's one write
    assert sorted(mutating) == sorted(
        ["ecs:UpdateService"] * 2 + ["ssm:PutParameter"] * 2 + ["ssm:DeleteParameter"]
    )
    found = history(three)
    assert [r["number"] for r in found] == [4, 3, 2, 1]
    assert found[0]["rollback_to"] == 2
    assert {s: v["task_definition"][-2:] for s, v in found[0]["services"].items()} == {
        "api": ":2",
        "ui": ":2",
    }
    assert "The spec has changed since release 2" in result.stderr
    # a rollback of the rollback goes back to the last good release before it: 3
    again = runner.invoke(cli.app, ["rollback", str(three)])
    assert again.exit_code == 0, again.stderr
    assert "Rolling back from release 4 to release 3" in again.stderr
    assert running() == {
        s: f"123456789012.dkr.ecr.us-west-2.amazonaws.com/{s}:v3" for s in SERVICES
    }
    assert "spec has changed" not in again.stderr  # release 3 is this spec


def test_rollback_to_a_chosen_release(three: Path) -> None:
    result = runner.invoke(cli.app, ["rollback", str(three), "--to", "1", "--output", "json"])
    assert result.exit_code == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["to"] == 1 and out["release"]["number"] == 4 and out["ok"]
    assert running() == {
        s: f"123456789012.dkr.ecr.us-west-2.amazonaws.com/{s}:v1" for s in SERVICES
    }
    # the next `up` puts the spec's revision back
    back = runner.invoke(cli.app, ["up", str(three), "--yes"])
    assert back.exit_code == 0, back.stderr
    assert running() == {
        s: f"123456789012.dkr.ecr.us-west-2.amazonaws.com/{s}:v3" for s in SERVICES
    }
    assert history(three)[0]["number"] == 5


def test_rollback_to_a_release_not_kept_is_bad_input(three: Path) -> None:
    result = runner.invoke(cli.app, ["rollback", str(three), "--to", "9"])
    assert result.exit_code == 2
    assert "no release 9 in the ledger (it keeps releases 1 to 3)" in result.stderr


def test_rollback_without_releases_is_refused(aws: None, tmp_path: Path) -> None:
    result = runner.invoke(cli.app, ["rollback", str(version(tmp_path, 1))])
    assert result.exit_code == 3
    assert "no releases recorded for this app yet" in result.stderr


def test_a_failed_rollout_is_recorded_with_its_reason(
    aws: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(seams, "rollout_source", lambda dep: FinishedRollout(dep.aws))
    assert up(tmp_path, 1).exit_code == 0
    monkeypatch.setattr(seams, "rollout_source", lambda dep: CrashLoop(dep.aws))
    result = up(tmp_path, 2, "--timeout", "5m")
    assert result.exit_code == 1
    assert "Release 2 (up) recorded: rolled back" in result.stderr
    latest = history(version(tmp_path, 2))[0]
    assert latest["outcome"] == "rolled back"
    # both services crash; the one the watch sees first is named, the other went back with
    # the (atomic) release
    reason = latest["reason"]
    assert "rolled back by the deployment circuit breaker" in reason
    assert "Essential container in task exited" in reason
    assert "stopped with the release" in reason
    # the default rollback target skips it: release 1 is the last good one before it
    monkeypatch.setattr(seams, "rollout_source", lambda dep: FinishedRollout(dep.aws))
    back = runner.invoke(cli.app, ["rollback", str(version(tmp_path, 2))])
    assert "Rolling back from release 2 to release 1" in back.stderr


def test_up_without_waiting_records_it(aws: None, tmp_path: Path) -> None:
    result = up(tmp_path, 1, "--no-wait", "--output", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["release"] == 1
    (release,) = history(version(tmp_path, 1))
    assert release["outcome"] == "not waited"


# --- the ledger itself ---------------------------------------------------------------


def stages() -> Stages:
    spec = parse_spec(spec_text(), "test.yaml")
    return Stages.connect(Target.of(spec))


def draft(image: str = "nginx:1") -> Release:
    svc = ServiceRelease("arn:aws:ecs:us-west-2:123456789012:task-definition/mlapp-dev-api:1")
    return Release(0, ledger.now(), "arn:aws:iam::123456789012:user/ci", "abc", "rolled out",
                   services={"api": ServiceRelease(svc.task_definition, image)})  # fmt: skip


def test_the_ledger_keeps_the_last_fifty(aws: None) -> None:
    dep = stages()
    known: list[Release] = []
    for _ in range(releases.KEPT + 5):
        recorded = ledger.record(dep, draft(), known)
        assert recorded.release is not None and not recorded.warnings
        known = [*known, recorded.release][-releases.KEPT :]
    found = releases.read_all(dep.aws, OWNER)
    assert len(found) == releases.KEPT
    assert [r.number for r in found] == list(range(6, releases.KEPT + 6))


def test_an_interrupted_write_leaves_no_half_release(aws: None) -> None:
    dep = stages()
    assert ledger.record(dep, draft()).release is not None
    # the write refused (or the connection lost) mid-way: nothing of it is there
    inject(dep.aws, "ssm", Fault("PutParameter", "InternalServerError", "boom", first_n(1)))
    recorded = ledger.record(dep, draft())
    assert recorded.release is None and "could not record the release" in recorded.warnings[0]
    assert [r.number for r in releases.read_all(dep.aws, OWNER)] == [1]
    # the run killed right after the write: the release is there, whole
    crash = CrashAfter(1)
    crash.attach(dep.aws, ["ssm"])
    with pytest.raises(Crash):
        ledger.record(dep, draft())
    found = releases.read_all(Aws(REGION), OWNER)
    assert [r.number for r in found] == [1, 2] and found[1] == found[1]
    assert found[1].services == draft().services


def test_a_number_taken_meanwhile_makes_the_write_take_the_next(aws: None) -> None:
    dep = stages()
    first = ledger.record(dep, draft()).release
    assert first is not None
    stale: list[Release] = []  # read before the other run wrote release 1
    second = ledger.record(dep, draft(), stale).release
    assert second is not None and second.number == 2


def test_a_record_stays_well_under_four_kilobytes() -> None:
    family = "mlapp-production-" + "x" * 40
    arn = f"arn:aws:ecs:us-west-2:123456789012:task-definition/{family}:12"
    image = "123456789012.dkr.ecr.us-west-2.amazonaws.com/mlapp/production/" + "i" * 60
    one = ServiceRelease(arn, image, "sha256:" + "0" * 64, "ecs-svc/1234567890123456789")
    few = Release(7, ledger.now(), "arn:aws:iam::123456789012:user/ci", "h", "failed",
                  "why " * 500, {f"svc{i}": one for i in range(4)})  # fmt: skip
    text = few.encode()
    assert len(text.encode()) <= releases.MAX_RECORD
    back = Release.decode(text)
    assert back is not None and back.services == few.services  # all of it
    assert len(back.reason) <= releases.MAX_REASON
    # many services: what a rollback needs of each, ``family:revision``
    many = replace(few, services={f"svc{i}": one for i in range(25)})
    text = many.encode()
    assert len(text.encode()) <= releases.MAX_RECORD
    back = Release.decode(text)
    assert back is not None
    assert {s.task_definition for s in back.services.values()} == {f"{family}:12"}
    assert set(back.services) == set(many.services)
    assert Release.decode("{not json") is None


# --- images a kept release runs ------------------------------------------------------


def test_lifecycle_policy_keeps_the_images_of_kept_releases() -> None:
    rules = json.loads(lifecycle_policy(10))["rules"]
    first, last = sorted(rules, key=lambda r: r["rulePriority"])
    assert first["selection"]["tagPrefixList"] == [release_images.RELEASE_TAG_PREFIX]
    assert first["selection"]["countNumber"] >= releases.KEPT
    assert last["selection"] == {"tagStatus": "any", "countType": "imageCountMoreThan",
                                 "countNumber": 10}  # fmt: skip
    assert keep_of_policy(lifecycle_policy(10)) == 10
    old = {"rules": [{**last, "rulePriority": 1}]}  # the policy before releases
    assert keep_of_policy(json.dumps(old)) is None  # so `up` puts the new one


def test_a_release_tags_its_images_and_pruning_untags_them(aws: None) -> None:
    dep = stages()
    repo = "mlapp/dev/api"
    digest = put_image(repo, "c0ffee")
    image = f"123456789012.dkr.ecr.us-west-2.amazonaws.com/{repo}:c0ffee"
    ecr = boto3.client("ecr", region_name=REGION)

    def tags() -> set[str]:
        found = ecr.describe_images(repositoryName=repo, imageIds=[{"imageDigest": digest}])
        return set(found["imageDetails"][0].get("imageTags", []))

    known: list[Release] = []
    for _ in range(releases.KEPT + 1):
        recorded = ledger.record(dep, draft(image), known)
        assert recorded.release is not None, recorded.warnings
        known = [*known, recorded.release][-releases.KEPT :]
    assert known[-1].services["api"].digest == digest
    assert "release-000001" not in tags()  # pruned with release 1
    assert {"c0ffee", "release-000002", f"release-{releases.KEPT + 1:06d}"} <= tags()
    # images from elsewhere are not the app's to tag
    assert release_images.in_app_repository(OWNER, "nginx:1") is None
    other = "123456789012.dkr.ecr.us-west-2.amazonaws.com/other/dev/api:1"
    assert release_images.in_app_repository(OWNER, other) is None


# --- the CLI against the moto server ---------------------------------------------------


def test_history_and_rollback_through_the_cli(moto_server: str, tmp_path: Path) -> None:
    for n in (1, 2, 3):
        spec = version(tmp_path, n)
        done = run_cli(moto_server, "up", str(spec), "--yes", "--no-wait", "--skip-verify")
        assert done.returncode == 0, done.stderr
    listed = run_cli(moto_server, "history", str(spec), "--output", "json")
    assert listed.returncode == 0, listed.stderr
    assert [r["number"] for r in json.loads(listed.stdout)["releases"]] == [3, 2, 1]
    back = run_cli(moto_server, "-v", "rollback", str(spec), "--to", "2", "--no-wait")
    assert back.returncode == 0, back.stderr
    calls = [line.split()[1] for line in back.stderr.splitlines() if line.startswith("aws ")]
    writes = {c for c in calls if not c.split(":")[1].startswith(("Describe", "Get", "List"))}
    assert writes == {"ecs:UpdateService", "ssm:PutParameter", "ssm:DeleteParameter"}
    assert calls.count("ecs:UpdateService") == 2
    table = run_cli(moto_server, "history", str(spec))
    assert table.returncode == 0
    assert "rollback to 2" in table.stdout
    first = run_cli(moto_server, "rollback", str(spec), "--to", "1", "--no-wait")
    assert first.returncode == 0, first.stderr
    assert "Release 5 (rollback to 1) recorded: not waited" in first.stderr


def test_spec_hash_is_kept_when_a_newer_ecsdeploy_adds_a_defaulted_key() -> None:
    # a release recorded before a new spec key existed must not read as "the spec has
    # changed" to the ecsdeploy that added the key: keys at their defaults are not hashed
    from pydantic import Field

    from ecsdeploy.spec.models import Spec

    class NewerSpec(Spec):
        brand_new: bool = Field(False, description="a key a later version adds")

    data = {"app": "mlapp", "services": {"api": {"image": "nginx:1", "port": 80}}}
    older, newer = Spec.model_validate(data), NewerSpec.model_validate(data)
    assert ledger.spec_hash(older) == ledger.spec_hash(newer)
    changed = Spec.model_validate({**data, "env": "prod"})
    assert ledger.spec_hash(changed) != ledger.spec_hash(older)


def test_the_ledger_is_read_while_the_rollout_runs(
    aws: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, calls: CallRecorder
) -> None:
    """The release is numbered after the ledger as read while `up` watched the rollout, not
    after it: the rollout is held done until the ledger's read has started (with the read
    after the rollout, it never does, and the hold runs out)."""
    import threading

    read = threading.Event()
    held: list[bool] = []

    class AfterTheLedgerRead(FinishedRollout):
        def describe_service(self, cluster: str, service: str) -> dict[str, Any]:
            held.append(read.wait(5))
            return super().describe_service(cluster, service)

    calls.listeners.append(
        lambda call: read.set() if str(call) == "ssm:GetParametersByPath" else None
    )
    monkeypatch.setattr(seams, "rollout_source", lambda dep: FinishedRollout(dep.aws))
    assert up(tmp_path, 1).exit_code == 0
    read.clear()
    monkeypatch.setattr(seams, "rollout_source", lambda dep: AfterTheLedgerRead(dep.aws))
    calls.clear()
    result = up(tmp_path, 2)
    assert result.exit_code == 0, result.stderr
    assert "Release 2 (up) recorded: rolled out" in result.stderr
    assert held and all(held)
    assert [str(c) for c in calls.calls].count("ssm:GetParametersByPath") == 1
