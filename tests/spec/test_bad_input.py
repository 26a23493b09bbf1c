"""Bad input through the command line: every bad spec file, argument and environment exits
non-zero with a message, prints no traceback, and makes no mutating AWS call.

Spec files: every case of tests/spec_cases plus generated ones (huge, binary, unicode
names, deep nesting), each through `plan`, `up` and `down`. Arguments and environment:
with a valid spec.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from ecsdeploy.aws import clients
from ecsdeploy.aws.recorder import CallRecorder
from ecsdeploy.cli import app as cli
from ecsdeploy.cli import seams

from conftest import spec_text

runner = CliRunner()
CASES = sorted((Path(__file__).parents[1] / "spec_cases").glob("*.yaml"))
COMMANDS = [["plan"], ["up", "--yes", "--skip-verify", "--no-wait"], ["down", "--yes"]]


def _generated() -> dict[str, bytes]:
    good = spec_text()
    return {
        "huge": (good + "# padding\n" * 150_000).encode(),
        "binary": bytes(range(256)) * 64,
        "utf16": good.encode("utf-16"),
        "empty": b"",
        "unicode_app": good.replace("app: mlapp", "app: mläpp").encode(),
        "unicode_service": good.replace("  api:", "  модель:").replace(
            "services.api.url", "services.модель.url"
        ).encode(),
        "emoji_env": good.replace("env: dev", "env: 🚀").encode(),
        "deep_nesting": good.encode() + b"extra: " + b"[" * 5000 + b"]" * 5000 + b"\n",
        "wrong_types": good.replace("port: 8000", "port: [8000]")
        .replace("cpu: 512", "cpu: {a: 1}")
        .encode(),
        "unknown_keys": (good + "colour: blue\n").replace("nat: single", "nat: single\n  nats: 2")
        .encode(),
    }  # fmt: skip


GENERATED = _generated()


@pytest.fixture
def recorder(aws: None, monkeypatch: pytest.MonkeyPatch) -> CallRecorder:
    rec = CallRecorder()
    monkeypatch.setattr(seams, "recorder", lambda: rec)
    return rec


def _refused(result: Result, recorder: CallRecorder) -> None:
    said = result.stderr + result.stdout
    assert result.exit_code not in (0, None), said
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert "error" in said.lower() and len(said.strip()) > 20, said
    assert "Traceback" not in said, said
    assert "unexpected error" not in said, said  # a known failure, reported as such
    assert "AWS call failed: \n" not in said, said  # names the call, or says what is wrong
    assert recorder.mutating() == []


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_bad_spec_files(recorder: CallRecorder, case: Path, command: list[str]) -> None:
    result = runner.invoke(cli.app, [command[0], str(case), *command[1:]])
    _refused(result, recorder)
    if command[0] == "plan":  # the loader's message reaches the user, with file and line
        assert case.name in result.stderr


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
@pytest.mark.parametrize("name", sorted(GENERATED))
def test_generated_bad_spec_files(
    recorder: CallRecorder, tmp_path: Path, name: str, command: list[str]
) -> None:
    spec = tmp_path / f"{name}.yaml"
    spec.write_bytes(GENERATED[name])
    result = runner.invoke(cli.app, [command[0], str(spec), *command[1:]])
    _refused(result, recorder)


@pytest.fixture
def spec_file(tmp_path: Path) -> Path:
    spec = tmp_path / "ecsdeploy.yaml"
    spec.write_text(spec_text())
    return spec


ARGUMENTS = {
    "output_xml": ["plan", "{spec}", "--output", "xml"],
    "timeout_words": ["up", "{spec}", "--yes", "--skip-verify", "--timeout", "soon"],
    "timeout_negative": ["up", "{spec}", "--yes", "--skip-verify", "--timeout", "-5m"],
    "timeout_zero": ["up", "{spec}", "--yes", "--skip-verify", "--timeout", "0"],
    "parallelism_zero": ["up", "{spec}", "--yes", "--parallelism", "0"],
    "parallelism_huge": ["up", "{spec}", "--yes", "--parallelism", "100000"],
    "parallelism_text": ["up", "{spec}", "--yes", "--parallelism", "many"],
    "missing_file": ["plan", "{dir}/missing.yaml"],
    "directory": ["plan", "{dir}"],
    "directory_up": ["up", "{dir}", "--yes"],
    "region_words": ["plan", "{spec}", "--region", "not a region"],
    "region_partial": ["up", "{spec}", "--yes", "--skip-verify", "--region", "us-west"],
    "global_region": ["--region", "EU", "plan", "{spec}"],
    "unknown_option": ["up", "{spec}", "--frobnicate"],
    "unknown_command": ["deploy", "{spec}"],
    "env_name_bad": ["up", "{spec}", "--yes", "--env", "Prod!"],
    "down_without_spec_or_app": ["down", "--yes", "{dir}/none.yaml"],
}


@pytest.mark.parametrize("name", sorted(ARGUMENTS))
def test_bad_arguments(recorder: CallRecorder, spec_file: Path, name: str) -> None:
    args = [a.format(spec=spec_file, dir=spec_file.parent) for a in ARGUMENTS[name]]
    _refused(runner.invoke(cli.app, args), recorder)


@pytest.fixture
def fresh_sessions(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A new boto3 session, as a new process has: credentials are read again."""
    monkeypatch.setattr(clients, "_SESSIONS", {})
    yield


ENVIRONMENTS: dict[str, dict[str, str | None]] = {
    "profile_missing": {"AWS_PROFILE": "no-such-profile"},
    "no_credentials": {
        "AWS_ACCESS_KEY_ID": None,
        "AWS_SECRET_ACCESS_KEY": None,
        "AWS_EC2_METADATA_DISABLED": "true",  # no instance role lookup either
    },
    "endpoint_not_a_url": {"AWS_ENDPOINT_URL": "not a url"},
    "endpoint_unreachable": {"AWS_ENDPOINT_URL": "http://127.0.0.1:9"},
    "region_bad_for_app": {"AWS_DEFAULT_REGION": "moon", "AWS_REGION": "moon"},
}


# A region set only in the environment matters where no spec names one: `status --app`.
ENVIRONMENT_CASES = [
    (name, command)
    for name in sorted(ENVIRONMENTS)
    for command in ("plan", "up", "status")
    if name != "region_bad_for_app" or command == "status"
]


@pytest.mark.parametrize(("name", "command"), ENVIRONMENT_CASES)
def test_bad_environment(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fresh_sessions: None,
    name: str,
    command: str,
) -> None:
    # No moto here: each case must fail before any request could leave the machine (or,
    # for the unreachable endpoint, at a local port nothing listens on).
    from botocore.retries.standard import ExponentialBackoff

    monkeypatch.setattr(ExponentialBackoff, "delay_amount", lambda self, context: 0.0)
    recorder = CallRecorder()
    monkeypatch.setattr(seams, "recorder", lambda: recorder)
    spec = tmp_path / "ecsdeploy.yaml"
    spec.write_text(spec_text())
    args = {
        "plan": ["plan", str(spec)],
        "up": ["up", str(spec), "--yes", "--skip-verify", "--no-wait"],
        "status": ["status", "--app", "mlapp", "--env", "dev"],  # region from the environment
    }[command]
    result = runner.invoke(cli.app, args, env=ENVIRONMENTS[name])
    _refused(result, recorder)
