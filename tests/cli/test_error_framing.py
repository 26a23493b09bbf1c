"""How errors are framed: expected conditions are not "unexpected error"; a wrong path or
service name on the command line is a usage error (exit 2), not a spec problem; `-v` works
after the command; `logs` says when there are no lines; answering no at the prompt is no
error; an unknown command gets a suggestion; `exec` says to set `exec: true` first."""

from __future__ import annotations

import io
from pathlib import Path

import boto3
import pytest
import typer
from rich.console import Console
from typer.testing import CliRunner

from ecsdeploy.aws.recorder import CallRecorder
from ecsdeploy.cli import app as cli
from ecsdeploy.cli import seams, shared
from ecsdeploy.cli.app import verbose_first
from ecsdeploy.cli.errors import Cancelled, report
from ecsdeploy.images.ecr_access import RegistryError

from conftest import spec_text

runner = CliRunner()


@pytest.fixture
def spec_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(seams, "recorder", lambda: CallRecorder())
    path = tmp_path / "ecsdeploy.yaml"
    path.write_text(spec_text())
    return path


def _reported(exc: BaseException) -> tuple[int, str]:
    buffer = io.StringIO()
    code = report(Console(file=buffer, width=200), exc, verbose=False)
    return code, buffer.getvalue()


def test_partial_credentials_are_expected(spec_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ecsdeploy.aws import clients

    monkeypatch.setattr(clients, "_SESSIONS", {})  # a cached session keeps its credentials
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # never reached
    result = runner.invoke(cli.app, ["plan", str(spec_file)])
    assert result.exit_code == 1
    assert "incomplete AWS credentials" in result.stderr
    assert "AWS_SECRET_ACCESS_KEY" in result.stderr
    assert "unexpected" not in result.stderr and "-v" not in result.stderr


def test_registry_unreachable_is_expected() -> None:
    code, text = _reported(RegistryError("cannot reach registry 127.0.0.1:5000 (refused)"))
    assert code == 1
    assert "cannot reach registry 127.0.0.1:5000" in text
    assert "unexpected" not in text and "re-run with -v" not in text


def test_missing_spec_file_is_a_usage_error(tmp_path: Path) -> None:
    result = runner.invoke(cli.app, ["plan", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 2
    assert "nope.yaml: no such file" in result.stderr
    assert "the spec has" not in result.stderr


def test_mistyped_service_is_a_usage_error(spec_file: Path) -> None:
    result = runner.invoke(cli.app, ["logs", str(spec_file), "apii"])
    assert result.exit_code == 2
    assert "no service 'apii' in this spec; did you mean 'api'? choose api, ui" in result.stderr
    assert "the spec has" not in result.stderr


def test_verbose_after_the_command(spec_file: Path) -> None:
    result = runner.invoke(cli.app, ["validate", str(spec_file), "-v"])
    assert result.exit_code == 0, result.stderr
    assert verbose_first(["up", "c.yaml", "--verbose"]) == ["--verbose", "up", "c.yaml"]
    # after `--` it belongs to exec's command
    assert verbose_first(["exec", "api", "--", "ls", "-v"]) == ["exec", "api", "--", "ls", "-v"]


def test_logs_says_when_there_are_no_lines(aws: None, spec_file: Path) -> None:
    boto3.client("logs", region_name="us-west-2").create_log_group(
        logGroupName="/ecsdeploy/mlapp/dev/api"
    )
    result = runner.invoke(cli.app, ["logs", str(spec_file), "api", "--filter", "ERROR"])
    assert result.exit_code == 0, result.stderr
    assert "No log lines of api in the last 10m containing 'ERROR'." in result.stderr
    assert result.stdout == ""


def test_no_at_the_prompt_is_no_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shared, "stdin_is_interactive", lambda: True)
    monkeypatch.setattr(typer, "confirm", lambda *args, **kwargs: False)
    with pytest.raises(Cancelled):
        shared.confirm("Delete all 30 resources of mlapp/dev?")
    code, text = _reported(Cancelled())
    assert code == 0
    assert text == "Cancelled; nothing was changed.\n"


def test_no_at_the_down_prompt_exits_0(
    aws: None, spec_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(seams, "preflight", lambda target, stages: [])
    assert runner.invoke(cli.app, ["up", str(spec_file), "--no-wait"]).exit_code == 0
    monkeypatch.setattr(shared, "stdin_is_interactive", lambda: True)
    monkeypatch.setattr(typer, "confirm", lambda *args, **kwargs: False)
    result = runner.invoke(cli.app, ["down", str(spec_file)])
    assert result.exit_code == 0, result.stderr
    assert "Cancelled; nothing was changed." in result.stderr
    assert "error" not in result.stderr


def test_unknown_command_gets_a_suggestion() -> None:
    result = runner.invoke(cli.app, ["upp"])
    assert result.exit_code == 2
    assert "Did you mean 'up'?" in result.stderr


def test_exec_without_exec_on_says_so_before_the_plugin(
    spec_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no session-manager-plugin either
    result = runner.invoke(cli.app, ["exec", str(spec_file), "api", "--env", "qa"])
    assert result.exit_code == 1
    text = " ".join(result.stderr.split())
    assert "`services.api.exec: true`" in text
    assert f"`ecsdeploy up {spec_file} --env qa`" in text
    assert "session-manager-plugin" not in text
