"""The ``up`` use case: verify and plan, confirm, build the images, then under the lock
plan again if needed and apply; then keep the record and let go of the lock while the
rollouts are watched, and record the release. ``--images-only`` plans the services' new
images alone (``plan.images_only``) and goes the same way.

No printing here: what happens is told to an ``UpView`` as it happens (the CLI renders
it), and everything measured and found is kept in an ``UpRun``, filled as the run goes so
that a caller stopped by Ctrl-C still has what was done so far.
"""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass, field, replace
from typing import Protocol

from ecsdeploy.images.refs import ImageRef
from ecsdeploy.ops import fail_fast, paused, releases
from ecsdeploy.ops.plan import cost_after, cost_now, prices
from ecsdeploy.ops.stages import Stages
from ecsdeploy.ops.target import Target
from ecsdeploy.plan import images_only
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
    # ship the spec's new images only, reading and changing nothing else (see
    # plan.images_only); the `verify` checks and the cost are left out with it
    images_only: bool = False

    def kinds(self) -> frozenset[str] | None:
        """The resource kinds this run reads or changes (None: all)."""
        return images_only.KINDS if self.images_only else None

    def planner(
        self, stages: Stages, changing: Callable[[], None] | None = None
    ) -> Callable[[], Plan]:
        """The plan this run makes; ``changing`` is called once an images-only plan knows
        that it will change something (``Stages.plan_images``)."""
        if self.images_only:
            return functools.partial(stages.plan_images, changing)
        return stages.plan_up


@dataclass(frozen=True)
class Planned:
    """The first plan of a run, with what goes with it."""

    plan: Plan
    cost: tuple[CostEstimate, CostEstimate] | None  # now and after; None for no changes
    image_refs: dict[str, ImageRef]  # the image each service runs
    in_registry: list[ImageRef]  # built images the registry has already: no build
    images_only: bool = False  # the plan of `up --images-only`


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
    lock = Lock(stages.aws, run.target.owner, "up")
    with ExitStack() as held:
        ahead = LockAhead(stages, lock, held)
        plan = _verify_and_plan(stages, run, options, view, preflight, ahead.start)
        if plan is None:
            return run
        run.plan = plan
        view.planned(
            Planned(
                plan,
                None if plan.empty or options.images_only else _costs(stages, plan),
                stages.image_refs,
                stages.image_steps(plan, build=False),
                options.images_only,
            )
        )
        if plan.empty:
            return _unchanged(stages, run, options, view, plan, held, rollout_source)
        if plan.downtime and not options.allow_downtime:
            view.confirm_downtime(plan)
        elif plan.destructive and not options.yes:
            view.confirm(plan)
        built = _build(stages, run, view, [])
        # Only a run that changes something takes the lock (an unchanged `up` stays free of
        # writes). Under the lock, one read tells whether another run changed the app since
        # the plan read it (reconcile.applied); if so, if the plan is no longer fresh, or if
        # this run took over a killed run's lock, the plan is made again.
        first = run.plan
        with run.phases.measure("plan"):
            if ahead.started:
                holds = ahead.holds()
            else:
                held.enter_context(lock)
                holds = stages.plan_still_holds()
            if lock.took_over or not holds:
                run.plan = options.planner(stages)()
        if run.plan.empty:
            view.changed_meanwhile(None)
            return _unchanged(stages, run, options, view, run.plan, held, rollout_source)
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
            run.result = stages.apply(
                run.plan, listener, parallelism=options.parallelism, keep_record=False
            )
        held.pop_all()  # the lock is let go by _let_go, below
    # the record (rewritten before the lock is let go: reconcile.applied) and the lock's
    # release go beside the rollout's first polls, which then start as the services change
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ecsdeploy-let-go") as pool:
        letting_go = pool.submit(contextvars.copy_context().run, _let_go, stages, run, lock)
        try:
            return _after_apply(stages, run, options, view, rollout_source)
        finally:
            letting_go.result()


def _unchanged(
    stages: Stages,
    run: UpRun,
    options: UpOptions,
    view: UpView,
    plan: Plan,
    held: ExitStack,
    rollout_source: Callable[[], RolloutSource | None],
) -> UpRun:
    """Nothing to change: the lock, if taken, is let go; but a rollout an earlier run
    started may not be done, and the run is done only once it is (or says truthfully that
    it failed)."""
    held.close()
    if plan.unsettled:
        _wait(stages, run, options, view, stages.unsettled_watches(plan), rollout_source)
    return run


class LockAhead:
    """The lock taken ahead, beside the plan's last reads, once an images-only plan knows
    from the applied record that it will change something, with the check that the plan
    still holds (``Stages.plan_still_holds``) right after it: two round trips fewer before
    the first change. Let go when ``held`` closes, unless the run hands it on."""

    def __init__(self, stages: Stages, lock: Lock, held: ExitStack) -> None:
        self.stages, self.lock, self.held = stages, lock, held
        self._taking: Future[bool] | None = None
        self._acquired = False

    @property
    def started(self) -> bool:
        return self._taking is not None

    def start(self) -> None:
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ecsdeploy-lock")
        self._taking = pool.submit(contextvars.copy_context().run, self._take)
        pool.shutdown(wait=False)
        self.held.callback(self._let_go)

    def _take(self) -> bool:
        self.lock.acquire()
        self._acquired = True
        return self.stages.plan_still_holds()

    def holds(self) -> bool:
        """Whether the plan still holds, once the lock is taken (LockHeld: another run has
        it)."""
        assert self._taking is not None
        return self._taking.result()

    def _let_go(self) -> None:
        assert self._taking is not None
        wait([self._taking])
        if self._acquired:
            self.lock.release()


def _let_go(stages: Stages, run: UpRun, lock: Lock) -> None:
    """Keep the record of what the apply set, then release the lock."""
    assert run.plan is not None and run.result is not None
    try:
        stages.keep_record(run.plan, run.result)
    finally:
        lock.release()


def _after_apply(
    stages: Stages,
    run: UpRun,
    options: UpOptions,
    view: UpView,
    rollout_source: Callable[[], RolloutSource | None],
) -> UpRun:
    """The rollouts the apply started, waited for, and the release they make."""
    assert run.plan is not None and run.result is not None
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
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="ecsdeploy-ledger") as pool:
        # a run that changed what a service runs (watches) is a release, recorded once its
        # outcome is known; the ledger it is numbered after, and who runs this (the release
        # names them), are read while the rollout runs
        ledger = (
            pool.submit(contextvars.copy_context().run, releases.ledger, stages)
            if watches
            else None
        )
        if watches:
            pool.submit(contextvars.copy_context().run, releases.caller, stages)
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
    options: UpOptions,
    view: UpView,
    preflight: Callable[[], list[Check]],
    changing: Callable[[], None],
) -> Plan | None:
    """The `verify` checks and the plan, made side by side (both only read); the checks
    are told first, and when one fails the plan is dropped (None). ``changing``: as in
    ``UpOptions.planner``."""
    if options.skip_verify or options.images_only:
        with run.phases.measure("plan"):
            return options.planner(stages, changing)()

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
