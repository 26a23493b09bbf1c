"""After a release's rollouts: put back what failed fast, and, for an atomic release, the
release's other services too.

``reconcile.rollout.watch`` stops waiting for a service as soon as ``SAME_REASON`` tasks of
its new revision stopped for one cause; ECS would go on starting tasks until its circuit
breaker gave up after ten. Here the service is put back on the revision it ran before. With
``release: {atomic: true}`` (the default), when one service of the release went back (this
way or by the circuit breaker), every other service the release changed goes back too, even
one that already rolled out, so the app never runs half a release. A service new in the
release has no earlier revision: it is left as it is, and said so.

How a service goes back: UpdateService with the earlier ``taskDefinition``. ecsdeploy's
services use the rolling-update (``ECS``) deployment controller, for which UpdateService
documents that "the task definition can be updated" and that "Amazon ECS starts new tasks
with the new configuration"
(https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_UpdateService.html).
StopServiceDeployment with ``stopType`` ROLLBACK also goes back to the previous service
revision, but only for a deployment still PENDING or IN_PROGRESS
(https://docs.aws.amazon.com/AmazonECS/latest/developerguide/stop-service-deployment.html):
an atomic release must also put back a service whose rollout already COMPLETED, so one
call does both. ECS then rolls the earlier revision out as any rollout; ``up`` does not wait
for it (the circuit breaker's own rollback is not waited for either).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from ecsdeploy.aws.errors import AwsError
from ecsdeploy.ops.stages import Stages
from ecsdeploy.reconcile.ecs_rollbacks import rolled_back_by_ecs
from ecsdeploy.reconcile.rollout import SAME_CAUSE, WITH_RELEASE, Outcome, Watch


def went_back(outcome: Outcome) -> bool:
    """Whether ``outcome`` is a rollout that failed and goes back to its earlier revision."""
    return not outcome.ok and (rolled_back_by_ecs(outcome.reason) or SAME_CAUSE in outcome.reason)


def roll_back(
    stages: Stages, watches: Sequence[Watch], outcomes: Sequence[Outcome], atomic: bool
) -> list[Outcome]:
    """The outcomes after putting back the services that failed fast and, with ``atomic``,
    the rest of the release; one UpdateService per service put back."""
    by_name = {w.service: w for w in watches}
    failed = [o.service for o in outcomes if went_back(o)]
    out = []
    for outcome in outcomes:
        w = by_name.get(outcome.service)
        if w is None:
            out.append(outcome)
        elif SAME_CAUSE in outcome.reason and not outcome.ok:
            out.append(_put_back(stages, w, outcome, outcome.reason))
        elif atomic and failed and outcome.service not in failed and _changed(w):
            others = ", ".join(failed)
            out.append(_put_back(stages, w, outcome, f"{WITH_RELEASE}: {others} failed"))
        else:
            out.append(outcome)
    return out


def _changed(w: Watch) -> bool:
    """Whether the release changed the service's revision (there is one to go back to)."""
    return bool(w.previous) and w.previous != w.task_definition


def _put_back(stages: Stages, w: Watch, outcome: Outcome, reason: str) -> Outcome:
    if not _changed(w):
        why = f"{reason}; no earlier revision to go back to"
        return replace(outcome, ok=False, reason=why, note="")
    revision = w.previous.rsplit("/", 1)[-1]
    try:
        stages.aws.client("ecs").update_service(
            cluster=w.cluster, service=w.service, taskDefinition=w.previous
        )
    except AwsError as exc:
        why = f"{reason}; could not go back to {revision} ({exc.message})"
        return replace(outcome, ok=False, reason=why, note="")
    why = f"{reason}; rolled back to {revision}"
    return replace(outcome, ok=False, reason=why, note="", rolled_back_to=w.previous)
