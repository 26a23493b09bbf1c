"""``logs``: a service's (or a scheduled job's) CloudWatch logs, once or followed."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from ecsdeploy.cli.errors import EXIT_BAD_INPUT
from ecsdeploy.cli.shared import (
    DEFAULT_CONFIG,
    EnvOpt,
    ProfileOpt,
    RegionOpt,
    connect,
    fail,
    logs_target,
)
from ecsdeploy.output.console import err


def logs(
    names: Annotated[
        list[str],
        typer.Argument(
            help="[CONFIG] SERVICE: the spec (default ./ecsdeploy.yaml) and the service."
        ),
    ],
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Keep printing new lines.")
    ] = False,
    since: Annotated[str, typer.Option("--since", help="How far back: 90s, 10m, 2h, 1d.")] = "10m",
    text: Annotated[
        str | None, typer.Option("--filter", help="Only lines containing this text.")
    ] = None,
    env: EnvOpt = None,
    region: RegionOpt = None,
    profile: ProfileOpt = None,
) -> None:
    """Print a service's CloudWatch logs, oldest first, with time and task id.

    Example: ecsdeploy logs configs/example.yaml api --since 1h --filter ERROR -f
    """
    from ecsdeploy.ops.logs import parse_since, service_logs_of
    from ecsdeploy.output.logs_view import LogPrinter

    if not 1 <= len(names) <= 2:
        err.print("error: give the service, optionally after the spec: logs [CONFIG] SERVICE")
        raise typer.Exit(EXIT_BAD_INPUT)
    config = Path(names[0]) if len(names) == 2 else DEFAULT_CONFIG
    service = names[-1]
    try:
        window = parse_since(since)
        target = logs_target(config, service, env, region, profile)
        count = service_logs_of(connect(target), service, window, text, follow, LogPrinter())
    except KeyboardInterrupt:
        return  # --follow ends with Ctrl-C
    except ValueError as exc:
        err.print(f"error: --since: {escape(str(exc))}")
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except Exception as exc:
        fail(exc)
    if not follow and count == 0:
        matching = f" containing {text!r}" if text else ""
        err.print(
            f"No log lines of {escape(service)} in the last {escape(since)}{escape(matching)}."
        )
