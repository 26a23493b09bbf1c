"""Every hint naming a command to run repeats the options of the run: the spec path (or
--app), --env, --region and --profile (cli.hints)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ecsdeploy.cli import app as cli
from ecsdeploy.cli.hints import command_line, with_options
from ecsdeploy.cli.state import STATE

from conftest import spec_text

runner = CliRunner()


@pytest.fixture(autouse=True)
def _state() -> Iterator[None]:
    saved = (STATE.config, STATE.app, STATE.env, STATE.region, STATE.profile)
    yield
    STATE.config, STATE.app, STATE.env, STATE.region, STATE.profile = saved


def _options(**values: object) -> None:
    STATE.config, STATE.app, STATE.env, STATE.region, STATE.profile = (
        values.get("config"),
        values.get("app"),
        values.get("env"),
        values.get("region"),
        values.get("profile"),
    )


def test_command_line_repeats_the_options_in_force() -> None:
    _options(config=Path("configs/x.yaml"), env="qa", region="eu-west-1", profile="ops")
    assert command_line("unlock") == (
        "ecsdeploy unlock configs/x.yaml --env qa --region eu-west-1 --profile ops"
    )
    assert command_line("down", "--yes").endswith("--profile ops --yes")


def test_command_line_without_a_spec_names_the_app_and_quotes() -> None:
    _options(app="shop", env="pr 42")
    assert command_line("down") == "ecsdeploy down --app shop --env 'pr 42'"
    _options(config=Path("ecsdeploy.yaml"))  # the default spec is not repeated
    assert command_line("up") == "ecsdeploy up"


def test_messages_from_below_get_the_options() -> None:
    _options(config=Path("c.yaml"), env="qa")
    text = "another run holds the lock; if it was killed, run `ecsdeploy unlock`"
    assert with_options(text).endswith("run `ecsdeploy unlock c.yaml --env qa`")
    protected = "run `ecsdeploy down --disable-deletion-protection`"
    assert with_options(protected) == (
        "run `ecsdeploy down c.yaml --env qa --disable-deletion-protection`"
    )
    # not an app command: left as written
    assert with_options("see `ecsdeploy --help`") == "see `ecsdeploy --help`"


def test_a_refused_run_names_the_options(
    aws: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ecsdeploy.reconcile.lock import LockHeld

    spec = tmp_path / "ecsdeploy.yaml"
    spec.write_text(spec_text())

    def held(*args: object, **kwargs: object) -> None:
        raise LockHeld("ci@runner", "10:00", 300)

    monkeypatch.setattr("ecsdeploy.ops.up.Lock.__enter__", held)
    monkeypatch.setattr("ecsdeploy.cli.seams.preflight", lambda target, stages: [])
    result = runner.invoke(
        cli.app, ["--region", "us-west-2", "up", str(spec), "--env", "qa", "--no-wait"]
    )
    assert result.exit_code == 3, result.stderr
    assert f"run `ecsdeploy unlock {spec} --env qa --region us-west-2`" in result.stderr
