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
from ecsdeploy.reconcile.status import ServiceStatus, Status
from ecsdeploy.resources.base import Observed
from ecsdeploy.spec.naming import Owner


def show_status(
    console: Console,
    title: str,
    status: Status,
    layers: dict[str, str],
    resources: bool = True,
    list_all: str = "ecsdeploy status --all",
    promote: str = "ecsdeploy promote",
    abort: str = "ecsdeploy abort",
) -> None:
    """Alarms, URLs, the services table (a paused deployment followed by where to test
    it, and the ``promote`` and ``abort`` commands), then (with ``resources``) every
    resource; else a line saying how many there are and that ``list_all`` lists them."""
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
                rollout_text(svc),
                f"{svc.healthy_targets}/{svc.targets}" if svc.targets else "-",
                svc.events[0] if svc.events else "",
            )
        console.print(table)
        show_paused(console, status.services, promote, abort)
    show_jobs(console, title, status.jobs)
    if resources or not status.resources:
        show_inventory(console, title, status.resources, layers)
        return
    kinds = len({r.kind for r in status.resources})
    console.print(
        f"{len(status.resources)} resources of {kinds} kinds; `{escape(list_all)}` lists "
        "them by layer."
    )


def rollout_text(svc: ServiceStatus) -> str:
    """The rollout column: "paused" for a deployment waiting at its pause; the strategy
    and the new revision's share of production traffic while one moves it."""
    dep = svc.deployment
    if dep is None:
        return svc.rollout
    if dep.paused:
        return f"paused ({dep.strategy}, before production traffic)"
    if dep.production_percent is None:
        return f"{dep.strategy}: in progress"
    return f"{dep.strategy}: {dep.production_percent:g}% of traffic on the new revision"


def show_paused(
    console: Console, services: Sequence[ServiceStatus], promote: str, abort: str
) -> None:
    """For each paused deployment: where the new revision answers, and the way on."""
    paused = [s for s in services if s.deployment is not None and s.deployment.paused]
    for svc in paused:
        assert svc.deployment is not None
        where = f"; test it at {escape(svc.deployment.test_url)}" if svc.deployment.test_url else ""
        console.print(f"[bold]{escape(svc.name)}[/] is paused before production traffic{where}")
    if paused:
        console.print(
            f"`{escape(promote)}` sends it production traffic; `{escape(abort)}` rolls it back."
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
                "deployment": _deployment_json(s),
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


def _deployment_json(svc: ServiceStatus) -> dict[str, Any] | None:
    dep = svc.deployment
    if dep is None:
        return None
    return {
        "strategy": dep.strategy,
        "paused": dep.paused,
        "production_percent": dep.production_percent,
        "test_url": dep.test_url or None,
    }
