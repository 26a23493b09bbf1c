"""Releases: what an `up` or a `rollback` records in the ledger (``resources.releases``),
and the `history` use case that reads it.

A release is recorded once its outcome is known: the ledger's next number, the images of
the app's repositories tagged with it (so ECR keeps them), then the record in one write;
the releases beyond the last ``KEPT`` are deleted and their tags removed. A failure to
record never fails the deploy it records: it comes back as a warning.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from ecsdeploy.aws.errors import AwsError
from ecsdeploy.ops.paused import settle_ended
from ecsdeploy.ops.stages import Stages
from ecsdeploy.reconcile.ecs_rollbacks import rolled_back_by_ecs
from ecsdeploy.reconcile.executor import Result
from ecsdeploy.reconcile.rollout import WITH_RELEASE, Outcome
from ecsdeploy.resources import keys, release_images, releases
from ecsdeploy.resources.releases import Release, ServiceRelease
from ecsdeploy.resources.service_deployments import PAUSED_NOTE
from ecsdeploy.spec.models import Spec


@dataclass
class Recorded:
    """A release as written (None: it could not be), and what went wrong on the way."""

    release: Release | None
    warnings: list[str] = field(default_factory=list)


def spec_hash(spec: Spec | None) -> str:
    """The spec's content, as loaded (``${env.X}`` resolved, extends merged): 16 hex.

    Keys left at their defaults are not hashed, so a release recorded by an older
    ecsdeploy keeps its hash when a newer one adds a spec key with a default.
    """
    if spec is None:
        return ""
    content = spec.model_dump_json(exclude_defaults=True)
    return hashlib.sha256(content.encode()).hexdigest()[:16]


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def services_run(result: Result) -> dict[str, ServiceRelease]:
    """What every classic service runs after an apply: revision, image, deployment."""
    found = {}
    for key, have in result.resources.items():
        if have.kind != "ecs.service":
            continue
        name = key.removeprefix(keys.ecs_service(""))
        task = result.resources.get(keys.task_definition(name))
        arn = str(have.props.get("task_definition") or (task.attr("arn") if task else ""))
        image = str(task.props.get("image", "")) if task is not None else ""
        found[name] = ServiceRelease(
            task_definition=arn,
            image=image,
            deployment=str(have.attrs.get("deployment") or ""),
            outcome=releases.UNCHANGED,
        )
    return found


def outcome_of(
    outcomes: Sequence[Outcome], not_waited: Sequence[str], failed_steps: Sequence[str]
) -> tuple[str, str, dict[str, str]]:
    """The release's outcome, its reason, and each changed service's outcome."""
    each: dict[str, str] = {name: releases.NOT_WAITED for name in not_waited}
    reasons = []
    for o in outcomes:
        if o.ok and o.note.startswith(PAUSED_NOTE):
            each[o.service] = releases.PAUSED
            continue
        if o.ok:
            each[o.service] = releases.ROLLED_OUT
            continue
        back = rolled_back_by_ecs(o.reason) or bool(o.rolled_back_to)
        each[o.service] = releases.ROLLED_BACK if back else releases.FAILED
        why = f"{o.service}: {o.reason}"
        if o.stopped_reasons and o.stopped_reasons[0] not in o.reason:
            why += f" ({o.stopped_reasons[0]})"
        reasons.append(why)
    # the services an atomic release put back with a failed one first: short, and they name
    # it (a long reason is cut to MAX_REASON in the record)
    reasons.sort(key=lambda why: WITH_RELEASE not in why.split(": ", 2)[1])
    if failed_steps:
        return releases.FAILED, "failed: " + ", ".join(failed_steps), each
    if reasons:
        rolled_back = all(v != releases.FAILED for v in each.values())
        return (releases.ROLLED_BACK if rolled_back else releases.FAILED), "; ".join(reasons), each
    if not_waited:
        return releases.NOT_WAITED, "", each
    if releases.PAUSED in each.values():
        return releases.PAUSED, "", each
    return releases.ROLLED_OUT, "", each


def draft(
    stages: Stages,
    services: Mapping[str, ServiceRelease],
    outcome: tuple[str, str, dict[str, str]],
    rollback_to: int | None = None,
) -> Release:
    """A release to record (numbered when written)."""
    state, reason, each = outcome
    marked = {
        name: replace(svc, outcome=each.get(name, svc.outcome)) for name, svc in services.items()
    }
    return Release(
        number=0,
        at=now(),
        by=caller(stages),
        spec_hash=spec_hash(stages.target.spec),
        outcome=state,
        reason=reason,
        services=marked,
        rollback_to=rollback_to,
        promoted_from=stages.promoted_from,
    )


def caller(stages: Stages) -> str:
    """Who runs this (a release names them): the ARN of the credentials' identity, asked
    once a run; "?" when it cannot be asked."""
    try:
        return stages.aws.caller_arn()
    except AwsError:  # who it was is worth no failed deploy
        return "?"


def ledger(stages: Stages) -> list[Release] | None:
    """The ledger as it is now, read ahead of ``record`` (``up`` reads it while the rollout
    runs); None when it could not be read (``record`` reads it again). A release another
    run writes meanwhile is met by ``releases.write``: this one takes the next number."""
    try:
        return releases.read_all(stages.aws, stages.target.owner)
    except AwsError:
        return None


def record(stages: Stages, release: Release, known: Sequence[Release] | None = None) -> Recorded:
    """Write ``release`` as the next in the ledger: tag its images, write it, prune."""
    aws, owner = stages.aws, stages.target.owner
    warnings: list[str] = []
    try:
        if known is None:
            known = releases.read_all(aws, owner)
        number = max((r.number for r in known), default=0) + 1
        services, warnings = release_images.tag(aws, owner, number, release.services)
        written = releases.write(aws, owner, replace(release, services=services), known)
        if written.number != number:  # another run took the number: the tags follow
            warnings += release_images.untag(aws, owner, replace(written, number=number))
            warnings += release_images.tag(aws, owner, written.number, services)[1]
        pruned = releases.to_prune([*known, written])
        if pruned:
            releases.delete(aws, owner, pruned)
            for old in pruned:
                warnings += release_images.untag(aws, owner, old)
    except AwsError as exc:
        return Recorded(
            None,
            [
                *warnings,
                f"could not record the release in {releases.path(owner)} ({exc.message}); "
                "`history` and `rollback` will not know it",
            ],
        )
    return Recorded(written, warnings)


def history(stages: Stages) -> list[Release]:
    """The releases kept, oldest first; a paused newest one that ECS has since ended is
    settled first (``ops.paused.settle_ended``)."""
    return settle_ended(stages, releases.read_all(stages.aws, stages.target.owner))
