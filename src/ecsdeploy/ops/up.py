"""The ``up`` use case: verify and plan, confirm, build the images, then under the lock
plan again if needed, apply, keep the record, and wait for the rollouts.

No printing here: what happens is told to an ``UpView`` as it happens (the CLI renders
it), and everything measured and found is kept in an ``UpRun``, filled as the run goes so
that a caller stopped by Ctrl-C still has what was done so far.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from typing import Protocol

from ecsdeploy.images.refs import ImageRef
from ecsdeploy.ops import fail_fast, paused, releases
from ecsdeploy.ops.plan import cost_after, cost_now, prices
from ecsdeploy.ops.stages import Stages
from ecsdeploy.ops.target import Target
from ecsdeploy.plan.cost import CostEstimate
from ecsdeploy.plan.model import Plan
from ecsdeploy.plan.planner import OwnershipConflict
from ecsdeploy.plan.preflight import Check
from ecsdeploy.reconcile.executor import Event, Result
from ecsdeploy.reconcile.lock import Lock
from ecsdeploy.reconcile.report import Phases, StepLog
from ecsdeploy.reconcile.rollout import Outcome, Progress, RolloutSource, Watch
from ecsdeploy.reconcile.status import app_urls
from ecsdeploy.resources import ecs_strategy
from ecsdeploy.resources.releases import Release


@dataclass(frozen=True)
class UpOptions:
    yes: bool = False  # go ahead with deletes and replacements without asking
    skip_verify: bool = False
    parallelism: int | None = None  # None: scales with the plan (auto_parallelism)
    wait: bool = True  # for the rollouts
    timeout: float = 900.0  # seconds, the longest rollout wait
    # go ahead with replacements that interrupt traffic (``Plan.downtime``) without asking,
    # which --yes alone does not
    allow_downtime: bool = False


@dataclass(frozen=True)
class Planned:
    """The first plan of a run, with what goes with it."""

    plan: Plan
    cost: tuple[CostEstimate, CostEstimate] | None  # now and after; None for no changes
    image_refs: dict[str, ImageRef]  # the image each service runs
    in_registry: list[ImageRef]  # built images the registry has already: no build


class UpView(Protocol):
    """What ``up`` tells its caller, in order, as it goes."""

    def checked(self, checks: Sequence[Check]) -> None: ...

    def planned(self, planned: Planned) -> None: ...

    def confirm(self, plan: Plan) -> None:
        """Ask before deleting or replacing; raise to stop (nothing was changed)."""

    def confirm_downtime(self, plan: Plan) -> None:
        """Ask before replacements that interrupt traffic, even with --yes; raise to stop."""

    def building(self, refs: Sequence[ImageRef]) -> None: ...

    def build(self, service: str, line: str) -> None: ...

    def phase(self, name: str, plan: Plan | None = None) -> AbstractContextManager[None]: ...

    def changed_meanwhile(self, plan: Plan | None) -> None:
        """The plan made again under the lock: fewer changes left (None: none at all) or
        more to delete than confirmed (``confirm`` follows)."""

    def step(self, event: Event) -> None: ...

    def not_waiting(self, services: Sequence[str]) -> None: ...

    def waiting(self, watches: Sequence[Watch]) -> None: ...

    def expect_rollouts(self, services: Sequence[str]) -> None: ...

    def rollout(self, progress: Progress) -> None: ...


@dataclass
class UpRun:
    """One ``up``: what it measured and found."""

    target: Target
    phases: Phases = field(default_factory=Phases)
    log: StepLog = field(default_factory=StepLog)
    checks_failed: bool = False  # a `verify` check FAILed: nothing was planned or changed
    plan: Plan | None = None
    result: Result | None = None  # None: nothing to change
    urls: list[str] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)
    not_waited: list[str] = field(default_factory=list)
    recorded: releases.Recorded | None = None  # the release this run made, if it made one

    @property
    def ok(self) -> bool:
        done = self.result is None or self.result.ok
        return done and all(o.ok for o in self.outcomes)


def up(
    stages: Stages,
    run: UpRun,
    options: UpOptions,
    view: UpView,
    preflight: Callable[[], list[Check]],
    rollout_source: Callable[[], RolloutSource | None] = lambda: None,
) -> UpRun:
    """Everything up does, in order; fills ``run`` as it goes and returns it.
    ``preflight`` runs the `verify` checks; ``rollout_source`` says where rollouts are
    read from (None: AWS)."""
    plan = _verify_and_plan(stages, run, options.skip_verify, view, preflight)
    if plan is None:
        return run
    run.plan = plan
    view.planned(
        Planned(
            plan,
            None if plan.empty else _costs(stages, plan),
            stages.image_refs,
            stages.image_steps(plan, build=False),
        )
    )
    if plan.empty:
        # nothing to change, but a rollout an earlier run started may not be done: the
        # run is done only once it is (or says truthfully that it failed)
        if plan.unsettled:
            _wait(stages, run, options, view, stages.unsettled_watches(plan), rollout_source)
        return run
    if plan.downtime and not options.allow_downtime:
        view.confirm_downtime(plan)
    elif plan.destructive and not options.yes:
        view.confirm(plan)
    built = _build(stages, run, view, [])
    # Only a run that changes something takes the lock (an unchanged `up` stays free of
    # writes). Under the lock, one read tells whether another run changed the app since
    # the plan read it (reconcile.applied); if so, if the plan is no longer fresh, or if
    # this run took over a killed run's lock, the plan is made again.
    with Lock(stages.aws, run.target.owner, "up") as lock:
        first = run.plan
        with run.phases.measure("plan"):
            if lock.took_over or not stages.plan_still_holds():
                run.plan = stages.plan_up()
        if run.plan.empty:
            view.changed_meanwhile(None)
            if run.plan.unsettled:
                watches = stages.unsettled_watches(run.plan)
                _wait(stages, run, options, view, watches, rollout_source)
            return run
        if len(run.plan.downtime) > len(first.downtime) and not options.allow_downtime:
            view.changed_meanwhile(run.plan)
            view.confirm_downtime(run.plan)
        elif len(run.plan.destructive) > len(first.destructive) and not options.yes:
            view.changed_meanwhile(run.plan)
            view.confirm(run.plan)
        _build(stages, run, view, built)

        def listener(event: Event) -> None:
            run.log(event)
            view.step(event)

        with run.phases.measure("infrastructure"), view.phase("infrastructure", run.plan):
            run.result = stages.apply(run.plan, listener, parallelism=options.parallelism)
    # pushes run as steps of the apply: their span is measured from the step events
    run.phases.add("push", run.log.span("ecr.image"))
    watches = stages.rollout_watches(run.result)
    if not run.result.ok:
        if watches and not run.result.interrupted:  # services changed, then a step failed
            _record(stages, run, [s.key for s, _ in run.result.failed])
        return run
    run.urls = app_urls(run.result.resources)
    # and the services left unchanged whose earlier rollout is not done
    unsettled = stages.unsettled_watches(run.plan, skip=[w.service for w in watches])
    # a deployment that pauses before production traffic is done, for now, once it waits
    pausing = paused.pausing(watches, run.result.resources) if options.wait else []
    rest = [w for w in watches + unsettled if w not in pausing]
    # ECS's canary wait, linear steps and bake time come on top of the rollout's deadline
    shifting = [ecs_strategy.shift_seconds(o.props) for o in run.result.resources.values()]
    longer = replace(options, timeout=options.timeout + max(shifting, default=0.0))
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ecsdeploy-ledger") as pool:
        # a run that changed what a service runs (watches) is a release, recorded once its
        # outcome is known; the ledger it is numbered after is read while the rollout runs
        ledger = (
            pool.submit(contextvars.copy_context().run, releases.ledger, stages)
            if watches
            else None
        )
        _wait(stages, run, longer, view, rest, rollout_source)
        if pausing:
            names = [w.service for w in pausing]
            urls = paused.preview_urls(stages, names, run.result.resources)
            with run.phases.measure("rollout"), view.phase("rollout"):
                run.outcomes += paused.wait_paused(stages, pausing, urls, options.timeout)
        if ledger is not None:
            _record(stages, run, known=ledger.result())
    return run


def _costs(stages: Stages, plan: Plan) -> tuple[CostEstimate, CostEstimate]:
    """Now and after, at the region's prices (asked only when there is a change to show)."""
    book = prices(stages)
    return cost_now(plan, stages.target.region, book), cost_after(stages.target.spec, book)


def _wait(
    stages: Stages,
    run: UpRun,
    options: UpOptions,
    view: UpView,
    watches: list[Watch],
    rollout_source: Callable[[], RolloutSource | None],
) -> None:
    """Wait for the rollouts (unless ``--no-wait``); the outcomes go into ``run``."""
    if not watches:
        return
    if not options.wait:
        run.not_waited = [w.service for w in watches]
        view.not_waiting(run.not_waited)
        return
    view.waiting(watches)
    with run.phases.measure("rollout"), view.phase("rollout"):
        view.expect_rollouts([w.service for w in watches])
        spec = run.target.spec
        atomic = spec.release.atomic if spec is not None else True
        outcomes = stages.wait_for_rollouts(
            watches, options.timeout, view.rollout, rollout_source(), atomic=atomic
        )
        # what failed fast goes back, and with an atomic release the rest of it too
        run.outcomes = fail_fast.roll_back(stages, watches, outcomes, atomic)


def _record(
    stages: Stages,
    run: UpRun,
    failed_steps: Sequence[str] = (),
    known: Sequence[Release] | None = None,
) -> None:
    """The release this run made, in the ledger (``known``: as read before, if it was),
    once its outcome is known."""
    assert run.result is not None
    outcome = releases.outcome_of(run.outcomes, run.not_waited, failed_steps)
    run.recorded = releases.record(
        stages, releases.draft(stages, releases.services_run(run.result), outcome), known
    )


def _verify_and_plan(
    stages: Stages,
    run: UpRun,
    skip_verify: bool,
    view: UpView,
    preflight: Callable[[], list[Check]],
) -> Plan | None:
    """The `verify` checks and the plan, made side by side (both only read); the checks
    are told first, and when one fails the plan is dropped (None)."""
    if skip_verify:
        with run.phases.measure("plan"):
            return stages.plan_up()

    def verify() -> list[Check]:
        with run.phases.measure("verify"):
            return preflight()

    with ThreadPoolExecutor(max_workers=1) as pool:
        checks = pool.submit(verify)
        with run.phases.measure("plan"):
            try:
                plan, error = stages.plan_up(), None
            except Exception as exc:  # raised after the checks, which may explain it
                plan, error = None, exc
        found = checks.result()
    view.checked(found)
    if isinstance(error, OwnershipConflict):  # a refusal (exit 3) whatever the checks say
        raise error
    if any(c.status == "FAIL" for c in found):  # WARN and SKIP don't stop a deploy
        run.checks_failed = True
        return None
    if error is not None:
        raise error
    assert plan is not None
    return plan


def _build(stages: Stages, run: UpRun, view: UpView, done: list[str]) -> list[str]:
    """Build the images the plan must push that are not in ``done`` (service names)."""
    assert run.plan is not None
    builds = [r for r in stages.image_steps(run.plan, build=True) if r.service not in done]
    if builds:
        view.building(builds)
        with run.phases.measure("build"), view.phase("build"):
            stages.build_images(builds, view.build)
    return done + [r.service for r in builds]
