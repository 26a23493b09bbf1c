"""The ``down`` use case: delete everything the app owns (found by its tags), in reverse
order, under the lock; and ``unlock``, which removes the lock of a killed run.

No printing here: what happens is told to a ``DownView``; what was done is kept in a
``DownRun``.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Protocol

from ecsdeploy.aws.errors import AwsError
from ecsdeploy.ops.stages import Stages
from ecsdeploy.ops.target import Target
from ecsdeploy.plan.model import Plan, Step
from ecsdeploy.plan.planner import set_aside_kept
from ecsdeploy.reconcile.executor import Event, Result
from ecsdeploy.reconcile.lock import Holder, Lock
from ecsdeploy.reconcile.lock import unlock as remove_lock
from ecsdeploy.reconcile.report import Phases, StepLog
from ecsdeploy.resources import expiry, image_users, releases
from ecsdeploy.resources.ecr_repository import RepositoryHandler

REPOSITORY = RepositoryHandler.kind


@dataclass(frozen=True)
class DownOptions:
    yes: bool = False  # delete without asking
    parallelism: int | None = None  # None: scales with the plan (auto_parallelism)
    keep_logs: bool = False  # keep the services' log groups
    purge_data: bool = False  # also delete the buckets that hold data
    disable_deletion_protection: bool = False  # turn a load balancer's off, then delete it


class DownView(Protocol):
    """What ``down`` tells its caller, in order, as it goes."""

    def keeping(self, step: Step, note: str) -> None:
        """``step``'s resource is kept (a kind's ``down_keeps``: a bucket that holds data,
        without ``purge_data``); ``note`` says so, with ``{name}`` for its name."""

    def planned(self, plan: Plan) -> None: ...

    def confirm(self, plan: Plan) -> None:
        """Ask before deleting; raise to stop (nothing was changed)."""

    def phase(self, name: str, plan: Plan | None = None) -> AbstractContextManager[None]: ...

    def step(self, event: Event) -> None: ...


@dataclass
class DownRun:
    """One ``down``: what it measured and did."""

    target: Target
    phases: Phases = field(default_factory=Phases)
    log: StepLog = field(default_factory=StepLog)
    plan: Plan | None = None
    result: Result | None = None  # None: nothing to delete


def down(stages: Stages, run: DownRun, options: DownOptions, view: DownView) -> DownRun:
    """Plan the deletes, confirm, and apply them under the lock; fills ``run``."""
    with run.phases.measure("plan"):
        plan = stages.plan_down(options.disable_deletion_protection)
    flags = {"--keep-logs"} if options.keep_logs else set()
    flags |= {"--purge-data"} if options.purge_data else set()
    for step, why in set_aside_kept(plan, flags):
        if why.note:
            view.keeping(step, why.note)
    for step, note in _repositories_in_use(stages, plan):
        view.keeping(step, note)
    run.plan = plan
    if plan.empty:
        return run
    view.planned(plan)
    if not options.yes:
        view.confirm(plan)

    def listener(event: Event) -> None:
        run.log(event)
        view.step(event)

    with (
        Lock(stages.aws, run.target.owner, "down"),
        run.phases.measure("infrastructure"),
        view.phase("infrastructure", plan),
    ):
        run.result = stages.apply(
            plan,
            listener,
            parallelism=options.parallelism,
            disable_deletion_protection=options.disable_deletion_protection,
        )
        if run.result.ok:  # the revisions the releases ran are gone: so is their ledger
            try:
                forget_releases(stages)
            except AwsError as exc:
                run.result.warnings.append(
                    f"could not delete the release ledger {releases.path(run.target.owner)} "
                    f"({exc.message}); delete its parameters by hand"
                )
    return run


def _repositories_in_use(stages: Stages, plan: Plan) -> list[tuple[Step, str]]:
    """Take out of a ``down`` plan the ECR repositories whose images other environments
    still run (``resources.image_users``); return those steps, with what to say."""
    steps = {s.have.name: s for s in plan.steps if s.kind == REPOSITORY and s.have is not None}
    users = image_users.running_elsewhere(stages.aws, stages.target.owner, list(steps))
    kept = [(steps[name], image_users.note(users, name)) for name in sorted(users)]
    plan.set_aside(step for step, _ in kept)
    return kept


def forget_releases(stages: Stages) -> None:
    """Delete the app's release ledger (``resources.releases``), and its expiry
    (``resources.expiry``, ``up --ttl``) in the same call."""
    owner = stages.target.owner
    found = releases.read_all(stages.aws, owner)
    # an env deployed without --ttl has no expiry: no call just for it
    also = [expiry.parameter_name(owner)] if found or expiry.read(stages.aws, owner) else []
    releases.delete(stages.aws, owner, found, also)


def unlock(stages: Stages) -> Holder | None:
    """Remove the lock of the app; who held it, or None when there was none."""
    return remove_lock(stages.aws, stages.target.owner)
