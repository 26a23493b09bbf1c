"""Plan notes for what `ecsdeploy scale` changed outside the spec: a change of a service's
desired count (or autoscaling range) back to the spec's says who scaled it, when, and that
`up` puts the spec's value back (``resources.service_marks`` reads the mark)."""

from __future__ import annotations

from ecsdeploy.plan.model import Plan, Step
from ecsdeploy.resources import keys
from ecsdeploy.resources.service_marks import TAG_SCALED, mark_of


def note_operations(plan: Plan) -> None:
    """Set ``note`` on the steps that undo a `scale`."""
    for step in plan.changes:
        if step.kind == "ecs.service" and step.have is not None:
            _count_note(step)
        elif step.kind == "autoscaling.target":
            service = plan.observed.get(
                keys.ecs_service(step.key.removeprefix(keys.scaling_target("")))
            )
            if service is not None:
                _range_note(step, service.tags)


def _count_note(step: Step) -> None:
    assert step.have is not None
    mark = mark_of(step.have.tags, TAG_SCALED)
    change = next((c for c in step.changes if c.field == "desired_count"), None)
    if mark is None or change is None or mark.desired != change.before:
        return
    step.note = (
        f"desired count {change.before} -> {change.after}: scaled by `ecsdeploy scale` at "
        f"{mark.at}{_by(mark.by)}; up puts it back to the spec's {change.after}"
    )


def _range_note(step: Step, tags: dict[str, str]) -> None:
    mark = mark_of(tags, TAG_SCALED)
    if mark is None or mark.min is None or step.have is None:
        return
    have = step.have.props
    if (have.get("min"), have.get("max")) != (mark.min, mark.max):
        return
    want = step.want.props.as_mapping() if step.want is not None else {}
    step.note = (
        f"autoscaling range {mark.min}-{mark.max}: scaled by `ecsdeploy scale` at {mark.at}"
        f"{_by(mark.by)}; up puts it back to the spec's {want.get('min')}-{want.get('max')}"
    )


def _by(who: str) -> str:
    return f" by {who}" if who else ""
