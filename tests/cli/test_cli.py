"""The command line in-process (Typer's runner) against moto: exit codes, output streams,
confirmation rules, and that read-only commands make no mutating AWS call."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ecsdeploy.aws.recorder import CallRecorder
from ecsdeploy.cli import app as cli
from ecsdeploy.cli import seams

from conftest import CONFIGS, owned_anything, spec_text

runner = CliRunner()
pytestmark = pytest.mark.usefixtures("no_preflight")


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


def test_version_and_help() -> None:
    result = runner.invoke(cli.app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.startswith("ecsdeploy ")
    result = runner.invoke(cli.app, ["--help"])
    assert result.exit_code == 0
    for command in ("up", "plan", "status", "down", "validate", "schema"):
        assert command in result.stdout
    assert "Exit codes" in result.stdout


def test_every_command_help_has_an_example() -> None:
    import typer

    group = typer.main.get_command(cli.app)
    commands = sorted(group.commands)  # type: ignore[attr-defined]
    assert {"up", "plan", "down", "status", "verify", "logs"} <= set(commands)
    for name in commands:
        result = runner.invoke(cli.app, [name, "--help"])
        assert result.exit_code == 0, name
        assert f"Example: ecsdeploy {name} " in result.stdout, f"`{name} --help` has no example"
    assert "Example: ecsdeploy " in runner.invoke(cli.app, ["--help"]).stdout


@pytest.mark.parametrize("name", ["example.yaml", "express.yaml"])
def test_validate_ok(name: str) -> None:
    result = runner.invoke(cli.app, ["validate", str(CONFIGS / name)])
    assert result.exit_code == 0, result.stderr
    assert "ok" in result.stdout


def test_validate_bad_spec_exits_2_with_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(spec_text().replace("memory: 1024", "memory: 300"))
    result = runner.invoke(cli.app, ["validate", str(bad)])
    assert result.exit_code == 2
    assert f"{bad}:14: services.api.memory: 300 is not a valid Fargate memory" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_validate_missing_file_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(cli.app, ["validate", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 2
    assert "no such file" in result.stderr


def test_schema_is_json_on_stdout() -> None:
    result = runner.invoke(cli.app, ["schema"])
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert "services" in schema["properties"]
    assert result.stderr == ""


def test_plan_makes_no_mutating_call(aws: None, recorder: CallRecorder, spec_file: Path) -> None:
    result = runner.invoke(cli.app, ["plan", str(spec_file)])
    assert result.exit_code == 0, result.stderr
    assert "+ create" in result.stdout
    assert "ec2.vpc" in result.stdout
    assert recorder.reads()
    assert recorder.mutating() == []

    result = runner.invoke(cli.app, ["plan", str(spec_file), "--output", "json"])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["summary"]["create"] == len(data["steps"]) > 10
    assert data["cost"]["before"]["total"] == 0
    assert data["cost"]["after"]["total"] > 0
    assert recorder.mutating() == []


def test_up_up_status_down(aws: None, recorder: CallRecorder, spec_file: Path) -> None:
    result = runner.invoke(cli.app, ["up", str(spec_file), "--no-wait"])
    assert result.exit_code == 0, result.stderr
    assert "Done:" in result.stdout

    recorder.clear()
    result = runner.invoke(cli.app, ["up", str(spec_file), "--no-wait"])
    assert result.exit_code == 0
    assert "No changes" in result.stdout
    assert recorder.mutating() == []

    # the cost of what runs (counted from AWS) equals the cost of the spec once deployed
    result = runner.invoke(cli.app, ["plan", str(spec_file), "--output", "json"])
    cost = json.loads(result.stdout)["cost"]
    assert cost["after"]["total"] > 0
    assert cost["before"]["total"] == cost["after"]["total"]
    assert cost["delta"] == 0

    result = runner.invoke(cli.app, ["status", str(spec_file), "--output", "json"])
    assert result.exit_code == 0
    status = json.loads(result.stdout)
    assert status["deployed"] is True
    assert status["url"].startswith("http://") and "elb" in status["url"]
    assert sorted(s["name"] for s in status["services"]) == ["api", "ui"]
    api = next(s for s in status["services"] if s["name"] == "api")
    assert api["desired"] == 1 and api["revision"] == "1"
    assert {r["kind"] for r in status["resources"]} >= {"ec2.vpc", "iam.role", "logs.log_group"}

    # no TTY and no --yes: down refuses, exit 3, and deletes nothing
    recorder.clear()
    result = runner.invoke(cli.app, ["down", str(spec_file)])
    assert result.exit_code == 3
    assert "--yes" in result.stderr
    assert recorder.mutating() == []

    result = runner.invoke(cli.app, ["down", str(spec_file), "--yes"])
    assert result.exit_code == 0, result.stderr
    assert owned_anything() == []

    result = runner.invoke(cli.app, ["down", str(spec_file), "--yes"])
    assert result.exit_code == 0
    assert "Nothing to delete" in result.stdout


def test_up_refuses_destructive_change_without_yes(
    aws: None, recorder: CallRecorder, tmp_path: Path
) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(spec_text(nat="single"))
    assert runner.invoke(cli.app, ["up", str(path), "--no-wait"]).exit_code == 0
    path.write_text(spec_text(nat="none"))
    recorder.clear()
    result = runner.invoke(cli.app, ["up", str(path), "--no-wait"])
    assert result.exit_code == 3
    assert "- delete" in result.stdout
    assert recorder.mutating() == []
    result = runner.invoke(cli.app, ["up", str(path), "--yes", "--no-wait"])
    assert result.exit_code == 0, result.stderr


def test_down_by_app_name_without_spec(
    aws: None,
    recorder: CallRecorder,
    spec_file: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert runner.invoke(cli.app, ["up", str(spec_file), "--no-wait"]).exit_code == 0
    monkeypatch.chdir(tmp_path / "..")  # no ecsdeploy.yaml here
    result = runner.invoke(
        cli.app, ["down", "--app", "mlapp", "--env", "dev", "--region", "us-west-2", "--yes"]
    )
    assert result.exit_code == 0, result.stderr
    assert owned_anything() == []


def test_status_of_absent_app(aws: None, recorder: CallRecorder, spec_file: Path) -> None:
    result = runner.invoke(cli.app, ["status", str(spec_file)])
    assert result.exit_code == 0
    assert "nothing deployed" in result.stdout


def test_untagged_resource_with_our_name_stops_up(
    aws: None, recorder: CallRecorder, spec_file: Path
) -> None:
    import boto3

    iam = boto3.client("iam", region_name="us-west-2")
    iam.create_role(RoleName="mlapp-dev-execution", AssumeRolePolicyDocument="{}")
    recorder.clear()
    result = runner.invoke(cli.app, ["up", str(spec_file), "--no-wait"])
    assert result.exit_code == 3
    assert "mlapp-dev-execution" in result.stderr
    assert "not created by ecsdeploy" in result.stderr
    assert recorder.mutating() == []
    # and down never touches it
    assert runner.invoke(cli.app, ["down", str(spec_file), "--yes"]).exit_code == 0
    assert iam.get_role(RoleName="mlapp-dev-execution")["Role"]["RoleName"]


def test_down_keeps_the_artifacts_bucket_unless_purged(
    aws: None, recorder: CallRecorder, tmp_path: Path
) -> None:
    import boto3

    (tmp_path / "model.joblib").write_bytes(b"weights")
    spec = tmp_path / "ecsdeploy.yaml"
    spec.write_text(spec_text() + "artifacts:\n  model:\n    source: model.joblib\n")
    assert runner.invoke(cli.app, ["up", str(spec), "--no-wait"]).exit_code == 0
    bucket = "mlapp-dev-artifacts-123456789012"
    s3 = boto3.client("s3", region_name="us-west-2")

    result = runner.invoke(cli.app, ["down", str(spec), "--yes"])
    assert result.exit_code == 0, result.stderr
    assert f"Keeping bucket {bucket}" in result.stderr
    assert bucket in [b["Name"] for b in s3.list_buckets()["Buckets"]]

    result = runner.invoke(cli.app, ["down", str(spec), "--yes", "--purge-data"])
    assert result.exit_code == 0, result.stderr
    assert bucket not in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert owned_anything() == []


def test_missing_artifact_file_is_bad_input(
    aws: None, recorder: CallRecorder, tmp_path: Path
) -> None:
    spec = tmp_path / "ecsdeploy.yaml"
    spec.write_text(spec_text() + "artifacts:\n  model:\n    source: nope.joblib\n")
    result = runner.invoke(cli.app, ["plan", str(spec)])
    assert result.exit_code == 2
    assert "artifacts.model.source" in result.stderr and "nope.joblib" in result.stderr
    assert recorder.mutating() == []


def test_plan_detailed_exitcode(aws: None, recorder: CallRecorder, spec_file: Path) -> None:
    result = runner.invoke(cli.app, ["plan", str(spec_file), "--detailed-exitcode"])
    assert result.exit_code == 2  # changes to make
    assert runner.invoke(cli.app, ["up", str(spec_file), "--no-wait"]).exit_code == 0
    result = runner.invoke(cli.app, ["plan", str(spec_file), "--detailed-exitcode"])
    assert result.exit_code == 0, result.stderr
    spec_file.write_text("app: Bad\n")
    result = runner.invoke(cli.app, ["plan", str(spec_file), "--detailed-exitcode"])
    assert result.exit_code == 1  # errors are 1 here, so 2 always means changes


def test_env_override_deploys_a_separate_environment(
    aws: None, recorder: CallRecorder, spec_file: Path
) -> None:
    assert runner.invoke(cli.app, ["up", str(spec_file), "--no-wait"]).exit_code == 0
    result = runner.invoke(cli.app, ["up", str(spec_file), "--env", "prod", "--no-wait"])
    assert result.exit_code == 0, result.stderr
    assert "mlapp/prod" in result.stderr
    assert owned_anything(env="prod") and owned_anything(env="dev")
    result = runner.invoke(cli.app, ["down", str(spec_file), "--env", "prod", "--yes"])
    assert result.exit_code == 0, result.stderr
    assert owned_anything(env="prod") == []
    assert owned_anything(env="dev") != []
    result = runner.invoke(cli.app, ["plan", str(spec_file), "--env", "Prod!"])
    assert result.exit_code == 2
    assert "--env 'Prod!'" in result.stderr


def test_logs_prints_a_services_lines_oldest_first(
    aws: None, recorder: CallRecorder, spec_file: Path
) -> None:
    import time as clock

    import boto3

    assert runner.invoke(cli.app, ["up", str(spec_file), "--no-wait"]).exit_code == 0
    logs = boto3.client("logs", region_name="us-west-2")
    group = "/ecsdeploy/mlapp/dev/api"
    now = int(clock.time() * 1000)
    for task, offset, message in (("aaaa1111", 3000, "second"), ("bbbb2222", 6000, "first")):
        stream = f"ecs/api/{task}"
        logs.create_log_stream(logGroupName=group, logStreamName=stream)
        logs.put_log_events(
            logGroupName=group,
            logStreamName=stream,
            logEvents=[{"timestamp": now - offset, "message": message}],
        )
    result = runner.invoke(cli.app, ["logs", str(spec_file), "api", "--since", "5m"])
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert [ln.split()[-1] for ln in lines] == ["first", "second"]
    assert lines[0].split()[1].startswith("bbbb2222")
    result = runner.invoke(cli.app, ["logs", str(spec_file), "web"])
    assert result.exit_code == 2 and "no service 'web'" in result.stderr
    result = runner.invoke(cli.app, ["logs", str(spec_file), "api", "--since", "soon"])
    assert result.exit_code == 2 and "--since" in result.stderr


@pytest.mark.parametrize("command", ["verify", "up"])
def test_verify_and_up_stop_on_a_missing_secret(
    aws: None,
    recorder: CallRecorder,
    spec_file: Path,
    command: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.undo()  # the real checks, not the no_preflight stand-in
    monkeypatch.setattr(seams, "recorder", lambda: recorder)
    result = runner.invoke(cli.app, [command, str(spec_file)])
    assert result.exit_code == 1
    shown = result.stdout if command == "verify" else result.stderr  # up: a diagnostic
    assert "FAIL" in shown and "/mlapp/api-token" in shown
    assert recorder.mutating() == []


# --- observability and hardening -------------------------------------------------


def _spec(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "ecsdeploy.yaml"
    path.write_text(spec_text() + extra)
    return path


def test_status_lists_firing_alarms_first_and_the_dashboard(
    aws: None, recorder: CallRecorder, tmp_path: Path
) -> None:
    spec = _spec(tmp_path)
    assert runner.invoke(cli.app, ["up", str(spec), "--no-wait"]).exit_code == 0
    import boto3

    boto3.client("cloudwatch", region_name="us-west-2").set_alarm_state(
        AlarmName="mlapp-dev-ui-memory-high",
        StateValue="ALARM",
        StateReason="Threshold Crossed: 5 datapoints were greater than 80.0",
    )
    result = runner.invoke(cli.app, ["status", str(spec)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("ALARM mlapp-dev-ui-memory-high")
    assert "Threshold Crossed" in lines[0]
    assert any(line.startswith("Alarms: 1 alarm, ") for line in lines)
    assert any(
        "Dashboard: https://us-west-2.console.aws.amazon.com/cloudwatch/home?region=us-west-2"
        "#dashboards/dashboard/ecsdeploy_mlapp_dev" in line
        for line in lines
    )

    out = json.loads(runner.invoke(cli.app, ["status", str(spec), "-o", "json"]).stdout)
    assert out["dashboard"].endswith("#dashboards/dashboard/ecsdeploy_mlapp_dev")
    assert out["alarms"][0]["name"] == "mlapp-dev-ui-memory-high"
    assert out["alarms"][0]["state"] == "ALARM"
    assert {a["state"] for a in out["alarms"][1:]} <= {"OK", "INSUFFICIENT_DATA"}
    assert len(out["alarms"]) == 11  # 5xx, and p95/unhealthy/cpu/memory/tasks of api and ui


def test_down_refuses_a_protected_load_balancer_until_told(
    aws: None, recorder: CallRecorder, tmp_path: Path
) -> None:
    extra = "load_balancer:\n  deletion_protection: true\n  access_logs: true\n"
    spec = _spec(tmp_path, extra)
    assert runner.invoke(cli.app, ["up", str(spec), "--no-wait"]).exit_code == 0
    recorder.clear()
    refused = runner.invoke(cli.app, ["down", str(spec), "--yes"])
    assert refused.exit_code == 3
    assert "--disable-deletion-protection" in refused.stderr
    assert "nothing was deleted" in refused.stderr
    assert recorder.mutating() == []

    done = runner.invoke(cli.app, ["down", str(spec), "--yes", "--disable-deletion-protection"])
    assert done.exit_code == 0, done.output
    assert "Keeping bucket" not in done.stderr  # access logs go with the load balancer
    assert owned_anything() == []
