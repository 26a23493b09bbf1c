"""``init``: write a commented ``ecsdeploy.yaml`` from the Dockerfiles under a directory."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.markup import escape

from ecsdeploy.cli.errors import EXIT_BAD_INPUT, Refused
from ecsdeploy.cli.shared import fail
from ecsdeploy.output.console import err, stdin_is_interactive

DEFAULT_REGION = "us-east-1"


def init(
    directory: Annotated[
        Path,
        typer.Argument(
            help="Where to look for Dockerfiles (and write the spec).",
            exists=True,
            file_okay=False,
        ),
    ] = Path("."),
    file: Annotated[
        Path | None,
        typer.Option("--file", "-f", help="Spec to write (default DIRECTORY/ecsdeploy.yaml)."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing spec.")] = False,
) -> None:
    """Write a commented ecsdeploy.yaml from the Dockerfiles found.

    One service per directory under DIRECTORY with a Dockerfile: its port from EXPOSE, a
    health path and a route, each guess commented. On a terminal it asks for the app name
    and region (Enter keeps the default); otherwise it asks nothing. It never overwrites a
    spec without --force.

    Example: ecsdeploy init examples && ecsdeploy plan examples/ecsdeploy.yaml
    """
    from ecsdeploy.ops.init import BadInput, SpecExists, write_spec

    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or DEFAULT_REGION
    try:
        written = write_spec(directory, file, force, region, _ask)
    except SpecExists as exc:
        fail(Refused(str(exc)))
    except BadInput as exc:
        _bad(str(exc))
    except Exception as exc:
        fail(exc)
    for service in written.services:
        if service.port is None:
            err.print(f"  {service.name}: {service.directory} a worker (no EXPOSE: no port)")
            continue
        err.print(
            f"  {service.name}: {service.directory} port {service.port}, "
            f"health {service.health}, route {written.routes[service.name]}"
        )
    path = written.path
    err.print(f"[green]Wrote[/] {path}. Check the guesses, then: ecsdeploy plan {path}")


def _bad(message: str) -> NoReturn:
    err.print(f"[bold red]error:[/] {escape(message)}")
    raise typer.Exit(EXIT_BAD_INPUT)


def _ask(app: str, region: str) -> tuple[str, str]:
    """The app name and region: asked on a terminal, the defaults otherwise."""
    if not stdin_is_interactive():
        return app, region
    app = typer.prompt("App name", default=app, err=True).strip()
    region = typer.prompt("AWS region", default=region, err=True).strip()
    return app, region
