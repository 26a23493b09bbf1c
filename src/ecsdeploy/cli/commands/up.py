"""``up``: build changed images, make AWS match the spec, wait for the rollouts; then a
summary (URLs, what changed, time per phase), and with ``--output json`` the same as data
on stdout."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ecsdeploy.cli import seams
from ecsdeploy.cli.errors import EXIT_FAILED
from ecsdeploy.cli.hints import command_line
from ecsdeploy.cli.shared import (
    DEFAULT_CONFIG,
    ConfigArg,
    EnvOpt,
    Output,
    OutputOpt,
    ParallelismOpt,
    ProfileOpt,
    RegionOpt,
    SetOpt,
    YesOpt,
    confirm,
    connect,
    fail,
    interrupted,
    reach,
    report_failures,
    show_overrides,
    target_of,
    title,
    warn_mutable_images,
)
from ecsdeploy.cli.state import STATE
from ecsdeploy.output import console as consoles
from ecsdeploy.output.console import escape, print_json

if TYPE_CHECKING:
    from rich.console import Console

    from ecsdeploy.images.refs import ImageRef
    from ecsdeploy.ops.stages import Stages
    from ecsdeploy.ops.target import Target
    from ecsdeploy.ops.up import Planned, UpRun
    from ecsdeploy.output.progress import Display
    from ecsdeploy.plan.model import Plan
    from ecsdeploy.plan.preflight import Check
    from ecsdeploy.reconcile.rollout import Watch


def duration(text: str) -> float:
    """Seconds in "90", "90s", "15m" or "1h"; ValueError for anything else."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*", text)
    if not match or float(match.group(1)) <= 0:
        raise ValueError(f"{text!r} is not a duration such as 15m, 900s or 1h")
    return float(match.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600}[match.group(2)]


def checked_duration(text: str) -> str:
    """Typer callback: a bad --timeout is a usage error (exit 2) before anything runs."""
    try:
        duration(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    return text


AllowDowntimeOpt = Annotated[
    bool,
    typer.Option(
        "--allow-downtime",
        help="Go ahead with replacements that interrupt traffic (marked downtime in "
        "the plan) without asking; --yes alone does not.",
    ),
]
RolloutTimeoutOpt = Annotated[
    str,
    typer.Option(
        "--timeout", help="Longest rollout wait, e.g. 15m, 900s, 1h.", callback=checked_duration
    ),
]


def checked_ttl(text: str | None) -> str | None:
    """Typer callback: a bad --ttl is a usage error (exit 2) before anything runs."""
    if text is None:  # as typer calls it without --ttl too: ops.gc is not imported then
        return None
    from ecsdeploy.ops.gc import parse_ttl

    try:
        parse_ttl(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    return text


TtlOpt = Annotated[
    str | None,
    typer.Option(
        "--ttl",
        help="Mark the env to expire after this long (3d, 12h, 90m; never: no longer); "
        "`ecsdeploy gc` removes expired envs.",
        callback=checked_ttl,
    ),
]


def _expire(stages: Stages, ttl: str) -> None:
    from ecsdeploy.ops.gc import mark_expiry

    expires = mark_expiry(stages, ttl)
    where = title(stages.target)
    consoles.err.print(f"{where} expires at {expires}" if expires else f"{where} no longer expires")


def _main(output: Output) -> Console:
    """Where up's plan, outcomes and summary go: stdout, unless it carries JSON."""
    return consoles.out if output is Output.text else consoles.err


class _Screen:
    """How ``up`` shows what happens (``ops.up.UpView``): the plan on ``main`` (stdout
    without --output json), progress on stderr, through the display."""

    def __init__(self, target: Target, display: Display, timeout: str, main: Console) -> None:
        self.target = target
        self.main = main
        self.display = display
        self.timeout = timeout
        self.build = display.build
        self.phase = display.phase
        self.step = display.step
        self.rollout = display.rollout
        self.expect_rollouts = display.expect_rollouts

    def checked(self, checks: Sequence[Check]) -> None:
        from ecsdeploy.output.preflight_view import show_checks

        show_checks(consoles.err, checks)

    def planned(self, planned: Planned) -> None:
        from ecsdeploy.output.cost_view import show_cost
        from ecsdeploy.output.plan_view import show_plan

        only = " (new images only)" if planned.images_only else ""
        show_plan(self.main, planned.plan, f"Plan for {title(self.target)}{only}")
        if planned.cost is not None:
            show_cost(self.main, *planned.cost)
        warn_mutable_images(planned.image_refs)
        for ref in planned.in_registry:
            consoles.err.print(
                f"image {ref.service}: {ref.tag} is already in {ref.registry}; no build"
            )

    def confirm(self, plan: Plan) -> None:
        confirm(f"{len(plan.destructive)} resource(s) will be deleted or replaced.")

    def confirm_downtime(self, plan: Plan) -> None:
        what = "; ".join(f"{s.name}: {s.downtime}" for s in plan.downtime)
        confirm(
            f"{len(plan.downtime)} replacement(s) interrupt traffic ({what}).",
            f"--allow-downtime (`{command_line('up', '--allow-downtime')}`)",
        )

    def building(self, refs: Sequence[ImageRef]) -> None:
        consoles.err.print(f"Building {len(refs)} image(s) before changing anything in AWS")

    def changed_meanwhile(self, plan: Plan | None) -> None:
        from ecsdeploy.output.plan_view import show_plan

        if plan is None:
            consoles.err.print("No changes left: another run made them meanwhile.")
        else:
            show_plan(self.main, plan, f"Plan for {title(self.target)}, changed meanwhile")

    def not_waiting(self, services: Sequence[str]) -> None:
        names = ", ".join(services)
        wait, status = escape(command_line("wait")), escape(command_line("status"))
        consoles.err.print(
            f"Not waiting for the rollout of {escape(names)}; `{wait}` waits for it, "
            f"`{status}` shows it."
        )

    def waiting(self, watches: Sequence[Watch]) -> None:
        consoles.err.print(
            f"Waiting up to {self.timeout} for the rollout of {len(watches)} service(s)..."
        )


def _summary(run: UpRun, console: Console) -> None:
    from ecsdeploy.output.summary import show_summary

    if run.plan is None or run.result is None:
        return
    state = "Done" if run.ok else "Interrupted" if run.result.interrupted else "Failed"
    show_summary(
        console,
        f"{state}: up of {title(run.target)}",
        run.log.records(run.plan, run.result),
        run.phases,
        run.urls,
        run.outcomes,
    )


def _json(run: UpRun) -> dict[str, Any]:
    from ecsdeploy.output.summary import rollouts_json, up_json
    from ecsdeploy.plan.model import Plan
    from ecsdeploy.reconcile.executor import Result

    plan = run.plan or Plan([])
    result = run.result or Result()
    release = run.recorded.release if run.recorded is not None else None
    data = up_json(
        {
            "app": run.target.owner.app,
            "env": run.target.owner.env,
            "region": run.target.region,
        },
        plan,
        run.log.records(plan, result),
        run.phases,
        run.urls,
        rollouts_json(run.outcomes, run.not_waited),
        run.ok,
        result.interrupted,
    )
    data["release"] = release.number if release is not None else None
    return data


def up(
    config: ConfigArg = DEFAULT_CONFIG,
    env: EnvOpt = None,
    yes: YesOpt = False,
    skip_verify: Annotated[
        bool, typer.Option("--skip-verify", help="Do not run the `verify` checks first.")
    ] = False,
    parallelism: ParallelismOpt = None,
    wait: Annotated[
        bool,
        typer.Option(
            "--wait/--no-wait",
            help="Wait for changed services to roll out (new tasks running and healthy).",
        ),
    ] = True,
    timeout: RolloutTimeoutOpt = "15m",
    output: OutputOpt = Output.text,
    region: RegionOpt = None,
    profile: ProfileOpt = None,
    sets: SetOpt = None,
    allow_downtime: AllowDowntimeOpt = False,
    ttl: TtlOpt = None,
    images_only: Annotated[
        bool,
        typer.Option(
            "--images-only",
            help="Ship the spec's new images only: a new task-definition revision and a "
            "rollout for each service whose image changed, reading and changing nothing "
            "else (no infrastructure, no drift repair, no `verify` checks). Faster, and "
            "needs ECS and SSM permissions only (ECR too for built images). Refuses, "
            "changing nothing, when the spec changed anything else since the last `up`.",
        ),
    ] = False,
) -> None:
    """Create or update everything the spec describes, in dependency order.

    Safe to re-run: an unchanged spec makes no changes. Deletes and replacements are
    shown first and need confirmation (or --yes); a replacement that interrupts traffic
    needs it even with --yes (or --allow-downtime). Progress is a live view on a terminal,
    timestamped lines otherwise; a summary ends it (URLs, changes, time per phase). With
    --output json that summary is also printed as JSON on stdout.

    Example: ecsdeploy up configs/example.yaml

    Example (CI): ecsdeploy up configs/example.yaml --yes --output json > deploy.json

    Example (CI, a new image only): ecsdeploy up configs/example.yaml --images-only --yes
    """
    run: UpRun | None = None
    try:
        deadline = duration(timeout)
        target = target_of(config, None, env, region, profile, sets or ())
        reach(target)  # the first read goes out while the rest is imported
        from ecsdeploy.ops.up import UpOptions, UpRun
        from ecsdeploy.ops.up import up as run_up
        from ecsdeploy.output.progress import display

        run = UpRun(target)
        screen = _Screen(target, display(consoles.err, STATE.verbose), timeout, _main(output))
        show_overrides(_main(output), sets)
        options = UpOptions(
            yes, skip_verify, parallelism, wait, deadline, allow_downtime, images_only
        )
        stages = connect(target, options.kinds())
        if ttl is not None:  # a preview env: `ecsdeploy gc` removes it once expired
            _expire(stages, ttl)
        run_up(
            stages,
            run,
            options,
            screen,
            lambda: seams.preflight(target, stages),
            lambda: seams.rollout_source(stages),
        )
    except KeyboardInterrupt:
        if run is not None and run.result is not None:  # apply done: interrupted rollout wait
            _end(run, output)
            interrupted(
                "up",
                "The infrastructure is in place and ECS goes on rolling out; "
                f"`{command_line('status')}` shows how far it got.",
            )
        interrupted("up", "Nothing was changed in AWS yet.")
    except Exception as exc:
        fail(exc)
    assert run is not None
    if run.checks_failed:
        consoles.err.print(
            "[bold red]error:[/] checks failed (above); nothing was changed. "
            "Fix them, or pass --skip-verify to deploy anyway."
        )
        raise typer.Exit(EXIT_FAILED)
    if run.result is None:  # no changes; perhaps an earlier rollout waited for
        from ecsdeploy.output.progress import show_outcomes

        show_outcomes(_main(output), run.outcomes)
        if output is Output.json:
            print_json(_json(run))
        if not run.ok:
            consoles.err.print(f"Fix the service and run `{escape(command_line('up'))}` again.")
            raise typer.Exit(EXIT_FAILED)
        return
    _end(run, output)
    if run.result.interrupted:
        interrupted("up")
    if not run.ok:
        if run.result.ok:
            consoles.err.print(
                "The infrastructure is in place; fix the service and run "
                f"`{escape(command_line('up'))}` again."
            )
        raise typer.Exit(EXIT_FAILED)


def _end(run: UpRun, output: Output, extra: dict[str, Any] | None = None) -> None:
    from ecsdeploy.output.progress import show_outcomes
    from ecsdeploy.resources.service_deployments import PAUSED_NOTE

    assert run.result is not None
    report_failures(run.result, "up")
    show_outcomes(_main(output), run.outcomes)
    _summary(run, _main(output))
    if run.recorded is not None:
        from ecsdeploy.output.releases_view import show_recorded

        show_recorded(consoles.err, run.recorded.release, run.recorded.warnings)
    if any(o.ok and o.note.startswith(PAUSED_NOTE) for o in run.outcomes):
        promote, abort = escape(command_line("promote")), escape(command_line("abort"))
        consoles.err.print(f"`{promote}` sends it production traffic; `{abort}` rolls it back.")
    if output is Output.json:
        print_json({**_json(run), **(extra or {})})
