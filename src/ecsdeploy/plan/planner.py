"""desired + observed -> plan. Pure: no AWS calls.

Desired resources are matched to observed ones by logical key (the ``ecsdeploy:key`` tag).
Refs to resources that exist resolve to their ids; refs to resources still to be created
or replaced resolve to ``Unknown``, which compares unequal to everything, so a resource
that depends on a replaced one is updated (or replaced, if the field forces it).
"""

from __future__ import annotations

import graphlib
import hashlib
import json
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ecsdeploy.plan.model import Action, Plan, Step
from ecsdeploy.resources import registry
from ecsdeploy.resources.base import (
    Change,
    Desired,
    DownKeeps,
    Handler,
    Observed,
    Ref,
    Unknown,
)


@dataclass(frozen=True)
class Conflict:
    """A name the app wants is held by a resource it does not own."""

    kind: str
    name: str
    id: str
    tags: Mapping[str, str]

    def __str__(self) -> str:
        from ecsdeploy.spec.naming import TAG_APP, TAG_ENV

        owner = (
            f"owned by app '{self.tags[TAG_APP]}' env '{self.tags.get(TAG_ENV, '?')}'"
            if TAG_APP in self.tags
            else "not created by ecsdeploy (no ecsdeploy tags)"
        )
        return f"{self.kind} '{self.name}' ({self.id}) already exists and is {owner}"


class OwnershipConflict(Exception):
    """The plan would have to modify or delete resources this app does not own."""

    def __init__(self, conflicts: list[Conflict]) -> None:
        self.conflicts = conflicts
        super().__init__("; ".join(str(c) for c in conflicts))


def make_plan(
    desired: list[Desired],
    observed: Iterable[Observed],
    handlers: Mapping[str, Handler],
    applied: Mapping[str, str] | None = None,
) -> Plan:
    """Diff ``desired`` against ``observed`` into a plan of steps. ``applied`` (logical key
    -> fingerprint of what ecsdeploy last set, see reconcile.applied) marks drift."""
    owned: dict[str, Observed] = {}
    extra: list[Observed] = []
    conflicts: list[Conflict] = []
    wanted = {d.key: d for d in desired}
    if len(wanted) != len(desired):
        raise ValueError("duplicate desired keys")  # a bug in desired, not user input
    for seen in observed:
        if not seen.owned:
            if seen.key in wanted:
                conflicts.append(Conflict(seen.kind, seen.name, seen.id, seen.tags))
            continue
        if seen.key in owned or seen.key not in wanted or wanted[seen.key].kind != seen.kind:
            extra.append(seen)  # duplicate left by a crash, or no longer in the spec
        else:
            owned[seen.key] = seen
    if conflicts:
        raise OwnershipConflict(conflicts)

    steps: dict[str, Step] = {}
    order = graphlib.TopologicalSorter({d.key: d.refs() & wanted.keys() for d in desired})
    for key in order.static_order():
        want = wanted[key]
        handler = handlers[want.kind]
        have = owned.get(key)
        props = want.props.resolved(lambda ref: _lookup(ref, steps, owned, handlers))
        step = Step(
            action=Action.CREATE,
            kind=want.kind,
            key=key,
            name=want.name,
            layer=handler.layer,
            want=want,
            have=have,
            depends_on=want.refs() & wanted.keys(),
        )
        if have is not None:
            step.changes = handler.diff(props, have)
            for ref_key in sorted(step.depends_on):
                held = steps[ref_key]
                if (
                    held.action is Action.REPLACE
                    and handlers[held.kind].held_by_dependents
                    and not held.alongside
                ):
                    # the old one cannot go while this still uses it: replace this too
                    # (a replacement alongside leaves the old one until this has moved)
                    step.changes.append(Change(f"({ref_key})", "replaced", "replaced", True))
            tags = _missing_tags(handler, want, have)
            if tags is not None:
                step.changes.append(tags)
            if any(c.replace for c in step.changes):
                step.action = Action.REPLACE
                _how_replaced(step, handler, steps)
            elif step.changes:
                step.action = Action.UPDATE
            else:
                step.action = Action.NOOP
        step.drift = _is_drift(step, steps, (applied or {}).get(key))
        steps[key] = step
    ordered = [steps[d.key] for d in desired]
    for gone in extra:
        ordered.append(
            Step(
                action=Action.DELETE,
                kind=gone.kind,
                key=gone.key,
                name=gone.name,
                layer=handlers[gone.kind].layer,
                have=gone,
            )
        )
    return Plan(steps=ordered, observed=owned)


def _how_replaced(step: Step, handler: Handler, steps: Mapping[str, Step]) -> None:
    """Beside the old one when the kind allows it and nothing it stands on is replaced in
    place (that must go first: a new target group in a new VPC); else in place, with the
    downtime that brings for a kind serving traffic."""
    assert step.want is not None and step.have is not None
    in_place = [
        k for k in step.depends_on if steps[k].action is Action.REPLACE and not steps[k].alongside
    ]
    if handler.replace_alongside and not in_place:
        step.alongside = True
        made = handler.alongside(step.want, step.have)
        step.make = made if made is not step.want else None
    elif handler.downtime:
        step.downtime = handler.downtime


def fingerprint(want: Desired) -> str:
    """A short digest of what the spec asks of one resource (Refs by name, unresolved)."""
    text = json.dumps([want.kind, want.name, _canonical(want.props.as_mapping())], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _canonical(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, frozenset | set):
        return sorted((_canonical(v) for v in value), key=lambda v: json.dumps(v, default=str))
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)  # Ref, Joined: by what they name


def _missing_tags(handler: Handler, want: Desired, have: Observed) -> Change | None:
    """The tags ecsdeploy set that the resource no longer has as set (for kinds that can
    put them back in place); other tags are the user's and left alone."""
    if not handler.retags:
        return None
    wanted = handler.tags(want)
    if all(have.tags.get(k) == v for k, v in wanted.items()):
        return None
    before = {k: have.tags[k] for k in wanted if k in have.tags}
    return Change("tags", before, wanted)


def _is_drift(step: Step, steps: Mapping[str, Step], last_set: str | None) -> bool:
    """The live resource differs from what ecsdeploy last set, and the spec did not change:
    it was changed, or deleted, outside ecsdeploy."""
    if step.action is Action.NOOP or step.want is None:
        return False
    if any(c.field == "tags" for c in step.changes):
        return True  # ecsdeploy always sets them, the same way
    if last_set != fingerprint(step.want):
        return False  # never applied, or the spec changed since
    if any(isinstance(c.after, Unknown) or c.field.startswith("(") for c in step.changes):
        return False  # follows a resource being created or replaced
    return all(steps[k].action in (Action.NOOP, Action.UPDATE) for k in step.depends_on)


def delete_all(observed: Iterable[Observed], handlers: Mapping[str, Handler]) -> Plan:
    """The plan of ``down``: every owned resource, deleted."""
    return make_plan([], [o for o in observed if o.owned], handlers)


def set_aside_kept(plan: Plan, flags: Collection[str]) -> list[tuple[Step, DownKeeps]]:
    """Take out of a ``down`` plan what ``down`` run with ``flags`` keeps (log groups
    unless ``--keep-logs``, data unless ``--purge-data``: each kind's ``down_keeps``);
    return those steps, with why."""
    kept: list[tuple[Step, DownKeeps]] = []
    for step in plan.steps:
        kind = registry.kind_class(step.kind)
        why = kind.down_keeps(step.have) if kind is not None and step.have is not None else None
        if why is not None and why.keeps(flags):
            kept.append((step, why))
    plan.set_aside(step for step, _ in kept)
    return kept


def _lookup(
    ref: Ref,
    steps: Mapping[str, Step],
    owned: Mapping[str, Observed],
    handlers: Mapping[str, Handler],
) -> Any:
    step = steps.get(ref.key)
    if step is None or step.action in (Action.CREATE, Action.REPLACE):
        return Unknown(ref)
    if step.action is Action.UPDATE and ref.attr in handlers[step.kind].volatile_attrs:
        return Unknown(ref)
    return owned[ref.key].attr(ref.attr)
