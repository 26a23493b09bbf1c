"""``up``: build changed images, make AWS match the spec, wait for the rollouts."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

import typer

from ecsdeploy.cli import seams
from ecsdeploy.cli.errors import EXIT_FAILED
from ecsdeploy.cli.shared import (
    DEFAULT_CONFIG,
    STATE,
    ConfigArg,
    EnvOpt,
    ParallelismOpt,
    ProfileOpt,
    RegionOpt,
    YesOpt,
    confirm,
    connect,
    fail,
    finish,
    interrupted,
    target_of,
    title,
    warn_mutable_images,
)
from ecsdeploy.output.console import err

if TYPE_CHECKING:
    from ecsdeploy.operations import Deployment
    from ecsdeploy.plan.model import Plan


def duration(text: str) -> float:
    """Seconds in "90", "90s", "15m" or "1h"."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*", text)
    if not match or float(match.group(1)) <= 0:
        from ecsdeploy.spec.errors import Problem, SpecError

        raise SpecError([Problem("", f"--timeout {text!r} is not a duration such as 15m or 900s")])
    return float(match.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600}[match.group(2)]


def _build(
    deployment: Deployment, plan: Plan, printer: Callable[[str, str], None], done: list[str]
) -> list[str]:
    """Build the images ``plan`` must push that are not in ``done`` (service names)."""
    builds = [r for r in deployment.image_steps(plan, build=True) if r.service not in done]
    if builds:
        err.print(f"Building {len(builds)} image(s) before changing anything in AWS")
        deployment.build_images(builds, printer)
    return done + [r.service for r in builds]


def up(
    config: ConfigArg = DEFAULT_CONFIG,
    env: EnvOpt = None,
    yes: YesOpt = False,
    skip_verify: Annotated[
        bool, typer.Option("--skip-verify", help="Do not run the `verify` checks first.")
    ] = False,
    parallelism: ParallelismOpt = 8,
    wait: Annotated[
        bool,
        typer.Option(
            "--wait/--no-wait",
            help="Wait for changed services to roll out (new tasks running and healthy).",
        ),
    ] = True,
    timeout: Annotated[
        str, typer.Option("--timeout", help="Longest rollout wait, e.g. 15m, 900s, 1h.")
    ] = "15m",
    region: RegionOpt = None,
    profile: ProfileOpt = None,
) -> None:
    """Create or update everything the spec describes, in dependency order.

    Safe to re-run: an unchanged spec makes no changes. Deletes and replacements are
    shown first and need confirmation (or --yes).

    Example: ecsdeploy up configs/example.yaml
    """
    from ecsdeploy.output.cost_view import show_cost
    from ecsdeploy.output.plan_view import show_plan
    from ecsdeploy.output.progress import (
        BuildPrinter,
        ProgressPrinter,
        RolloutPrinter,
        show_outcomes,
    )
    from ecsdeploy.reconcile.lock import Lock

    try:
        deadline = duration(timeout)
        target = target_of(config, None, env, region, profile)
        deployment = connect(target)
        if not skip_verify:
            from ecsdeploy.output.preflight_view import show_checks

            if not show_checks(err, seams.preflight(target, deployment)):
                err.print(
                    "[bold red]error:[/] checks failed (above); nothing was changed. "
                    "Fix them, or pass --skip-verify to deploy anyway."
                )
                raise typer.Exit(EXIT_FAILED)
        the_plan = deployment.plan_up()
        show_plan(err, the_plan, f"Plan for {title(target)}")
        if not the_plan.empty:
            show_cost(err, deployment.cost_now(the_plan), deployment.cost_after())
        warn_mutable_images(deployment)
        for ref in deployment.image_steps(the_plan, build=False):
            err.print(f"image {ref.service}: {ref.tag} is already in {ref.registry}; no build")
        if the_plan.empty:
            return
        if the_plan.destructive and not yes:
            confirm(f"{len(the_plan.destructive)} resource(s) will be deleted or replaced.")
        printer = BuildPrinter(err, STATE.verbose)
        built = _build(deployment, the_plan, printer, [])
        # Only a run that changes something takes the lock (an unchanged `up` stays free
        # of writes); the plan is made again under the lock, in case another run changed
        # things meanwhile.
        with Lock(deployment.aws, target.owner, "up"):
            first, the_plan = the_plan, deployment.plan_up()
            if the_plan.empty:
                err.print("No changes left: another run made them meanwhile.")
                return
            if len(the_plan.destructive) > len(first.destructive) and not yes:
                show_plan(err, the_plan, f"Plan for {title(target)}, changed meanwhile")
                confirm(f"{len(the_plan.destructive)} resource(s) will be deleted or replaced.")
            _build(deployment, the_plan, printer, built)
            result = deployment.apply(the_plan, ProgressPrinter(err), parallelism=parallelism)
        finish(result, "up")
        for url in deployment.urls(result.resources):
            err.print(f"[bold]URL:[/] {url}")
        watches = deployment.rollout_watches(result)
        if not watches:
            return
        if not wait:
            names = ", ".join(w.service for w in watches)
            err.print(f"Not waiting for the rollout of {names}; `ecsdeploy status` shows it.")
            return
        err.print(f"Waiting up to {timeout} for the rollout of {len(watches)} service(s)...")
        outcomes = deployment.wait_for_rollouts(
            watches, deadline, RolloutPrinter(err), seams.rollout_source(deployment)
        )
    except KeyboardInterrupt:
        interrupted("up")
    except typer.Exit:
        raise
    except Exception as exc:
        fail(exc)
    if not show_outcomes(err, outcomes):
        err.print("The infrastructure is in place; fix the service and run `ecsdeploy up` again.")
        raise typer.Exit(EXIT_FAILED)
