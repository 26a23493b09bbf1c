"""Renders what an app owns now, by layer."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ecsdeploy.output.console import short_id
from ecsdeploy.output.jobs_view import jobs_json, show_jobs
from ecsdeploy.reconcile.status import Status
from ecsdeploy.resources.base import Observed
from ecsdeploy.spec.naming import Owner


def show_status(
    console: Console,
    title: str,
    status: Status,
    layers: dict[str, str],
    resources: bool = True,
    list_all: str = "ecsdeploy status --all",
) -> None:
    """Alarms, URLs, the services table, then (with ``resources``) every resource;
    else a line saying how many there are and that ``list_all`` lists them."""
    show_alarms(console, status)
    if status.url:
        console.print(f"[bold]URL:[/] {status.url}")
    if status.dashboard:
        console.print(f"[bold]Dashboard:[/] {status.dashboard}")
    for svc in status.services:
        if svc.url and svc.url != status.url:
            console.print(f"[bold]URL of {svc.name}:[/] {svc.url}")
    if status.services:
        table = Table(title=f"{title}: services", title_justify="left")
        for column in ("service", "running", "pending", "revision", "rollout", "healthy targets"):
            table.add_column(column, overflow="fold")
        table.add_column("last event", overflow="fold")
        for svc in status.services:
            table.add_row(
                svc.name,
                f"{svc.running}/{svc.desired}",
                str(svc.pending),
                svc.revision,
                svc.rollout,
                f"{svc.healthy_targets}/{svc.targets}" if svc.targets else "-",
                svc.events[0] if svc.events else "",
            )
        console.print(table)
    show_jobs(console, title, status.jobs)
    if resources or not status.resources:
        show_inventory(console, title, status.resources, layers)
        return
    kinds = len({r.kind for r in status.resources})
    console.print(
        f"{len(status.resources)} resources of {kinds} kinds; `{escape(list_all)}` lists "
        "them by layer."
    )


STATE_STYLE = {"ALARM": "bold red", "INSUFFICIENT_DATA": "yellow", "OK": "green"}


def show_alarms(console: Console, status: Status) -> None:
    """Alarms in ALARM first, each with why; a one-line count of the rest."""
    firing = [a for a in status.alarms if a.state == "ALARM"]
    for alarm in firing:
        console.print(
            f"[bold red]ALARM[/] {escape(alarm.name)} since {alarm.since}: {escape(alarm.reason)}"
        )
    if status.alarms:
        counts = Counter(a.state for a in status.alarms)
        parts = [
            f"[{STATE_STYLE.get(state, '')}]{counts[state]} {state.lower()}[/]"
            for state in ("ALARM", "INSUFFICIENT_DATA", "OK")
            if counts[state]
        ]
        console.print(f"[bold]Alarms:[/] {', '.join(parts)}")


def show_inventory(
    console: Console, title: str, found: Sequence[Observed], layers: dict[str, str]
) -> None:
    if not found:
        console.print(f"[bold]{title}[/]: nothing deployed (no resources carry its tags).")
        return
    table = Table(title=title, title_justify="left", expand=False)
    for column in ("layer", "kind", "name", "id", "state"):
        table.add_column(column, overflow="fold")
    for item in found:
        table.add_row(
            layers.get(item.kind, ""), item.kind, item.name, short_id(item.id), item.state or "-"
        )
    console.print(table)


def status_json(
    owner: Owner, region: str, status: Status, layers: dict[str, str]
) -> dict[str, Any]:
    """``status --output json``: the shape README's "Machine output" documents."""
    return {
        "app": owner.app,
        "env": owner.env,
        "region": region,
        "deployed": bool(status.resources),
        "url": status.url or None,
        "dashboard": status.dashboard or None,
        "alarms": [
            {"name": a.name, "state": a.state, "reason": a.reason, "since": a.since}
            for a in status.alarms
        ],
        "services": [
            {
                "name": s.name,
                "desired": s.desired,
                "running": s.running,
                "pending": s.pending,
                "revision": s.revision,
                "rollout": s.rollout,
                "healthy_targets": s.healthy_targets,
                "targets": s.targets,
                "events": s.events,
                "url": s.url or None,
            }
            for s in status.services
        ],
        "jobs": jobs_json(status.jobs),
        "resources": [
            {
                "layer": layers[o.kind],
                "kind": o.kind,
                "key": o.key,
                "name": o.name,
                "id": o.id,
                "state": o.state,
            }
            for o in status.resources
        ],
    }
