"""Renders a plan grouped by layer: what each create sets, per-field changes for updates
and replaces (before -> after), what each delete takes with it, and the summary line."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from rich.console import Console
from rich.markup import escape

from ecsdeploy.output.console import short_id
from ecsdeploy.output.plan_details import attributes, delete_note, label
from ecsdeploy.plan.model import Action, Plan, Step
from ecsdeploy.resources.base import Unknown
from ecsdeploy.resources.describe import Names

LAYERS = ("network", "iam", "logs", "images", "data", "load_balancer", "services", "monitoring")
INDENT = " " * 10
_STYLE = {
    Action.CREATE: "green",
    Action.UPDATE: "yellow",
    Action.REPLACE: "magenta",
    Action.DELETE: "red",
}


def show_plan(console: Console, plan: Plan, title: str) -> None:
    if plan.settled:
        console.print(f"[bold]{escape(title)}[/]: No changes. AWS matches the spec.")
        return
    if plan.empty:
        console.print(f"[bold]{escape(title)}[/]: No changes to make; rollouts not done:")
        _unsettled(console, plan)
        return
    console.print(f"[bold]{escape(title)}[/]")
    changes = plan.changes
    names, ids = names_of(plan), known_ids(plan)
    for layer in (*LAYERS, *sorted({s.layer for s in changes} - set(LAYERS))):
        steps = [s for s in changes if s.layer == layer]
        if not steps:
            continue
        console.print(f"  [bold]{layer.replace('_', ' ')}[/]")
        for step in steps:
            _step(console, step, names, ids)
    console.print(f"[bold]Plan:[/] {plan.summary()}.")
    if plan.downtime:
        console.print(
            f"[bold red]{len(plan.downtime)} replacement(s) interrupt traffic[/] (marked "
            "downtime): `up` asks first, even with --yes, unless --allow-downtime is given."
        )
    if plan.unsettled:
        console.print("Rollouts not done (`up` waits for them):")
        _unsettled(console, plan)


def _unsettled(console: Console, plan: Plan) -> None:
    """A line per service whose earlier rollout is not done."""
    for found in plan.unsettled:
        style = "red" if found.state == "failed" else "yellow"
        console.print(f"  [{style}]![/] {escape(found.line())}")
    if plan.empty:
        console.print("up waits for them (or fails if they failed).")


def names_of(plan: Plan) -> Names:
    """Logical key -> the name users see, for showing references by name."""
    return {s.key: s.name for s in plan.steps}


def known_ids(plan: Plan) -> dict[str, str]:
    """Ids and ARNs of what exists -> its name, so a change reads ``mlapp-dev-api`` rather
    than a target group ARN."""
    out: dict[str, str] = {}
    existing = [*plan.observed.values(), *(s.have for s in plan.steps if s.have is not None)]
    for have in existing:
        for item in (have.id, *have.attrs.values()):
            if isinstance(item, str) and (item.startswith("arn:") or _AWS_ID.fullmatch(item)):
                out[item] = have.name
    return out


_AWS_ID = re.compile(r"[a-z]+-[0-9a-f]{8,17}")


def _step(console: Console, step: Step, names: Names, ids: Mapping[str, str]) -> None:
    style = _STYLE.get(step.action, "")
    ident = f" ({short_id(step.have.id)})" if step.have and step.have.id != step.name else ""
    drift = ""
    if step.drift:  # the live resource differs from what ecsdeploy last set
        what = "deleted" if step.action is Action.CREATE else "changed"
        drift = f" [bold red](drift: {what} outside ecsdeploy)[/]"
    if step.downtime:  # replaced in place while serving traffic
        drift += f" [bold red](downtime: {escape(step.downtime)})[/]"
    elif step.alongside:
        drift += " [dim](beside the old one)[/]"
    console.print(
        f"    [{style}]{step.action.symbol:>3} {step.action.value:<8}[/] "
        f"{escape(step.kind)} [bold]{escape(step.name)}[/]{escape(ident)}"
        f"  [dim]{escape(label(step.kind))}[/]{drift}"
    )
    if step.action is Action.CREATE and step.want is not None:
        for name, text in attributes(step.kind, step.want.props, names):
            console.print(f"{INDENT}{escape(name)}: {escape(_clip(text))}")
    if step.note:  # an operation outside the spec (`ecsdeploy scale`) this change undoes
        console.print(f"{INDENT}[yellow]{escape(step.note)}[/]")
    if step.action is Action.DELETE and delete_note(step.kind):
        console.print(f"{INDENT}[red]{escape(delete_note(step.kind))}[/]")
    for change in step.changes:
        forces = " [magenta](forces replacement)[/]" if change.replace else ""
        held = _HELD.fullmatch(change.field)
        if held:  # the planner's marker: a resource this one uses is replaced
            used = names.get(held.group(1), held.group(1))
            console.print(f"{INDENT}uses {escape(used)}, which is replaced{forces}")
            continue
        before, after = _short(change.before, names, ids), _short(change.after, names, ids)
        console.print(
            f"{INDENT}{escape(change.field)}: {escape(before)} -> {escape(after)}{forces}"
        )


_HELD = re.compile(r"\((.+)\)")


def _clip(text: str) -> str:
    return text if len(text) <= 160 else text[:157] + "..."


def _short(value: Any, names: Names, ids: Mapping[str, str]) -> str:
    def short(item: Any) -> str:
        return _short(item, names, ids)

    if isinstance(value, frozenset | set):
        text = "{" + ", ".join(sorted(short(v) for v in value)) + "}"
    elif isinstance(value, dict):
        text = "{" + ", ".join(f"{k}: {short(v)}" for k, v in sorted(value.items())) + "}"
    elif isinstance(value, tuple):
        text = "(" + ", ".join(short(v) for v in value) + ")"
    elif isinstance(value, list):
        text = "[" + ", ".join(short(v) for v in value) + "]"
    elif isinstance(value, Unknown):
        text = f"(new {names[value.ref.key]})" if value.ref.key in names else repr(value)
    elif value is None:
        text = "(none)"
    elif isinstance(value, str):
        text = ids.get(value, value)
    else:
        text = str(value)
    return _clip(text)
