"""The plan of ``up --images-only``: the spec's new images, and nothing else. Pure: no AWS
calls.

A release of new images needs few reads: each service, the latest revision of its task
definition and the built images (one round trip), then a new revision and an
UpdateService for each service whose image changed. What makes that safe to decide from
so little is the applied record (``reconcile.applied``): it keeps what the spec asked of
every resource at the last apply. When the spec asks the same of every resource but the
services' task definitions and built images, no other resource needs a change, unless it
was changed outside ecsdeploy (drift). An images-only run does not look for drift (a full
`up` does, and repairs it), and changes nothing else. It refuses, before any change:

- when no apply was recorded, or the spec changed anything else since the last one;
- when a task definition would change more than its image, or a service more than its
  task definition (changed outside ecsdeploy, or a change only `up` makes);
- for a job's image and an Express Mode service: those ship with `up`.

The resources outside the plan are taken as they run: a Ref from a task definition or a
service to one of them (its roles, its target group, its subnets) is pinned to the value
the live resource holds in that field.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import fields, replace
from typing import Any

from ecsdeploy.plan.model import Action, Plan, Step
from ecsdeploy.plan.planner import fingerprint, make_plan
from ecsdeploy.resources import keys, registry
from ecsdeploy.resources.base import Desired, Handler, Observed, refs_in

KINDS = frozenset({"ecs.task_definition", "ecs.service", "ecr.image"})  # what it reads


class NotImagesOnly(Exception):
    """The spec, or what runs, asks for more than new images (each reason says what)."""

    def __init__(self, reasons: Sequence[str]) -> None:
        self.reasons = list(reasons)
        super().__init__("; ".join(self.reasons))


def released(desired: Sequence[Desired], record: Mapping[str, str]) -> list[Desired]:
    """What an images-only run reads and may change: every classic service, its task
    definition and its built image. Raises NotImagesOnly when ``record`` (the applied
    record; empty: none) shows that the spec changes anything else."""
    if not record:
        first = "no earlier `up` of this app and env is recorded: nothing tells what else"
        raise NotImagesOnly([f"{first} would change"])
    services = [d.name for d in desired if d.kind == "ecs.service"]
    mine = {f(name) for name in services for f in (keys.ecs_service, keys.task_definition)}
    mine |= {keys.image(name) for name in services}
    reasons = [
        f"{_label(d.kind)} {d.name} changes"
        for d in desired
        if d.key not in mine and fingerprint(d) != record.get(d.key)
    ]
    wanted = {d.key for d in desired}
    reasons += [f"{key} is no longer in the spec" for key in sorted(record.keys() - wanted)]
    if reasons:
        raise NotImagesOnly(reasons)
    return [d for d in desired if d.key in mine]


def changes_ahead(wants: Sequence[Desired], record: Mapping[str, str]) -> bool:
    """Whether ``record`` alone shows that the plan of ``wants`` changes something with no
    image to build first: the spec changed a task definition, and no built image."""
    changed = {w.kind for w in wants if fingerprint(w) != record.get(w.key)}
    return "ecs.task_definition" in changed and "ecr.image" not in changed


def images_plan(
    wants: Sequence[Desired],
    observed: Sequence[Observed],
    handlers: Mapping[str, Handler],
    record: Mapping[str, str],
) -> Plan:
    """The plan for ``wants`` (from ``released``) against what was read of them; raises
    NotImagesOnly when a step would change more than an image (see the module)."""
    inside = {w.key for w in wants}
    have = {o.key: o for o in observed if o.owned}
    plan = make_plan([pin(w, have.get(w.key), inside) for w in wants], observed, handlers, record)
    reasons = [r for r in (_refused(step) for step in plan.steps) if r]
    if reasons:
        raise NotImagesOnly(reasons)
    # the record keeps what the spec asked, not the pinned wants; for a service, what the
    # last `up` recorded: an image changes nothing the spec asks of it (its Refs count by
    # name), and `up` may have recorded it as it follows the traffic (desired.
    # follow_traffic), which this run does not read
    plan.recorded = {
        w.key: record.get(w.key, fingerprint(w)) if w.kind == "ecs.service" else fingerprint(w)
        for w in wants
    }
    return plan


def pin(want: Desired, have: Observed | None, inside: Collection[str]) -> Desired:
    """``want`` with each Ref to a resource outside ``inside`` replaced by what ``have``
    holds in that field (entry by entry in a mapping, such as a container's env)."""
    if have is None:
        return want
    props = {
        f.name: _pinned(getattr(want.props, f.name), have.props.get(f.name), inside)
        for f in fields(want.props)
    }
    return replace(want, props=replace(want.props, **props))


def _pinned(value: Any, live: Any, inside: Collection[str]) -> Any:
    if not refs_in(value) - set(inside):
        return value
    if isinstance(value, Mapping) and isinstance(live, Mapping):
        return {k: _pinned(v, live.get(k), inside) for k, v in value.items()}
    return live


def _refused(step: Step) -> str:
    """Why an images-only run cannot take ``step`` ("" when it can)."""
    changed = sorted({c.field for c in step.changes})
    allowed = {"ecs.task_definition": ["image"], "ecs.service": ["task_definition"]}
    if step.action is Action.NOOP:
        return ""
    if step.kind == "ecr.image" and step.action is Action.CREATE:
        return ""  # the push of a new build
    if step.action is Action.UPDATE and changed == allowed.get(step.kind):
        return ""
    if step.action is Action.CREATE:
        return f"{_label(step.kind)} {step.name} does not exist"
    what = ", ".join(f for f in changed if f not in allowed.get(step.kind, [])) or step.action.value
    return f"{_label(step.kind)} {step.name} differs from the spec in more than its image ({what})"


def _label(kind: str) -> str:
    found = registry.kind_class(kind)
    return found.label if found is not None else kind
