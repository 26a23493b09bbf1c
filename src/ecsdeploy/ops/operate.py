"""The ``restart`` and ``scale`` use cases: operations on one running ECS service without
editing the spec.

``restart`` starts new tasks of the same revision (UpdateService ``forceNewDeployment``:
a rotated secret or a changed image behind a mutable tag is read again); ``scale`` sets
the task count (UpdateService ``desiredCount``) or, when autoscaling owns the count, the
autoscaling range (RegisterScalableTarget, an upsert). Both run under the app's lock, leave
a mark on the service (``resources.service_marks``: a tag, read with the service) so that
the next `plan` and `up` say what they undo, and wait for the rollout as `up` does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol

from ecsdeploy.aws.errors import AwsError, NotFound
from ecsdeploy.ops.releases import now
from ecsdeploy.ops.stages import Stages
from ecsdeploy.ops.target import Target
from ecsdeploy.reconcile.lock import Lock
from ecsdeploy.reconcile.rollout import Outcome, Progress, RolloutSource, Watch
from ecsdeploy.resources.ecs_common import cluster_name
from ecsdeploy.resources.scaling_target import DIMENSION, NAMESPACE, resource_id
from ecsdeploy.resources.service_marks import TAG_RESTARTED, TAG_SCALED, Mark, who
from ecsdeploy.spec.errors import Problem, UsageError


@dataclass(frozen=True)
class ScaleTo:
    """What ``scale`` sets: a task count, or the autoscaling range (either bound)."""

    count: int | None = None
    min: int | None = None
    max: int | None = None


class OperateView(Protocol):
    """What ``restart`` and ``scale`` tell their caller, in order, as they go."""

    def changed(self, run: OperateRun) -> None: ...

    def phase(self, name: str) -> AbstractContextManager[None]: ...

    def waiting(self, watches: Sequence[Watch]) -> None: ...

    def expect_rollouts(self, services: Sequence[str]) -> None: ...

    def rollout(self, progress: Progress) -> None: ...


@dataclass
class OperateRun:
    """One ``restart`` or ``scale`` of one service: what it changed, how it rolled out."""

    target: Target
    service: str
    what: str  # "restart" or "scale"
    before: str = ""  # "1", or "1-4" for an autoscaling range
    after: str = ""
    outcomes: list[Outcome] = field(default_factory=list)
    not_waited: bool = False

    @property
    def ok(self) -> bool:
        return all(o.ok for o in self.outcomes)


def _refuse(message: str) -> UsageError:
    return UsageError([Problem("", message)])


def _service(stages: Stages, name: str) -> dict[str, Any]:
    owner = stages.target.owner
    try:
        found = (
            stages.aws.client("ecs")
            .describe_services(cluster=cluster_name(owner), services=[name])
            .get("services", [])
        )
    except NotFound:  # no cluster: nothing deployed
        found = []
    live = [s for s in found if s.get("status") == "ACTIVE"]
    if not live:
        raise _refuse(
            f"no service '{name}' runs in {owner.app}/{owner.env}; `ecsdeploy up` deploys it"
        )
    return dict(live[0])


def _range(stages: Stages, name: str) -> tuple[int, int] | None:
    """The service's autoscaling range, or None when autoscaling is off."""
    rid = resource_id(cluster_name(stages.target.owner), name)
    found = (
        stages.aws.client("application-autoscaling")
        .describe_scalable_targets(
            ServiceNamespace=NAMESPACE, ResourceIds=[rid], ScalableDimension=DIMENSION
        )
        .get("ScalableTargets", [])
    )
    if not found:
        return None
    return int(found[0]["MinCapacity"]), int(found[0]["MaxCapacity"])


def _by(stages: Stages) -> str:
    try:
        return who(stages.aws.caller_arn())
    except AwsError:
        return ""


def _mark(stages: Stages, svc: dict[str, Any], tag: str, mark: Mark) -> None:
    stages.aws.client("ecs").tag_resource(
        resourceArn=svc["serviceArn"], tags=[{"key": tag, "value": mark.encode()}]
    )


def restart(
    stages: Stages,
    run: OperateRun,
    wait: bool,
    timeout: float,
    view: OperateView,
    rollout_source: Callable[[], RolloutSource | None] = lambda: None,
) -> OperateRun:
    """New tasks of the revision the service runs; fills ``run``."""
    owner = stages.target.owner
    with Lock(stages.aws, owner, "restart"):
        svc = _service(stages, run.service)
        stages.aws.client("ecs").update_service(
            cluster=cluster_name(owner), service=run.service, forceNewDeployment=True
        )
        _mark(stages, svc, TAG_RESTARTED, Mark(at=now(), by=_by(stages)))
    run.before = run.after = str(svc.get("taskDefinition", "")).rsplit("/", 1)[-1]
    view.changed(run)
    _wait(stages, run, svc, int(svc.get("desiredCount") or 0), wait, timeout, view, rollout_source)
    return run


def scale(
    stages: Stages,
    run: OperateRun,
    to: ScaleTo,
    wait: bool,
    timeout: float,
    view: OperateView,
    rollout_source: Callable[[], RolloutSource | None] = lambda: None,
) -> OperateRun:
    """Set the service's task count, or its autoscaling range; fills ``run``."""
    owner = stages.target.owner
    with Lock(stages.aws, owner, "scale"):
        svc = _service(stages, run.service)
        bounds = _range(stages, run.service)
        desired = int(svc.get("desiredCount") or 0)
        if to.count is not None:
            if bounds is not None:
                raise _refuse(
                    f"autoscaling sets the task count of {run.service} ({bounds[0]}-"
                    f"{bounds[1]}): pass --min and/or --max instead of a count"
                )
            run.before, run.after = str(desired), str(to.count)
            stages.aws.client("ecs").update_service(
                cluster=cluster_name(owner), service=run.service, desiredCount=to.count
            )
            mark = Mark(at=now(), by=_by(stages), desired=to.count, was=run.before)
            desired = to.count
        else:
            if bounds is None:
                raise _refuse(
                    f"{run.service} does not autoscale: give a task count "
                    f"(`ecsdeploy scale {run.service} N`)"
                )
            low = to.min if to.min is not None else bounds[0]
            high = to.max if to.max is not None else bounds[1]
            if low > high:
                raise _refuse(f"--min {low} is above --max {high}")
            run.before, run.after = f"{bounds[0]}-{bounds[1]}", f"{low}-{high}"
            stages.aws.client("application-autoscaling").register_scalable_target(
                ServiceNamespace=NAMESPACE,
                ResourceId=resource_id(cluster_name(owner), run.service),
                ScalableDimension=DIMENSION,
                MinCapacity=low,
                MaxCapacity=high,
            )
            mark = Mark(at=now(), by=_by(stages), min=low, max=high, was=run.before)
            desired = min(max(desired, low), high)  # autoscaling moves the count inside
        _mark(stages, svc, TAG_SCALED, mark)
    view.changed(run)
    _wait(stages, run, svc, desired, wait, timeout, view, rollout_source)
    return run


def _wait(
    stages: Stages,
    run: OperateRun,
    svc: dict[str, Any],
    desired: int,
    wait: bool,
    timeout: float,
    view: OperateView,
    rollout_source: Callable[[], RolloutSource | None],
) -> None:
    if not wait:
        run.not_waited = True
        return
    owner = stages.target.owner
    balancers = svc.get("loadBalancers") or []
    watch = Watch(
        cluster=cluster_name(owner),
        service=run.service,
        task_definition=str(svc.get("taskDefinition", "")),
        target_group_arn=str(balancers[0]["targetGroupArn"]) if balancers else None,
        log_group=owner.log_group(run.service),
        container=run.service,
        desired=desired,
    )
    view.waiting([watch])
    with view.phase("rollout"):
        view.expect_rollouts([run.service])
        run.outcomes = stages.wait_for_rollouts([watch], timeout, view.rollout, rollout_source())
