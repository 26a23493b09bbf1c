"""A release paused before production traffic (a service with ``deploy:
{pause_before_traffic: true}``) goes on to production traffic (``promote`` without
``--from``, see ``cli.commands.promote``) or back (``abort``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.markup import escape

from ecsdeploy.cli.commands.up import RolloutTimeoutOpt, duration
from ecsdeploy.cli.errors import EXIT_FAILED, EXIT_REFUSED
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
    interrupted,
    target_of,
)
from ecsdeploy.output.console import err, print_json

if TYPE_CHECKING:
    from ecsdeploy.ops.paused import PausedRun


def abort(
    config: OptionalConfigArg = None,
    app_name: AppOpt = None,
    env: EnvOpt = None,
    timeout: RolloutTimeoutOpt = "15m",
    output: OutputOpt = Output.text,
    region: RegionOpt = None,
    profile: ProfileOpt = None,
) -> None:
    """Roll back a release paused before production traffic: the new revision stops, the
    old one keeps every request.

    Example: ecsdeploy abort configs/example.yaml
    """
    settle_paused("abort", config, app_name, env, timeout, output, region, profile)


def settle_paused(
    action: str,
    config: Path | None,
    app_name: str | None,
    env: str | None,
    timeout: str,
    output: Output,
    region: str | None,
    profile: str | None,
) -> None:
    """``promote`` (continue) or ``abort`` (roll back) the paused release."""
    from ecsdeploy.ops import paused

    run: PausedRun | None = None
    try:
        target = target_of(config, app_name, env, region, profile)
        stages = connect(target)
        act = paused.promote if action == "promote" else paused.abort
        err.print(f"{action.capitalize()}: waiting up to {timeout} for ECS to finish...")
        run = act(stages, duration(timeout))
    except KeyboardInterrupt:
        interrupted(action, "ECS goes on with what was asked; `ecsdeploy status` shows it.")
    except paused.NothingPaused as exc:
        err.print(f"[bold red]error:[/] {escape(str(exc))}")
        raise typer.Exit(EXIT_REFUSED) from None
    except Exception as exc:
        fail(exc)
    assert run is not None
    _report(run)
    if output is Output.json:
        print_json(_json(run))
    if not run.ok:
        raise typer.Exit(EXIT_FAILED)


def _report(run: PausedRun) -> None:
    from ecsdeploy.output.progress import show_outcomes
    from ecsdeploy.output.releases_view import show_recorded

    show_outcomes(err, run.outcomes)
    if run.release is not None or run.warnings:
        show_recorded(err, run.release, run.warnings)


def _json(run: PausedRun) -> dict[str, Any]:
    from ecsdeploy.output.summary import rollouts_json

    return {
        "app": run.target.owner.app,
        "env": run.target.owner.env,
        "region": run.target.region,
        "action": run.action,
        "services": run.services,
        "release": run.release.to_json() if run.release else None,
        "rollouts": rollouts_json(run.outcomes, []),
        "warnings": run.warnings,
        "ok": run.ok,
    }
