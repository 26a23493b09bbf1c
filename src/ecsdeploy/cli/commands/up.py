"""``up``: build changed images, make AWS match the spec, wait for the rollouts; then a
summary (URLs, what changed, time per phase), and with ``--output json`` the same as data
on stdout."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ecsdeploy.cli import seams
from ecsdeploy.cli.errors import EXIT_FAILED
from ecsdeploy.cli.shared import (
    DEFAULT_CONFIG,
    STATE,
    ConfigArg,
    EnvOpt,
    Output,
    OutputOpt,
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
    warn_mutable_images,
)
from ecsdeploy.output.console import err, print_json

if TYPE_CHECKING:
    from ecsdeploy.operations import Deployment, Target
    from ecsdeploy.output.progress import Display
    from ecsdeploy.plan.model import Plan
    from ecsdeploy.plan.preflight import Check
    from ecsdeploy.reconcile.executor import Event, Result
    from ecsdeploy.reconcile.report import Phases, StepLog
    from ecsdeploy.reconcile.rollout import Outcome


def duration(text: str) -> float:
    """Seconds in "90", "90s", "15m" or "1h"; ValueError for anything else."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*", text)
    if not match or float(match.group(1)) <= 0:
        raise ValueError(f"{text!r} is not a duration such as 15m, 900s or 1h")
    return float(match.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600}[match.group(2)]


def _checked_duration(text: str) -> str:
    """Typer callback: a bad --timeout is a usage error (exit 2) before anything runs."""
    try:
        duration(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    return text


@dataclass
class Run:
    """One ``up``: what it measured and found, for the summary and the JSON."""

    target: Target
    display: Display
    phases: Phases
    log: StepLog
    plan: Plan | None = None
    result: Result | None = None
    urls: list[str] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)
    not_waited: list[str] = field(default_factory=list)

    def listener(self, event: Event) -> None:
        self.log(event)
        self.display.step(event)

    def build(self, deployment: Deployment, done: list[str]) -> list[str]:
        """Build the images the plan must push that are not in ``done`` (service names)."""
        assert self.plan is not None
        builds = [r for r in deployment.image_steps(self.plan, build=True) if r.service not in done]
        if builds:
            err.print(f"Building {len(builds)} image(s) before changing anything in AWS")
            with self.phases.measure("build"), self.display.phase("build"):
                deployment.build_images(builds, self.display.build)
        return done + [r.service for r in builds]

    @property
    def ok(self) -> bool:
        done = self.result is None or self.result.ok
        return done and all(o.ok for o in self.outcomes)

    def summary(self) -> None:
        from ecsdeploy.output.summary import show_summary

        if self.plan is None or self.result is None:
            return
        state = "Done" if self.ok else "Interrupted" if self.result.interrupted else "Failed"
        show_summary(
            err,
            f"{state}: up of {title(self.target)}",
            self.log.records(self.plan, self.result),
            self.phases,
            self.urls,
            self.outcomes,
        )

    def json(self) -> dict[str, Any]:
        from ecsdeploy.output.summary import rollouts_json, up_json
        from ecsdeploy.plan.model import Plan
        from ecsdeploy.reconcile.executor import Result

        plan = self.plan or Plan([])
        result = self.result or Result()
        return up_json(
            {
                "app": self.target.owner.app,
                "env": self.target.owner.env,
                "region": self.target.region,
            },
            plan,
            self.log.records(plan, result),
            self.phases,
            self.urls,
            rollouts_json(self.outcomes, self.not_waited),
            self.ok,
            result.interrupted,
        )


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
        str,
        typer.Option(
            "--timeout",
            help="Longest rollout wait, e.g. 15m, 900s, 1h.",
            callback=_checked_duration,
        ),
    ] = "15m",
    output: OutputOpt = Output.text,
    region: RegionOpt = None,
    profile: ProfileOpt = None,
) -> None:
    """Create or update everything the spec describes, in dependency order.

    Safe to re-run: an unchanged spec makes no changes. Deletes and replacements are
    shown first and need confirmation (or --yes). Progress is a live view on a terminal,
    timestamped lines otherwise; a summary ends it (URLs, changes, time per phase). With
    --output json that summary is also printed as JSON on stdout.

    Example: ecsdeploy up configs/example.yaml

    Example (CI): ecsdeploy up configs/example.yaml --yes --output json > deploy.json
    """
    from ecsdeploy.output.progress import display
    from ecsdeploy.reconcile.report import Phases, StepLog

    run: Run | None = None
    try:
        deadline = duration(timeout)
        target = target_of(config, None, env, region, profile)
        run = Run(target, display(err, STATE.verbose), Phases(), StepLog())
        _up(run, connect(target), yes, skip_verify, parallelism, wait, deadline, timeout)
    except KeyboardInterrupt:
        if run is not None and run.result is not None:  # apply done: interrupted rollout wait
            _end(run, output)
            interrupted(
                "up",
                "The infrastructure is in place and ECS goes on rolling out; "
                "`ecsdeploy status` shows how far it got.",
            )
        interrupted("up", "Nothing was changed in AWS yet.")
    except typer.Exit:
        raise
    except Exception as exc:
        fail(exc)
    assert run is not None
    if run.result is None:  # no changes
        if output is Output.json:
            print_json(run.json())
        return
    _end(run, output)
    if run.result.interrupted:
        interrupted("up")
    if not run.ok:
        if run.result.ok:
            err.print(
                "The infrastructure is in place; fix the service and run `ecsdeploy up` again."
            )
        raise typer.Exit(EXIT_FAILED)


def _end(run: Run, output: Output) -> None:
    from ecsdeploy.output.progress import show_outcomes

    assert run.result is not None
    report_failures(run.result, "up")
    show_outcomes(err, run.outcomes)
    run.summary()
    if output is Output.json:
        print_json(run.json())


def _verify_and_plan(run: Run, deployment: Deployment, skip_verify: bool) -> Plan:
    """The `verify` checks and the plan, made side by side (both only read); the checks
    are shown first, and when one fails the plan is dropped."""
    from concurrent.futures import ThreadPoolExecutor

    from ecsdeploy.output.preflight_view import show_checks

    if skip_verify:
        with run.phases.measure("plan"):
            return deployment.plan_up()

    def verify() -> list[Check]:
        with run.phases.measure("verify"):
            return seams.preflight(run.target, deployment)

    with ThreadPoolExecutor(max_workers=1) as pool:
        checks = pool.submit(verify)
        with run.phases.measure("plan"):
            try:
                plan, error = deployment.plan_up(), None
            except Exception as exc:  # shown after the checks, which may explain it
                plan, error = None, exc
        found = checks.result()
    if not show_checks(err, found):
        err.print(
            "[bold red]error:[/] checks failed (above); nothing was changed. "
            "Fix them, or pass --skip-verify to deploy anyway."
        )
        raise typer.Exit(EXIT_FAILED)
    if error is not None:
        raise error
    assert plan is not None
    return plan


def _up(
    run: Run,
    deployment: Deployment,
    yes: bool,
    skip_verify: bool,
    parallelism: int,
    wait: bool,
    deadline: float,
    timeout: str,
) -> None:
    """Everything up does, in order; fills ``run`` as it goes."""
    from ecsdeploy.output.cost_view import show_cost
    from ecsdeploy.output.plan_view import show_plan
    from ecsdeploy.reconcile.lock import Lock

    target, phases = run.target, run.phases
    run.plan = _verify_and_plan(run, deployment, skip_verify)
    show_plan(err, run.plan, f"Plan for {title(target)}")
    if not run.plan.empty:
        show_cost(err, deployment.cost_now(run.plan), deployment.cost_after())
    warn_mutable_images(deployment)
    for ref in deployment.image_steps(run.plan, build=False):
        err.print(f"image {ref.service}: {ref.tag} is already in {ref.registry}; no build")
    if run.plan.empty:
        return
    if run.plan.destructive and not yes:
        confirm(f"{len(run.plan.destructive)} resource(s) will be deleted or replaced.")
    built = run.build(deployment, [])
    # Only a run that changes something takes the lock (an unchanged `up` stays free of
    # writes). Under the lock, one read tells whether another run changed the app since
    # the plan read it (reconcile.applied); if so, if the plan is no longer fresh, or if
    # this run took over a killed run's lock, the plan is made again.
    with Lock(deployment.aws, target.owner, "up") as lock:
        first = run.plan
        with phases.measure("plan"):
            if lock.took_over or not deployment.plan_still_holds():
                run.plan = deployment.plan_up()
        if run.plan.empty:
            err.print("No changes left: another run made them meanwhile.")
            return
        if len(run.plan.destructive) > len(first.destructive) and not yes:
            show_plan(err, run.plan, f"Plan for {title(target)}, changed meanwhile")
            confirm(f"{len(run.plan.destructive)} resource(s) will be deleted or replaced.")
        run.build(deployment, built)
        with phases.measure("infrastructure"), run.display.phase("infrastructure", run.plan):
            run.result = deployment.apply(run.plan, run.listener, parallelism=parallelism)
    # pushes run as steps of the apply: their span is measured from the step events
    phases.add("push", run.log.span("ecr.image"))
    if not run.result.ok:
        return
    run.urls = deployment.urls(run.result.resources)
    watches = deployment.rollout_watches(run.result)
    if not watches:
        return
    if not wait:
        run.not_waited = [w.service for w in watches]
        names = ", ".join(run.not_waited)
        err.print(f"Not waiting for the rollout of {names}; `ecsdeploy status` shows it.")
        return
    err.print(f"Waiting up to {timeout} for the rollout of {len(watches)} service(s)...")
    with phases.measure("rollout"), run.display.phase("rollout"):
        run.display.expect_rollouts([w.service for w in watches])
        run.outcomes = deployment.wait_for_rollouts(
            watches, deadline, run.display.rollout, seams.rollout_source(deployment)
        )
