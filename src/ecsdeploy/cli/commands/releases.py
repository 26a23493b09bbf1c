"""``history``: the releases of an app; ``rollback``: back to an earlier release's task
definitions, watched like `up`'s rollouts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from ecsdeploy.cli import seams
from ecsdeploy.cli.commands.up import RolloutTimeoutOpt, duration
from ecsdeploy.cli.errors import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_REFUSED
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
    title,
)
from ecsdeploy.cli.state import STATE
from ecsdeploy.output.console import err, out, print_json

if TYPE_CHECKING:
    from ecsdeploy.ops.rollback import RollbackRun
    from ecsdeploy.output.progress import Display
    from ecsdeploy.reconcile.rollout import Watch
    from ecsdeploy.resources.releases import Release


def history(
    config: OptionalConfigArg = None,
    app_name: AppOpt = None,
    env: EnvOpt = None,
    output: OutputOpt = Output.text,
    region: RegionOpt = None,
    profile: ProfileOpt = None,
) -> None:
    """List the app's releases, newest first: each `up` that changed what a service runs,
    and each `rollback`, with when, who, the outcome and each service's revision.

    Example: ecsdeploy history configs/example.yaml
    """
    from ecsdeploy.ops.releases import history as read_history
    from ecsdeploy.output.releases_view import history_json, show_history

    try:
        target = target_of(config, app_name, env, region, profile)
        found = read_history(connect(target))
    except Exception as exc:
        fail(exc)
    if output is Output.json:
        print_json(history_json(target.owner, target.region, found))
        return
    show_history(out, title(target), found)


class _Screen:
    """How ``rollback`` shows what happens (``ops.rollback.RollbackView``), on stderr."""

    def __init__(self, display: Display, timeout: str) -> None:
        self.display = display
        self.timeout = timeout
        self.rollout = display.rollout
        self.expect_rollouts = display.expect_rollouts

    def phase(self, name: str) -> Any:
        return self.display.phase(name)

    def chosen(self, to: Release, current: Release) -> None:
        err.print(f"Rolling back from release {current.number} to release {to.number} ({to.at})")

    def waiting(self, watches: Sequence[Watch]) -> None:
        err.print(f"Waiting up to {self.timeout} for the rollout of {len(watches)} service(s)...")


def rollback(
    config: OptionalConfigArg = None,
    to: Annotated[
        int | None,
        typer.Option(
            "--to",
            min=1,
            help="The release to go back to (default: the last successful one before the "
            "current release).",
        ),
    ] = None,
    app_name: AppOpt = None,
    env: EnvOpt = None,
    wait: Annotated[
        bool,
        typer.Option("--wait/--no-wait", help="Wait for the services to roll out."),
    ] = True,
    timeout: RolloutTimeoutOpt = "15m",
    output: OutputOpt = Output.text,
    region: RegionOpt = None,
    profile: ProfileOpt = None,
) -> None:
    """Put every service back on the task-definition revisions of an earlier release, as a
    new release; wait for the rollouts and report them like `up`.

    Changes no infrastructure (only the services' task definitions). When the spec has
    changed since that release, the next `up` applies it again.

    Example: ecsdeploy rollback configs/example.yaml --to 12
    """
    from ecsdeploy.ops.rollback import NoRollbackTarget, RollbackOptions, RollbackRun
    from ecsdeploy.ops.rollback import rollback as run_rollback
    from ecsdeploy.output.progress import display

    run: RollbackRun | None = None
    try:
        target = target_of(config, app_name, env, region, profile)
        run = RollbackRun(target)
        stages = connect(target)
        screen = _Screen(display(err, STATE.verbose), timeout)
        options = RollbackOptions(to, wait, duration(timeout))
        run_rollback(stages, run, options, screen, lambda: seams.rollout_source(stages))
    except KeyboardInterrupt:
        if run is not None and run.updated:
            interrupted(
                "rollback",
                "The services were put back; ECS goes on rolling out; the release is not "
                "recorded. `ecsdeploy status` shows how far it got.",
            )
        interrupted("rollback", "Nothing was changed.")
    except NoRollbackTarget as exc:
        err.print(f"[bold red]error:[/] {escape(str(exc))}")
        raise typer.Exit(EXIT_BAD_INPUT if exc.bad_input else EXIT_REFUSED) from None
    except Exception as exc:
        fail(exc)
    assert run is not None
    _report(run)
    if output is Output.json:
        print_json(_json(run))
    if not run.ok:
        raise typer.Exit(EXIT_FAILED)


def _report(run: RollbackRun) -> None:
    from ecsdeploy.output.progress import show_outcomes
    from ecsdeploy.output.releases_view import show_recorded

    assert run.to is not None
    for name in run.missing:
        err.print(f"service {name} of release {run.to.number} no longer exists: skipped")
    if not run.updated:
        err.print(f"Every service already runs release {run.to.number}: nothing to do.")
    if run.not_waited:
        names = ", ".join(run.not_waited)
        err.print(f"Not waiting for the rollout of {names}; `ecsdeploy status` shows it.")
    show_outcomes(err, run.outcomes)
    if run.recorded is not None:
        show_recorded(err, run.recorded.release, run.recorded.warnings)
    if run.spec_changed:
        err.print(
            f"The spec has changed since release {run.to.number}: "
            "the next `ecsdeploy up` applies the spec again."
        )


def _json(run: RollbackRun) -> dict[str, Any]:
    from ecsdeploy.output.summary import rollouts_json

    release = run.recorded.release if run.recorded else None
    return {
        "app": run.target.owner.app,
        "env": run.target.owner.env,
        "region": run.target.region,
        "to": run.to.number if run.to else None,
        "release": release.to_json() if release else None,
        "updated": run.updated,
        "skipped": run.missing,
        "rollouts": rollouts_json(run.outcomes, run.not_waited),
        "spec_changed": run.spec_changed,
        "ok": run.ok,
    }
