"""``promote``: with ``--from ENV --to ENV``, deploy to one environment the images another
runs now (no build), shown and reported as ``up`` shows and reports a deploy; without,
continue a release paused before production traffic (``cli.commands.paused``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from ecsdeploy.cli import seams
from ecsdeploy.cli.commands.paused import settle_paused
from ecsdeploy.cli.commands.up import (
    AllowDowntimeOpt,
    RolloutTimeoutOpt,
    _end,
    _json,
    _main,
    _Screen,
    duration,
)
from ecsdeploy.cli.errors import EXIT_FAILED
from ecsdeploy.cli.shared import (
    DEFAULT_CONFIG,
    AppOpt,
    EnvOpt,
    OptionalConfigArg,
    Output,
    OutputOpt,
    ParallelismOpt,
    ProfileOpt,
    RegionOpt,
    YesOpt,
    connect,
    fail,
    interrupted,
    target_of,
    title,
)
from ecsdeploy.cli.state import STATE
from ecsdeploy.output.console import err, print_json

if TYPE_CHECKING:
    from ecsdeploy.ops.promote import Source


def promote(
    config: OptionalConfigArg = None,
    from_env: Annotated[
        str | None,
        typer.Option("--from", help="The environment whose running images to deploy."),
    ] = None,
    to_env: Annotated[
        str | None, typer.Option("--to", help="The environment to deploy them to.")
    ] = None,
    app_name: AppOpt = None,
    env: EnvOpt = None,
    yes: YesOpt = False,
    allow_downtime: AllowDowntimeOpt = False,
    parallelism: ParallelismOpt = None,
    wait: Annotated[
        bool,
        typer.Option("--wait/--no-wait", help="Wait for changed services to roll out."),
    ] = True,
    timeout: RolloutTimeoutOpt = "15m",
    output: OutputOpt = Output.text,
    region: RegionOpt = None,
    profile: ProfileOpt = None,
) -> None:
    """Deploy to --to exactly the image digests --from runs now (no build); without
    --from, continue a release paused before production traffic.

    With --from/--to, the target is reconciled from the same spec as `up` would (its
    infrastructure, its settings), with each service's image pinned to the digest the
    source runs; the release is recorded in the target's history with the source env and
    release number. Without them, ECS shifts production traffic of the paused release
    (`deploy: {pause_before_traffic: true}`) to the new revision, at once or in the
    canary's or linear steps, and stops the old one.

    Example: ecsdeploy promote --from dev --to prod configs/example.yaml --yes

    Example: ecsdeploy promote configs/example.yaml (the paused release)
    """
    if from_env is None and to_env is None:
        settle_paused("promote", config, app_name, env, timeout, output, region, profile)
        return
    if not from_env or not to_env:
        err.print("[bold red]error:[/] promote needs both --from ENV and --to ENV")
        raise typer.Exit(2)
    _promote_env(
        config or DEFAULT_CONFIG,
        from_env,
        to_env,
        timeout,
        output,
        region,
        profile,
        (yes, allow_downtime, parallelism, wait),
    )


def _promote_env(
    config: Path,
    from_env: str,
    to_env: str,
    timeout: str,
    output: Output,
    region: str | None,
    profile: str | None,
    choices: tuple[bool, bool, int | None, bool],  # yes, allow_downtime, parallelism, wait
) -> None:
    from ecsdeploy.ops.promote import promote as run_promote
    from ecsdeploy.ops.target import with_env
    from ecsdeploy.ops.up import UpOptions, UpRun
    from ecsdeploy.output.progress import display

    yes, allow_downtime, parallelism, wait = choices
    run: UpRun | None = None
    try:
        deadline = duration(timeout)
        target = target_of(config, None, to_env, region, profile)
        assert target.spec is not None
        source_target = target_of(config, None, from_env, region, profile)
        source_target.spec = with_env(target.spec, from_env, config)
        STATE.env = to_env  # hints name the target
        run = UpRun(target)
        screen = _Screen(target, display(err, STATE.verbose), timeout, _main(output))
        stages = connect(target)
        promotion = run_promote(
            connect(source_target),
            stages,
            run,
            UpOptions(yes, False, parallelism, wait, deadline, allow_downtime),
            screen,
            lambda: seams.preflight(target, stages),
            lambda: seams.rollout_source(stages),
            lambda found: _promoting(found, title(target)),
        )
    except KeyboardInterrupt:
        interrupted("promote", "Nothing was changed in AWS yet." if run is None else "")
    except Exception as exc:
        fail(exc)
    source = promotion.source
    if run.checks_failed:
        err.print("[bold red]error:[/] checks failed (above); nothing was changed.")
        raise typer.Exit(EXIT_FAILED)
    if run.result is None:
        if output is Output.json:
            print_json({**_json(run), "promoted_from": source.label})
        if not run.ok:
            raise typer.Exit(EXIT_FAILED)
        return
    _end(run, output, {"promoted_from": source.label})
    if run.result.interrupted:
        interrupted("promote")
    if not run.ok:
        raise typer.Exit(EXIT_FAILED)


def _promoting(source: Source, to: str) -> None:
    for warning in source.warnings:
        err.print(f"[yellow]warning:[/] {escape(warning)}")
    err.print(f"Promoting {escape(source.label)} to {escape(to)}:")
    for name, image in sorted(source.images.items()):
        err.print(f"  {escape(name)}: {escape(image)}")
