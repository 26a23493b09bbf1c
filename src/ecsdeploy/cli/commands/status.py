"""``status``: what the app runs now."""

from __future__ import annotations

from typing import Annotated

import typer

from ecsdeploy.cli.shared import (
    AppOpt,
    EnvOpt,
    OptionalConfigArg,
    Output,
    OutputOpt,
    ProfileOpt,
    RegionOpt,
    connect,
    fail,
    reach,
    target_of,
    title,
)
from ecsdeploy.output import console as consoles
from ecsdeploy.output.console import print_json


def status(
    config: OptionalConfigArg = None,
    app_name: AppOpt = None,
    env: EnvOpt = None,
    output: OutputOpt = Output.text,
    region: RegionOpt = None,
    profile: ProfileOpt = None,
    all_resources: Annotated[
        bool, typer.Option("--all", help="Also list every resource ecsdeploy made, by layer.")
    ] = False,
) -> None:
    """Show what the app runs now: its URL, each service's tasks, rollout and target
    health; with --all, every resource ecsdeploy made, by layer.

    Example: ecsdeploy status configs/example.yaml
    """
    try:
        target = target_of(config, app_name, env, region, profile)
        # the expiry, read last, goes out first: its round trip overlaps the imports
        reach(target, target.owner.expiry_parameter())
        from ecsdeploy.ops.status import layers, status

        stages = connect(target)
        found = status(stages)
    except Exception as exc:
        fail(exc)
    if not found.resources:
        from ecsdeploy.cli.commands.ls import note_unknown_env

        note_unknown_env(stages)
    from ecsdeploy.cli.commands.gc import expiry_line

    expires = expiry_line(stages)
    if output is Output.json:
        from ecsdeploy.output.status_view import status_json

        print_json(
            {**status_json(target.owner, target.region, found, layers()), "expires": expires[0]}
        )
        return
    from ecsdeploy.cli.hints import command_line
    from ecsdeploy.output.status_view import show_status

    every = command_line("status", "--all")
    show_status(
        consoles.out,
        title(target),
        found,
        layers(),
        resources=all_resources,
        list_all=every,
        promote=command_line("promote"),
        abort=command_line("abort"),
    )
    if expires[1]:
        consoles.out.print(expires[1])
