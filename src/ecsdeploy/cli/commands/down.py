"""``down`` and ``unlock``: remove what ecsdeploy made, or the lock of a killed run."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from ecsdeploy.cli.errors import EXIT_FAILED
from ecsdeploy.cli.shared import (
    AppOpt,
    EnvOpt,
    OptionalConfigArg,
    ParallelismOpt,
    ProfileOpt,
    RegionOpt,
    YesOpt,
    confirm,
    connect,
    fail,
    interrupted,
    report_failures,
    target_of,
    title,
)
from ecsdeploy.cli.state import STATE
from ecsdeploy.output.console import err, out

if TYPE_CHECKING:
    from ecsdeploy.ops.target import Target
    from ecsdeploy.output.progress import Display
    from ecsdeploy.plan.model import Plan, Step


class _Screen:
    """How ``down`` shows what happens (``ops.down.DownView``): the plan on stdout,
    progress on stderr."""

    def __init__(self, target: Target, display: Display) -> None:
        self.target = target
        self.phase = display.phase
        self.step = display.step

    def keeping(self, step: Step, note: str) -> None:
        err.print(note.format(name=step.name))

    def planned(self, plan: Plan) -> None:
        from ecsdeploy.output.plan_view import show_plan

        show_plan(out, plan, f"Delete {title(self.target)}")

    def confirm(self, plan: Plan) -> None:
        confirm(f"Delete all {len(plan.changes)} resources of {title(self.target)}?")


def down(
    config: OptionalConfigArg = None,
    app_name: AppOpt = None,
    env: EnvOpt = None,
    yes: YesOpt = False,
    parallelism: ParallelismOpt = None,
    keep_logs: Annotated[
        bool, typer.Option("--keep-logs", help="Keep the services' CloudWatch log groups.")
    ] = False,
    purge_data: Annotated[
        bool,
        typer.Option(
            "--purge-data", help="Also delete the artifacts bucket and what it holds (models)."
        ),
    ] = False,
    disable_deletion_protection: Annotated[
        bool,
        typer.Option(
            "--disable-deletion-protection",
            help="Turn the load balancer's deletion protection off, then delete it.",
        ),
    ] = False,
    region: RegionOpt = None,
    profile: ProfileOpt = None,
) -> None:
    """Delete everything ecsdeploy made for the app and env, in reverse order.

    Finds resources by their ecsdeploy tags, so it works from any machine and after a
    failed or interrupted `up`. Waits (bounded) where AWS needs time, e.g. while network
    interfaces of deleted NAT gateways linger.

    Example: ecsdeploy down configs/example.yaml --yes
    """
    from ecsdeploy.ops.down import DownOptions, DownRun
    from ecsdeploy.ops.down import down as run_down
    from ecsdeploy.output.progress import display
    from ecsdeploy.output.summary import show_summary

    options = DownOptions(yes, parallelism, keep_logs, purge_data, disable_deletion_protection)
    try:
        target = target_of(config, app_name, env, region, profile)
        screen = _Screen(target, display(err, STATE.verbose))
        stages = connect(target)
        run = run_down(stages, DownRun(target), options, screen)
    except KeyboardInterrupt:
        interrupted("down", "Nothing was deleted yet.")
    except Exception as exc:
        fail(exc)
    result, the_plan = run.result, run.plan
    if result is None or the_plan is None:
        from ecsdeploy.cli.commands.ls import note_unknown_env

        out.print(f"Nothing to delete: no resources tagged for {title(target)}.")
        note_unknown_env(stages)
        return
    report_failures(result, "down")
    state = "Done" if result.ok else "Interrupted" if result.interrupted else "Failed"
    show_summary(
        out, f"{state}: down of {title(target)}", run.log.records(the_plan, result), run.phases
    )
    if result.interrupted:
        interrupted("down")
    if not result.ok:
        raise typer.Exit(EXIT_FAILED)


def unlock(
    config: OptionalConfigArg = None,
    app_name: AppOpt = None,
    env: EnvOpt = None,
    region: RegionOpt = None,
    profile: ProfileOpt = None,
) -> None:
    """Remove the lock of an `up` or `down` that was killed (it also frees itself after
    10 minutes without a refresh). Only use it when no other run is going on.

    Example: ecsdeploy unlock configs/example.yaml
    """
    from ecsdeploy.ops.down import unlock as remove_lock

    try:
        target = target_of(config, app_name, env, region, profile)
        held = remove_lock(connect(target))
    except Exception as exc:
        fail(exc)
    if held is None:
        err.print(f"No lock on {title(target)}.")
    else:
        err.print(f"Removed the lock of {title(target)}, held by {held.who} since {held.since}.")
