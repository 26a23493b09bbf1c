"""Renders a plan grouped by layer, with per-field changes for updates and replaces."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape

from ecsdeploy.output.console import short_id
from ecsdeploy.plan.model import Action, Plan, Step

LAYERS = ("network", "iam", "logs", "load_balancer", "services")
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
    for layer in (*LAYERS, *sorted({s.layer for s in changes} - set(LAYERS))):
        steps = [s for s in changes if s.layer == layer]
        if not steps:
            continue
        console.print(f"  [bold]{layer.replace('_', ' ')}[/]")
        for step in steps:
            _step(console, step)
    console.print(f"[bold]Plan:[/] {plan.summary()}.")


def _step(console: Console, step: Step) -> None:
    style = _STYLE.get(step.action, "")
    ident = f" ({short_id(step.have.id)})" if step.have and step.have.id != step.name else ""
    console.print(
        f"    [{style}]{step.action.symbol:>3} {step.action.value:<8}[/] "
        f"{escape(step.kind)} [bold]{escape(step.name)}[/]{escape(ident)}"
    )
    for change in step.changes:
        forces = " [magenta](forces replacement)[/]" if change.replace else ""
        console.print(
            f"          {escape(change.field)}: {escape(_short(change.before))} -> "
            f"{escape(_short(change.after))}{forces}"
        )


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
    return text if len(text) <= 160 else text[:157] + "..."
