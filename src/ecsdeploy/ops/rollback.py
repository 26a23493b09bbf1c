"""The ``rollback`` use case: every service of an earlier release back on the task-definition
revisions that release ran, as one new release ("rollback to N").

It touches no infrastructure: under the app's lock, one DescribeServices a ten services
reads what each runs now, and one UpdateService (``taskDefinition`` only) puts each that
differs back; then the rollouts are watched as `up` watches them, and the release is
recorded once their outcome is known. The spec is not read for this: a service the release
ran that no longer exists is skipped (and said so), and a service the release did not have
is left as it is. When the spec has changed since release N, the next `up` applies it
again (its task-definition revisions, its images), which the result says.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from ecsdeploy.ops import fail_fast
from ecsdeploy.ops import releases as ledger
from ecsdeploy.ops.stages import Stages
from ecsdeploy.ops.target import Target
from ecsdeploy.reconcile.lock import Lock
from ecsdeploy.reconcile.rollout import Outcome, Progress, RolloutSource, Watch
from ecsdeploy.resources import releases
from ecsdeploy.resources.ecs_common import cluster_name
from ecsdeploy.resources.releases import Release, ServiceRelease


class NoRollbackTarget(Exception):
    """There is no release to roll back to: none recorded, no earlier successful one, or
    no release of the number asked for (``bad_input``)."""

    def __init__(self, message: str, bad_input: bool = False) -> None:
        super().__init__(message)
        self.bad_input = bad_input


@dataclass(frozen=True)
class RollbackOptions:
    to: int | None = None  # the release to go back to; None: the last successful before
    wait: bool = True
    timeout: float = 900.0


class RollbackView(Protocol):
    """What ``rollback`` tells its caller, in order, as it goes."""

    def chosen(self, to: Release, current: Release) -> None: ...

    def phase(self, name: str) -> AbstractContextManager[None]: ...

    def waiting(self, watches: Sequence[Watch]) -> None: ...

    def expect_rollouts(self, services: Sequence[str]) -> None: ...

    def rollout(self, progress: Progress) -> None: ...


@dataclass
class RollbackRun:
    """One ``rollback``: what it chose, did and found."""

    target: Target
    to: Release | None = None
    current: Release | None = None
    updated: list[str] = field(default_factory=list)  # services put back
    already: list[str] = field(default_factory=list)  # already on release N's revision
    missing: list[str] = field(default_factory=list)  # release N's, gone since
    outcomes: list[Outcome] = field(default_factory=list)
    not_waited: list[str] = field(default_factory=list)
    recorded: ledger.Recorded | None = None
    spec_changed: bool | None = None  # None: no spec to compare (--app)

    @property
    def ok(self) -> bool:
        return all(o.ok for o in self.outcomes)


def choose(found: Sequence[Release], to: int | None) -> tuple[Release, Release]:
    """(the release to go back to, the current one)."""
    if not found:
        raise NoRollbackTarget(
            "no releases recorded for this app yet: `up` records one each time it changes a "
            "service; `ecsdeploy history` lists them"
        )
    current = found[-1]
    if to is not None:
        chosen = releases.find(found, to)
        if chosen is None:
            kept = f"{found[0].number} to {current.number}"
            raise NoRollbackTarget(
                f"no release {to} in the ledger (it keeps releases {kept}); "
                "`ecsdeploy history` lists them",
                bad_input=True,
            )
        return chosen, current
    earlier = [r for r in found if r.number < current.number and r.ok]
    if not earlier:
        raise NoRollbackTarget(
            f"no successful release before release {current.number} to roll back to; "
            "pass --to N to choose one (`ecsdeploy history` lists them)"
        )
    return earlier[-1], current


def rollback(
    stages: Stages,
    run: RollbackRun,
    options: RollbackOptions,
    view: RollbackView,
    rollout_source: Callable[[], RolloutSource | None] = lambda: None,
) -> RollbackRun:
    """Everything rollback does, in order; fills ``run`` as it goes and returns it."""
    owner = stages.target.owner
    found = ledger.history(stages)
    to, current = choose(found, options.to)
    run.to, run.current = to, current
    if stages.target.spec is not None:
        run.spec_changed = ledger.spec_hash(stages.target.spec) != to.spec_hash
    view.chosen(to, current)
    watches: list[Watch] = []
    deployments: dict[str, str] = {}
    with Lock(stages.aws, owner, "rollback"):
        running = _describe(stages, list(to.services))
        for name, wanted in to.services.items():
            svc = running.get(name)
            if svc is None:
                run.missing.append(name)
                continue
            if _revision(str(svc.get("taskDefinition"))) == _revision(wanted.task_definition):
                run.already.append(name)
                continue
            updated = (
                stages.aws.client("ecs")
                .update_service(
                    cluster=cluster_name(owner),
                    service=name,
                    taskDefinition=wanted.task_definition,
                )
                .get("service", {})
            )
            run.updated.append(name)
            deployments[name] = _primary(updated)
            watches.append(_watch(stages, name, wanted.task_definition, svc))
    if not run.updated:
        return run  # every service runs release N already: no new release
    if options.wait:
        view.waiting(watches)
        with view.phase("rollout"):
            view.expect_rollouts([w.service for w in watches])
            spec = stages.target.spec
            atomic = spec.release.atomic if spec is not None else True
            outcomes = stages.wait_for_rollouts(
                watches, options.timeout, view.rollout, rollout_source(), atomic=atomic
            )
            # as after `up`: what fails fast goes back to what it ran before the rollback
            run.outcomes = fail_fast.roll_back(stages, watches, outcomes, atomic)
    else:
        run.not_waited = list(run.updated)
    services = _services_after(current, to, run, deployments)
    outcome = ledger.outcome_of(run.outcomes, run.not_waited, [])
    release = replace(
        ledger.draft(stages, services, outcome, rollback_to=to.number), spec_hash=to.spec_hash
    )
    run.recorded = ledger.record(stages, release, found)
    return run


def _describe(stages: Stages, names: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The live services among ``names`` (DescribeServices takes ten a call)."""
    ecs = stages.aws.client("ecs")
    found: dict[str, dict[str, Any]] = {}
    for i in range(0, len(names), 10):
        out = ecs.describe_services(
            cluster=cluster_name(stages.target.owner), services=list(names[i : i + 10])
        )
        for svc in out.get("services", []):
            if svc.get("status") == "ACTIVE":
                found[str(svc["serviceName"])] = svc
    return found


def _revision(task_definition: str) -> str:
    """``family:revision`` of an ARN (or of ``family:revision``)."""
    return task_definition.rsplit("/", 1)[-1]


def _primary(svc: dict[str, Any]) -> str:
    deployments = svc.get("deployments") or []
    primary: dict[str, Any] = next((d for d in deployments if d.get("status") == "PRIMARY"), {})
    return str(primary.get("id") or "")


def _watch(stages: Stages, name: str, task_definition: str, svc: dict[str, Any]) -> Watch:
    balancers = svc.get("loadBalancers") or []
    owner = stages.target.owner
    return Watch(
        cluster=cluster_name(owner),
        service=name,
        task_definition=task_definition,
        target_group_arn=str(balancers[0]["targetGroupArn"]) if balancers else None,
        log_group=owner.log_group(name),
        container=name,
        desired=int(svc.get("desiredCount") or 0),
        previous=str(svc.get("taskDefinition") or ""),
    )


def _services_after(
    current: Release, to: Release, run: RollbackRun, deployments: dict[str, str]
) -> dict[str, ServiceRelease]:
    """What every service runs after the rollback: release N's revisions for those it put
    back or found there, the current release's for the others."""
    services = {n: replace(s, outcome=releases.UNCHANGED) for n, s in current.services.items()}
    for name in run.missing:
        services.pop(name, None)
    for name in run.already:
        services[name] = replace(to.services[name], outcome=releases.UNCHANGED)
    for name in run.updated:
        services[name] = replace(to.services[name], deployment=deployments.get(name, ""))
    return services
