"""``exec``: a shell, or one command, in a running task of a service (ECS Exec)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from ecsdeploy.cli.errors import EXIT_BAD_INPUT, EXIT_FAILED
from ecsdeploy.cli.shared import (
    DEFAULT_CONFIG,
    EnvOpt,
    ProfileOpt,
    RegionOpt,
    connect,
    fail,
    service_target,
)
from ecsdeploy.output.console import err

SPEC_SUFFIXES = (".yaml", ".yml")


def split_arguments(words: list[str]) -> tuple[Path, str, list[str]]:
    """``[CONFIG] SERVICE [COMMAND...]``: a first word naming a YAML file is the spec."""
    if words and words[0].endswith(SPEC_SUFFIXES):
        config, rest = Path(words[0]), words[1:]
    else:
        config, rest = DEFAULT_CONFIG, words
    if not rest:
        raise ValueError("give the service: exec [CONFIG] SERVICE [-- COMMAND...]")
    return config, rest[0], rest[1:]


def exec_(
    words: Annotated[
        list[str],
        typer.Argument(
            help="[CONFIG] SERVICE [-- COMMAND...]: the spec (default ./ecsdeploy.yaml), "
            "the service, and the command to run (default /bin/sh).",
            show_default=False,
            metavar="[CONFIG] SERVICE [-- COMMAND...]",
        ),
    ],
    container: Annotated[
        str | None,
        typer.Option("--container", help="Container to run in (default: the service's)."),
    ] = None,
    env: EnvOpt = None,
    region: RegionOpt = None,
    profile: ProfileOpt = None,
) -> None:
    """Open a shell, or run a command, in a running task of a service (ECS Exec).

    Needs `exec: true` on the service (then `up`) and the AWS Session Manager plugin
    on PATH. Put the command after `--`.

    Example: ecsdeploy exec configs/example.yaml api -- python -c 'import sys; print(sys.version)'
    """
    from ecsdeploy.ops import execute as ecs_exec

    try:
        config, service, command = split_arguments(words)
    except ValueError as exc:
        err.print(f"error: {escape(str(exc))}")
        raise typer.Exit(EXIT_BAD_INPUT) from None
    try:
        target = service_target(config, service, env, region, profile)
    except Exception as exc:
        fail(exc)
    # what the spec says first: no use installing the plugin for a service without exec
    spec_service = target.spec.services.get(service) if target.spec else None
    if spec_service is not None and not spec_service.exec:
        from ecsdeploy.cli.hints import command_line

        again = command_line("up")
        err.print(
            f"error: ECS Exec is off for service {escape(service)}: set "
            f"`services.{escape(service)}.exec: true` in the spec and run `{escape(again)}` "
            "(it starts tasks with the exec agent); then run this command again"
        )
        raise typer.Exit(EXIT_FAILED)
    try:
        plugin = ecs_exec.find_plugin()
    except ecs_exec.PluginMissing as exc:
        err.print(f"error: {escape(str(exc))}")
        raise typer.Exit(EXIT_FAILED) from None

    def chosen(task: ecs_exec.Task, box: str) -> None:
        err.print(f"[dim]{service}: task {task.id}, container {box}[/]")

    try:
        code = ecs_exec.exec_in(connect(target), service, container, command, plugin, chosen)
    except ecs_exec.ExecError as exc:
        from ecsdeploy.cli.hints import with_options

        err.print(f"error: {escape(with_options(str(exc)))}")
        raise typer.Exit(EXIT_FAILED) from None
    except Exception as exc:
        fail(exc)
    raise typer.Exit(code)
