"""``plan``: what ``up`` would change, and what it costs."""

from __future__ import annotations

from typing import Annotated

import typer

from ecsdeploy.cli.errors import EXIT_CHANGES, EXIT_FAILED
from ecsdeploy.cli.shared import (
    DEFAULT_CONFIG,
    ConfigArg,
    EnvOpt,
    Output,
    OutputOpt,
    ProfileOpt,
    RegionOpt,
    SetOpt,
    connect,
    fail,
    reach,
    show_overrides,
    target_of,
    title,
    warn_mutable_images,
)
from ecsdeploy.output import console as consoles
from ecsdeploy.output.console import escape, print_json


def plan(
    config: ConfigArg = DEFAULT_CONFIG,
    output: OutputOpt = Output.text,
    env: EnvOpt = None,
    detailed_exitcode: Annotated[
        bool,
        typer.Option(
            "--detailed-exitcode", help="Exit 0 when there is nothing to do, 2 when there is."
        ),
    ] = False,
    region: RegionOpt = None,
    profile: ProfileOpt = None,
    sets: SetOpt = None,
) -> None:
    """Show what `up` would change, and what it costs. Reads AWS; changes nothing.

    With --detailed-exitcode: 0 no changes, 2 changes (or a rollout not done), 1 errors
    (as `terraform plan`).

    Example: ecsdeploy plan configs/example.yaml --env prod
    """
    try:
        target = target_of(config, None, env, region, profile, sets or ())
        reach(target)  # the first read goes out while the rest is imported
        from ecsdeploy.ops.plan import plan_changes

        stages = connect(target)
        found = plan_changes(stages)
    except Exception as exc:
        fail(exc, EXIT_FAILED if detailed_exitcode else None)
    if not any(o.owned for o in found.plan.observed.values()):
        from ecsdeploy.cli.commands.ls import note_unknown_env

        note_unknown_env(stages)
    warn_mutable_images(found.image_refs)
    from ecsdeploy.output.cost_view import cost_json, show_cost

    the_plan, before, after = found.plan, found.cost_now, found.cost_after
    if output is Output.json:
        print_json(
            {**the_plan.to_json(), "cost": cost_json(before, after), "warnings": found.advice}
        )
    else:
        from ecsdeploy.output.plan_view import show_plan

        show_overrides(consoles.out, sets)
        show_plan(consoles.out, the_plan, f"Plan for {title(target)}")
        show_cost(consoles.out, before, after)
        for line in found.advice:
            consoles.out.print(f"[yellow]sizing:[/] {escape(line)}")
    if detailed_exitcode and not the_plan.settled:
        raise typer.Exit(EXIT_CHANGES)
