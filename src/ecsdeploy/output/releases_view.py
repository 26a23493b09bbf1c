"""Renders the release ledger: `history`'s table and JSON, the line `up` and `rollback`
end with, and what a rollback did."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ecsdeploy.resources.releases import Release
from ecsdeploy.spec.naming import Owner

COLOURS = {"rolled out": "green", "not waited": "yellow", "paused": "yellow"}


def revision(arn: str) -> str:
    """The revision number of a task-definition revision ARN (``...:7``)."""
    return arn.rsplit(":", 1)[-1]


def show_history(console: Console, title: str, found: Sequence[Release]) -> None:
    if not found:
        console.print(f"{title}: no releases yet (an `up` that changes a service makes one)")
        return
    table = Table(title=f"{title}: releases", title_justify="left")
    table.add_column("#", no_wrap=True)
    table.add_column("when (UTC)", no_wrap=True)
    table.add_column("what", no_wrap=True)
    for column in ("outcome", "revisions", "by"):
        table.add_column(column, overflow="fold")
    table.add_column("spec", no_wrap=True)
    for release in reversed(found):  # newest first
        colour = COLOURS.get(release.outcome, "red")
        outcome = f"[{colour}]{release.outcome}[/]"
        if release.reason:
            outcome += f": {escape(release.reason)}"
        services = " ".join(
            f"{name}:{revision(svc.task_definition)}" for name, svc in release.services.items()
        )
        table.add_row(
            str(release.number),
            release.at.replace("T", " ").removesuffix("Z")[:16],
            release.what,
            outcome,
            services,
            escape(release.by.rsplit(":", 1)[-1]),
            release.spec_hash[:8],
        )
    console.print(table)


def history_json(owner: Owner, region: str, found: Sequence[Release]) -> dict[str, Any]:
    return {
        "app": owner.app,
        "env": owner.env,
        "region": region,
        "releases": [r.to_json() for r in reversed(found)],  # newest first
    }


def show_recorded(console: Console, release: Release | None, warnings: Sequence[str]) -> None:
    for warning in warnings:
        console.print(f"[yellow]warning:[/] {escape(warning)}")
    if release is not None:
        colour = COLOURS.get(release.outcome, "red")
        console.print(
            f"Release {release.number} ({release.what}) recorded: [{colour}]{release.outcome}[/]"
        )
