"""The ``ecsdeploy`` command line: the typer app, its global options and the entry point.

Each command lives in its own module under ``ecsdeploy.cli.commands`` and is registered
here, in ``COMMANDS``, by name: its module (and what that imports) is loaded only when the
command runs, or when ``--help`` lists it, so that a command starts without importing the
others. What the commands share (argument types, target lookup, error reporting) is in
``ecsdeploy.cli.shared``.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator, MutableMapping
from typing import Annotated, Any

import typer
from typer.core import TyperGroup
from typer.main import get_command_from_info
from typer.models import CommandInfo

from ecsdeploy import __version__
from ecsdeploy.cli.errors import EXIT_BAD_INPUT, EXIT_INTERRUPTED, EXIT_OK, EXIT_REFUSED
from ecsdeploy.cli.state import STATE
from ecsdeploy.output import console as consoles

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

# Every command, in the order `--help` lists them (the everyday workflow first): its name,
# and "module:function" in ecsdeploy.cli.commands. One line per command.
COMMANDS: dict[str, str] = {
    "init": "init:init",
    "validate": "check:validate",
    "plan": "plan:plan",
    "verify": "check:verify",
    "up": "up:up",
    "wait": "wait:wait",
    "status": "status:status",
    "ls": "ls:ls",
    "history": "releases:history",
    "rollback": "releases:rollback",
    "promote": "promote:promote",
    "abort": "paused:abort",
    "logs": "logs:logs",
    "exec": "execute:exec_",
    "restart": "operate:restart",
    "scale": "operate:scale",
    "run": "run:run",
    "down": "down:down",
    "unlock": "down:unlock",
    "gc": "gc:gc",
    "schema": "check:schema",
}


class LazyCommands(MutableMapping[str, Any]):
    """The group's commands by name (``COMMANDS``); each is built, its module imported,
    the first time it is looked up. Listing the names (typer's "did you mean") imports
    nothing."""

    def __init__(self, table: dict[str, str]) -> None:
        self._table = dict(table)
        self._built: dict[str, Any] = {}  # typer's click commands

    def __getitem__(self, name: str) -> Any:
        found = self._built.get(name)
        if found is None:
            module, function = self._table[name].split(":")
            loaded = importlib.import_module(f"ecsdeploy.cli.commands.{module}")
            callback = getattr(loaded, function)
            found = self._built[name] = get_command_from_info(
                CommandInfo(name=name, callback=callback),
                pretty_exceptions_short=app.pretty_exceptions_short,
                rich_markup_mode=None,
            )
        return found

    def __setitem__(self, name: str, command: Any) -> None:
        self._table.setdefault(name, "")
        self._built[name] = command

    def __delitem__(self, name: str) -> None:
        del self._table[name]
        self._built.pop(name, None)

    def __iter__(self) -> Iterator[str]:
        return iter(self._table)

    def __len__(self) -> int:
        return len(self._table)


class _Group(TyperGroup):
    """The command group: its commands are ``COMMANDS``, built when looked up; ``-v``
    works after the command too (``ecsdeploy up -v``): it is moved before the command,
    except after ``--`` (``exec``'s command line)."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self.commands = LazyCommands(COMMANDS)

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


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:
        consoles.err.print("Interrupted.")
        sys.exit(EXIT_INTERRUPTED)


__all__ = ["EXIT_BAD_INPUT", "EXIT_OK", "EXIT_REFUSED", "app", "main"]
