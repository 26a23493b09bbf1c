"""User text (ARNs, paths, AWS's messages, log lines) prints exactly as written: rich must
not read it as markup (``[bold]``, ``[/]``) nor as emoji codes (``:secret:`` in every
Secrets Manager ARN)."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from ecsdeploy.cli.app import app
from ecsdeploy.output.console import err
from ecsdeploy.output.preflight_view import show_checks
from ecsdeploy.plan.preflight import Check

TRICKY = "arn:aws:secretsmanager:us-west-2:123456789012:secret:shop/db [bold]x[/] :rocket:"


def test_check_details_print_as_written() -> None:
    with err.capture() as out:
        show_checks(err, [Check("secrets", "FAIL", f"api DB: {TRICKY} does not exist")])
    assert TRICKY in out.get()


def test_spec_problems_print_as_written(tmp_path: Path) -> None:
    spec = tmp_path / "ecsdeploy.yaml"
    spec.write_text("app: shop\nservices:\n  web:\n    image: '[bold]x[/]:secret:'\n    port: 80\n")
    result = CliRunner().invoke(app, ["validate", str(spec)])
    assert result.exit_code == 2
    assert "'[bold]x[/]:secret:' is not an image reference" in result.stderr


def test_a_bad_option_value_prints_as_written(tmp_path: Path) -> None:
    """An option's value quoted in an error is the user's text too."""
    spec = tmp_path / "ecsdeploy.yaml"
    spec.write_text("app: shop\nservices:\n  web:\n    image: nginx:1.27\n    port: 80\n")
    result = CliRunner().invoke(app, ["logs", str(spec), "web", "--since", "[bold]x[/]"])
    assert result.exit_code == 2
    assert "[bold]x[/]" in result.stderr
