"""Renders a plan grouped by layer: what each create sets, per-field changes for updates
and replaces (before -> after), what each delete takes with it, and the summary line."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape

from ecsdeploy.output.console import short_id
from ecsdeploy.output.plan_details import Names, attributes, delete_note, label
from ecsdeploy.plan.model import Action, Plan, Step

LAYERS = ("network", "iam", "logs", "images", "data", "load_balancer", "services")
INDENT = " " * 10
_STYLE = {
    Action.CREATE: "green",
    Action.UPDATE: "yellow",
    Action.REPLACE: "magenta",
    Action.DELETE: "red",
}


def show_plan(console: Console, plan: Plan, title: str) -> None:
    if plan.empty:
        console.print(f"[bold]{escape(title)}[/]: No changes. AWS matches the spec.")
        return
    console.print(f"[bold]{escape(title)}[/]")
    changes = plan.changes
    names = names_of(plan)
    for layer in (*LAYERS, *sorted({s.layer for s in changes} - set(LAYERS))):
        steps = [s for s in changes if s.layer == layer]
        if not steps:
            continue
        console.print(f"  [bold]{layer.replace('_', ' ')}[/]")
        for step in steps:
            _step(console, step, names)
    console.print(f"[bold]Plan:[/] {plan.summary()}.")


def names_of(plan: Plan) -> Names:
    """Logical key -> the name users see, for showing references by name."""
    return {s.key: s.name for s in plan.steps}


def _step(console: Console, step: Step, names: Names) -> None:
    style = _STYLE.get(step.action, "")
    ident = f" ({short_id(step.have.id)})" if step.have and step.have.id != step.name else ""
    console.print(
        f"    [{style}]{step.action.symbol:>3} {step.action.value:<8}[/] "
        f"{escape(step.kind)} [bold]{escape(step.name)}[/]{escape(ident)}"
        f"  [dim]{escape(label(step.kind))}[/]"
    )
    if step.action is Action.CREATE and step.want is not None:
        for name, text in attributes(step.kind, step.want.props, names):
            console.print(f"{INDENT}{escape(name)}: {escape(_clip(text))}")
    if step.action is Action.DELETE and delete_note(step.kind):
        console.print(f"{INDENT}[red]{escape(delete_note(step.kind))}[/]")
    for change in step.changes:
        forces = " [magenta](forces replacement)[/]" if change.replace else ""
        console.print(
            f"{INDENT}{escape(change.field)}: {escape(_short(change.before))} -> "
            f"{escape(_short(change.after))}{forces}"
        )


def _clip(text: str) -> str:
    return text if len(text) <= 160 else text[:157] + "..."


def _short(value: Any) -> str:
    if isinstance(value, frozenset | set):
        text = "{" + ", ".join(sorted(_short(v) for v in value)) + "}"
    elif isinstance(value, dict):
        text = "{" + ", ".join(f"{k}: {_short(v)}" for k, v in sorted(value.items())) + "}"
    elif isinstance(value, tuple):
        text = "(" + ", ".join(_short(v) for v in value) + ")"
    elif value is None:
        text = "(none)"
    else:
        text = str(value) if not isinstance(value, str) else value
    return _clip(text)
