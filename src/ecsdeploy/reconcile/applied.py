"""What ecsdeploy last set, so that `plan` can tell drift from a spec change.

After each apply, the fingerprint of every resource's desired props (as the spec gave them,
Refs unresolved) is kept in one SSM parameter, ``/ecsdeploy/APP/ENV/applied``, as
``{logical key: fingerprint}``. A later plan that finds a live resource differing from the
spec while the spec's fingerprint for it is unchanged knows that the resource was changed
(or deleted) outside ecsdeploy: drift. The parameter goes with `down`.

It is written after every apply (an unchanged `up` applies nothing, so it still makes no
write), which also makes it the app's change counter: every run that changed something
rewrites it before it lets go of the lock, so a run that reads its stamp (version and time
of the last write) before observing AWS and again once it holds the lock knows whether
anyone changed the app in between (``Seen.unchanged``). Without it (never applied, or no
permission to read it) nothing is reported as drift.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ecsdeploy.aws.clients import Aws
from ecsdeploy.aws.errors import AccessDenied, AlreadyExists, NotFound
from ecsdeploy.plan.model import Action, Plan, Step
from ecsdeploy.plan.planner import fingerprint
from ecsdeploy.spec.naming import Owner, dict_to_tags

Record = dict[str, str]

ABSENT = "absent"  # the stamp of a record that does not exist


@dataclass(frozen=True)
class Seen:
    """The record as one read found it, and its stamp: ``version@last-modified``,
    ``ABSENT``, or None when it could not be read (no permission)."""

    record: Record
    stamp: str | None

    def unchanged(self, now: str | None) -> bool:
        """Whether no run changed the app between this read and the read that gave ``now``.

        A run that changed something rewrote the record (or deleted it, when it left
        nothing), so an equal stamp means no change. An absent record proves nothing: a
        first `up` that failed before it set anything leaves none, whatever it created.
        """
        return self.stamp is not None and self.stamp != ABSENT and now == self.stamp


def record_name(owner: Owner) -> str:
    return owner.applied_record()


def read(aws: Aws, owner: Owner) -> Seen:
    """The record and its stamp; from the read ``cli.shared.reach`` sent at start-up, when
    it did (the first read of this run only)."""
    try:
        found = aws.get_parameter(record_name(owner))["Parameter"]
    except NotFound:
        return Seen({}, ABSENT)
    except AccessDenied:
        return Seen({}, None)
    stamp = f"{found.get('Version')}@{found.get('LastModifiedDate')}"
    return Seen(_parse(str(found.get("Value", ""))), stamp)


def load(aws: Aws, owner: Owner) -> Record:
    return read(aws, owner).record


def _parse(value: str) -> Record:
    try:
        found: Any = json.loads(value)
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in found.items()} if isinstance(found, dict) else {}


def after(before: Mapping[str, str], plan: Plan, done: Iterable[Step]) -> Record:
    """The record once ``done`` (steps of ``plan``) are applied: unchanged resources and
    those created or updated now are as the spec says; deleted ones are gone."""
    record = dict(before)
    finished = [s for s in plan.steps if s.action is Action.NOOP] + list(done)
    for step in finished:
        if step.action is Action.DELETE:
            if step.key not in {s.key for s in plan.steps if s.want is not None}:
                record.pop(step.key, None)
        elif step.want is not None:
            record[step.key] = plan.recorded.get(step.key) or fingerprint(step.want)
    return record


def save(aws: Aws, owner: Owner, before: Mapping[str, str], record: Mapping[str, str]) -> None:
    """Write the record after an apply, even when its content is the same (a drift repair,
    a failed step): the write is what tells a concurrent planner that the app changed."""
    ssm = aws.client("ssm")
    if not record:
        try:
            ssm.delete_parameter(Name=record_name(owner))
        except NotFound:
            pass
        return
    args: dict[str, Any] = {
        "Name": record_name(owner),
        "Value": json.dumps(dict(sorted(record.items())), separators=(",", ":")),
        "Type": "String",
        # a large app's record outgrows the 4 KB of a standard parameter
        "Tier": "Intelligent-Tiering",
        "Description": "ecsdeploy: fingerprints of what it last set, to tell drift apart",
    }
    if not before:  # tags go only with a create (AWS refuses them with Overwrite)
        try:
            ssm.put_parameter(**args, Tags=dict_to_tags(owner.tags("applied")))
            return
        except AlreadyExists:
            pass  # a record this run could not read: replace it
    ssm.put_parameter(**args, Overwrite=True)
