"""The end of ``up`` and ``down``: what changed, where the app answers, how long each phase
took -- as text for people (stderr) and, for ``up --output json``, as data (stdout).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.markup import escape

from ecsdeploy.plan.model import Plan
from ecsdeploy.reconcile.report import Phases, StepRecord
from ecsdeploy.reconcile.rollout import Outcome
from ecsdeploy.resources.service_deployments import PAUSED_NOTE

_PAST = {"create": "created", "update": "updated", "replace": "replaced", "delete": "deleted"}


def changed(records: Sequence[StepRecord]) -> dict[str, int]:
    """Steps done, by action: ``{"create": 3, "update": 1, "replace": 0, "delete": 0}``."""
    done = Counter(r.step.action.value for r in records if r.state == "done")
    return {action: done[action] for action in _PAST}


def _changed_text(records: Sequence[StepRecord]) -> str:
    counts = changed(records)
    return ", ".join(f"{n} {_PAST[a]}" for a, n in counts.items() if n) or "nothing"


def _phases_text(phases: Phases) -> str:
    parts = []
    for name, seconds in phases.ran():
        note = " (during infrastructure)" if name == "push" else ""
        parts.append(f"{name} {seconds:.1f}s{note}")
    return ", ".join(parts) + f"; total {phases.total():.1f}s"


def show_summary(
    console: Console,
    heading: str,
    records: Sequence[StepRecord],
    phases: Phases,
    urls: Sequence[str] = (),
    outcomes: Sequence[Outcome] = (),
) -> None:
    """The closing block of ``up`` / ``down``."""
    console.print(f"[bold]{escape(heading)}[/]")
    for url in urls:
        console.print(f"  URL: [bold]{escape(url)}[/]")
    console.print(f"  changed: {_changed_text(records)}")
    unfinished = Counter(r.state for r in records if r.state != "done")
    if unfinished:
        text = ", ".join(f"{n} {state.replace('_', ' ')}" for state, n in unfinished.items())
        console.print(f"  [yellow]not done:[/] {text}")
    for outcome in outcomes:
        result = "rolled out" if outcome.ok else f"[red]failed[/]: {escape(outcome.reason)}"
        if outcome.ok and outcome.note.startswith(PAUSED_NOTE):
            result = escape(outcome.note)
        elif outcome.ok and outcome.note:
            result += f", {escape(outcome.note)}"
        console.print(f"  rollout: {escape(outcome.service)} {result} ({outcome.elapsed:.0f}s)")
    console.print(f"  time: {_phases_text(phases)}")


def steps_json(records: Sequence[StepRecord]) -> list[dict[str, Any]]:
    return [
        {
            "action": r.step.action.value,
            "kind": r.step.kind,
            "key": r.step.key,
            "name": r.step.name,
            "layer": r.step.layer,
            "state": r.state,
            "seconds": r.elapsed,
            "error": r.error or None,
        }
        for r in records
    ]


def rollouts_json(outcomes: Sequence[Outcome], not_waited: Sequence[str]) -> list[dict[str, Any]]:
    out = [
        {
            "service": o.service,
            "state": "done" if o.ok else "failed",
            "reason": o.reason or None,
            "seconds": round(o.elapsed, 3),
            "stopped_reasons": list(o.stopped_reasons),
            "log_lines": list(o.log_lines),
            "note": o.note or None,
        }
        for o in outcomes
    ]
    out += [
        {
            "service": name,
            "state": "not_waited",
            "reason": None,
            "seconds": None,
            "stopped_reasons": [],
            "log_lines": [],
            "note": None,
        }
        for name in not_waited
    ]
    return out


def up_json(
    where: dict[str, str],
    plan: Plan,
    records: Sequence[StepRecord],
    phases: Phases,
    urls: Sequence[str],
    rollouts: list[dict[str, Any]],
    ok: bool,
    interrupted: bool = False,
) -> dict[str, Any]:
    """``up --output json``: the shape README's "Machine output" documents."""
    return {
        **where,
        "ok": ok,
        "interrupted": interrupted,
        "plan": plan.to_json(),
        "steps": steps_json(records),
        "changed": changed(records),
        "urls": list(urls),
        "rollouts": rollouts,
        "phases": phases.to_json(),
    }
