"""What ecsdeploy last set, so that `plan` can tell drift from a spec change.

After each apply, the fingerprint of every resource's desired props (as the spec gave them,
Refs unresolved) is kept in one SSM parameter, ``/ecsdeploy/APP/ENV/applied``, as
``{logical key: fingerprint}``. A later plan that finds a live resource differing from the
spec while the spec's fingerprint for it is unchanged knows that the resource was changed
(or deleted) outside ecsdeploy: drift. The parameter goes with `down`.

It is written only when it changes, so an unchanged `up` still makes no write. Without it
(never applied, or no permission to read it) nothing is reported as drift.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from ecsdeploy.aws.clients import Aws
from ecsdeploy.aws.errors import AccessDenied, AlreadyExists, NotFound
from ecsdeploy.plan.model import Action, Plan, Step
from ecsdeploy.plan.planner import fingerprint
from ecsdeploy.spec.naming import Owner, dict_to_tags

Record = dict[str, str]


def record_name(owner: Owner) -> str:
    return f"/ecsdeploy/{owner.app}/{owner.env}/applied"


def load(aws: Aws, owner: Owner) -> Record:
    try:
        value = aws.client("ssm").get_parameter(Name=record_name(owner))["Parameter"]["Value"]
    except (NotFound, AccessDenied):
        return {}
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
            record[step.key] = fingerprint(step.want)
    return record


def save(aws: Aws, owner: Owner, before: Mapping[str, str], record: Mapping[str, str]) -> None:
    if dict(before) == dict(record):
        return
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
