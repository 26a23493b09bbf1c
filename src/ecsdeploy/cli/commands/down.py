"""``down`` and ``unlock``: remove what ecsdeploy made, or the lock of a killed run."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from ecsdeploy.cli.errors import EXIT_FAILED
from ecsdeploy.cli.shared import (
    STATE,
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
from ecsdeploy.output.console import err

if TYPE_CHECKING:
    from ecsdeploy.reconcile.executor import Event


def down(
    config: OptionalConfigArg = None,
    app_name: AppOpt = None,
    env: EnvOpt = None,
    yes: YesOpt = False,
    parallelism: ParallelismOpt = 8,
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
    from ecsdeploy.output.plan_view import show_plan
    from ecsdeploy.output.progress import display
    from ecsdeploy.output.summary import show_summary
    from ecsdeploy.plan.planner import set_aside_kept
    from ecsdeploy.reconcile.lock import Lock
    from ecsdeploy.reconcile.report import Phases, StepLog

    phases, log = Phases(), StepLog()
    try:
        target = target_of(config, app_name, env, region, profile)
        deployment = connect(target)
        with phases.measure("plan"):
            the_plan = deployment.plan_down(disable_deletion_protection)
        flags = {"--keep-logs"} if keep_logs else set()
        flags |= {"--purge-data"} if purge_data else set()
        for step, why in set_aside_kept(the_plan, flags):
            if why.note:
                err.print(why.note.format(name=step.name))
        if the_plan.empty:
            err.print(f"Nothing to delete: no resources tagged for {title(target)}.")
            return
        show_plan(err, the_plan, f"Delete {title(target)}")
        if not yes:
            confirm(f"Delete all {len(the_plan.changes)} resources of {title(target)}?")
        shown = display(err, STATE.verbose)

        def listener(event: Event) -> None:
            log(event)
            shown.step(event)

        with (
            Lock(deployment.aws, target.owner, "down"),
            phases.measure("infrastructure"),
            shown.phase("infrastructure", the_plan),
        ):
            result = deployment.apply(the_plan, listener, parallelism=parallelism)
    except KeyboardInterrupt:
        interrupted("down", "Nothing was deleted yet.")
    except Exception as exc:
        fail(exc)
    report_failures(result, "down")
    state = "Done" if result.ok else "Interrupted" if result.interrupted else "Failed"
    show_summary(err, f"{state}: down of {title(target)}", log.records(the_plan, result), phases)
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
    from ecsdeploy.reconcile.lock import unlock as remove_lock

    try:
        target = target_of(config, app_name, env, region, profile)
        held = remove_lock(connect(target).aws, target.owner)
    except Exception as exc:
        fail(exc)
    if held is None:
        err.print(f"No lock on {title(target)}.")
    else:
        err.print(f"Removed the lock of {title(target)}, held by {held.who} since {held.since}.")
