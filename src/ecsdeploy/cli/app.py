"""The ``ecsdeploy`` command line: the typer app, its global options and the entry point.

Each command lives in its own module under ``ecsdeploy.cli.commands`` and is registered
here; what they share (argument types, target lookup, error reporting) is in
``ecsdeploy.cli.shared``.
"""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from ecsdeploy import __version__
from ecsdeploy.cli.commands import (
    check,
    down,
    execute,
    gc,
    init,
    logs,
    ls,
    operate,
    paused,
    plan,
    promote,
    releases,
    status,
    up,
    wait,
)
from ecsdeploy.cli.commands.run import run as run_task
from ecsdeploy.cli.errors import EXIT_BAD_INPUT, EXIT_INTERRUPTED, EXIT_OK, EXIT_REFUSED
from ecsdeploy.cli.state import STATE
from ecsdeploy.output.console import err

HELP = """\
Deploy a containerized app to AWS ECS Fargate from one YAML file.

ecsdeploy calls the AWS APIs directly: no CloudFormation, no Terraform, no state file.
Every resource it makes is tagged with the spec's app and env; `status` and `down` find
them by those tags, from any machine.

Credentials: the standard AWS chain (AWS_PROFILE or --profile, AWS_ACCESS_KEY_ID /
AWS_SECRET_ACCESS_KEY, SSO, instance roles). AWS_ENDPOINT_URL points every call at an
emulator such as a local moto server.

Example: ecsdeploy plan ecsdeploy.yaml, then ecsdeploy up ecsdeploy.yaml

Exit codes: 0 success; 1 AWS failure; 2 bad spec or arguments; 3 refused (needs --yes,
or a resource it does not own is in the way); 130 interrupted (re-run to continue).
"""

VERBOSE = ("-v", "--verbose")


class _Group(TyperGroup):
    """The command group; ``-v`` works after the command too (``ecsdeploy up -v``): it is
    moved before the command, except after ``--`` (``exec``'s command line)."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:  # typer's own click Context
        return super().parse_args(ctx, verbose_first(args))


def verbose_first(args: list[str]) -> list[str]:
    """``args`` with every ``-v``/``--verbose`` before ``--`` moved to the front."""
    end = args.index("--") if "--" in args else len(args)
    flags = [a for a in args[:end] if a in VERBOSE]
    if not flags:
        return args
    return [flags[0], *(a for a in args[:end] if a not in VERBOSE), *args[end:]]


app = typer.Typer(
    cls=_Group,
    help=HELP,
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"ecsdeploy {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    profile: Annotated[
        str | None, typer.Option("--profile", help="AWS profile to use.", envvar="AWS_PROFILE")
    ] = None,
    region: Annotated[
        str | None, typer.Option("--region", help="AWS region; overrides the spec's region.")
    ] = None,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Log every AWS call; show tracebacks.")
    ] = False,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    STATE.profile = profile
    STATE.region = region
    STATE.verbose = verbose


# In the order `--help` lists them: the everyday workflow first.
for command in (
    init.init,
    check.validate,
    plan.plan,
    check.verify,
    up.up,
    wait.wait,
    status.status,
    ls.ls,
    releases.history,
    releases.rollback,
    promote.promote,
    paused.abort,
    logs.logs,
    execute.exec_,
    operate.restart,
    operate.scale,
    run_task,
    down.down,
    down.unlock,
    gc.gc,
    check.schema,
):
    app.command(command.__name__.rstrip("_"))(command)


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:
        err.print("Interrupted.")
        sys.exit(EXIT_INTERRUPTED)


__all__ = ["EXIT_BAD_INPUT", "EXIT_OK", "EXIT_REFUSED", "app", "main"]
