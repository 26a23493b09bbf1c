"""The plan as data: what ``up`` or ``down`` will do, step by step.

``ecsdeploy plan`` prints it, ``up`` executes it and tests assert on it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from ecsdeploy.resources.base import Change, Desired, Observed


class Action(str, Enum):
    CREATE = "create"
    UPDATE = "update"
    REPLACE = "replace"
    DELETE = "delete"
    NOOP = "no-op"

    @property
    def symbol(self) -> str:
        return {"create": "+", "update": "~", "replace": "-/+", "delete": "-", "no-op": " "}[
            self.value
        ]


@dataclass
class Step:
    """One resource and what to do with it."""

    action: Action
    kind: str
    key: str
    name: str
    layer: str
    want: Desired | None = None
    have: Observed | None = None
    changes: list[Change] = field(default_factory=list)
    depends_on: set[str] = field(default_factory=set)  # keys of steps that must finish first
    # the live resource differs from what ecsdeploy last set, with the spec unchanged: it
    # was changed or deleted outside ecsdeploy (see plan.planner)
    drift: bool = False
    # a replace made beside the old resource (``Handler.replace_alongside``): create the
    # new one, move its users, then retire the old one; ``make`` is what the create makes
    # when it differs from ``want`` (another name)
    alongside: bool = False
    make: Desired | None = None
    # a replace that interrupts traffic: why (``Handler.downtime``); "" for none
    downtime: str = ""
    # why the change, when an operation outside the spec explains it (plan.operations)
    note: str = ""

    @property
    def id(self) -> str:
        return f"{self.kind}:{self.key}"

    def to_json(self) -> dict[str, Any]:
        return {
            "action": self.action.value,
            "kind": self.kind,
            "key": self.key,
            "name": self.name,
            "layer": self.layer,
            "id": self.have.id if self.have else None,
            "drift": self.drift,
            "alongside": self.alongside,
            "downtime": self.downtime or None,
            "changes": [
                {
                    "field": c.field,
                    "before": _jsonable(c.before),
                    "after": _jsonable(c.after),
                    "forces_replacement": c.replace,
                }
                for c in self.changes
            ],
            **({"note": self.note} if self.note else {}),
        }


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, frozenset | set):
        return sorted((_jsonable(v) for v in value), key=str)
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


@dataclass(frozen=True)
class Unsettled:
    """An ECS service the plan leaves as it is whose current rollout has not reached its
    revision running and healthy: still in progress, or failed. ``up`` waits for it (or
    fails), ``plan`` shows it."""

    key: str
    service: str
    state: str  # "in progress" or "failed"
    reason: str  # what ECS says of the deployment, or ""

    def line(self) -> str:
        """``api: rollout in progress (ECS deployment ecs-svc/1 in progress.)``"""
        why = f" ({self.reason})" if self.reason else ""
        return f"{self.service}: rollout {self.state}{why}"


@dataclass
class Plan:
    """All steps, including no-ops (kept so ``status`` and the executor see every resource)."""

    steps: list[Step]
    observed: dict[str, Observed] = field(default_factory=dict)  # by key
    # services left unchanged whose last rollout is not done (see ops.stages.plan_up)
    unsettled: list[Unsettled] = field(default_factory=list)
    # key -> the fingerprint the applied record keeps for it, where that is not the
    # fingerprint of its step's want (an images-only plan pins its wants: plan.images_only)
    recorded: dict[str, str] = field(default_factory=dict)

    @property
    def changes(self) -> list[Step]:
        return [s for s in self.steps if s.action is not Action.NOOP]

    @property
    def empty(self) -> bool:
        return not self.changes

    def set_aside(self, steps: Iterable[Step]) -> None:
        """Take ``steps`` out of the plan (what ``down`` keeps)."""
        aside = {id(step) for step in steps}
        self.steps = [s for s in self.steps if id(s) not in aside]

    @property
    def settled(self) -> bool:
        """Nothing to change and no rollout left to finish: ``up`` has nothing to do."""
        return self.empty and not self.unsettled

    @property
    def destructive(self) -> list[Step]:
        return [s for s in self.steps if s.action in (Action.DELETE, Action.REPLACE)]

    @property
    def downtime(self) -> list[Step]:
        """Replacements that interrupt traffic: ``up`` asks for them even with --yes."""
        return [s for s in self.steps if s.action is Action.REPLACE and s.downtime]

    def counts(self) -> dict[str, int]:
        out = {a.value: 0 for a in Action}
        for step in self.steps:
            out[step.action.value] += 1
        return out

    def summary(self) -> str:
        """``3 to create, 1 to update, 0 to delete`` (and ``N to replace`` when N > 0)."""
        c = self.counts()
        replace = f"{c['replace']} to replace, " if c["replace"] else ""
        return f"{c['create']} to create, {c['update']} to update, {replace}{c['delete']} to delete"

    def to_json(self) -> dict[str, Any]:
        return {
            "summary": self.counts(),
            "steps": [s.to_json() for s in self.changes],
            "unsettled": [
                {"service": u.service, "state": u.state, "reason": u.reason} for u in self.unsettled
            ],
        }
