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
    from ecsdeploy.ops import init as scaffold
    from ecsdeploy.spec import load_spec
    from ecsdeploy.spec.naming import MAX_APP, name_problem

    try:
        target = file or directory / "ecsdeploy.yaml"
        if target.exists() and not force:
            raise Refused(f"{target} exists; pass --force to overwrite it")
        services = scaffold.find_services(directory)
        if not services:
            _bad(f"no Dockerfile under {directory}: each service needs a directory with one")
        app, region = _ask(
            scaffold.app_name(directory),
            os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or DEFAULT_REGION,
        )
        why = name_problem(app, MAX_APP)
        if why:
            _bad(f"app name '{app}' {why}")
        if not scaffold.valid_region(region):
            _bad(f"'{region}' is not an AWS region name, such as us-east-1")
        text = scaffold.render(app, region, services, target.parent, directory)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        load_spec(target)  # what init writes must validate; a failure here is a bug
    except typer.Exit:
        raise
    except Exception as exc:
        fail(exc)
    routes = scaffold.routes(services)
    for service in services:
        err.print(
            f"  {service.name}: {service.directory} port {service.port}, "
            f"health {service.health}, route {routes[service.name]}"
        )
    err.print(f"[green]Wrote[/] {target}. Check the guesses, then: ecsdeploy plan {target}")


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
