"""Renders ``ls``: the apps and environments of a region as a table, or as JSON."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ecsdeploy.output.releases_view import COLOURS
from ecsdeploy.reconcile.inventory import EnvSummary


def expiry(expires: str, now: datetime) -> str:
    """ "in 2d 3h" / "expired 5h ago" for an ISO 8601 time; "" for none."""
    if not expires:
        return ""
    try:
        when = datetime.fromisoformat(expires.replace("Z", "+00:00"))
    except ValueError:
        return expires
    seconds = int((when - now).total_seconds())
    span = abs(seconds)
    text = f"{span // 86400}d {span % 86400 // 3600}h" if span >= 86400 else f"{span // 3600}h"
    if span < 3600:
        text = f"{span // 60}m"
    return f"in {text}" if seconds > 0 else f"expired {text} ago"


def show_envs(console: Console, region: str, found: Sequence[EnvSummary], now: datetime) -> None:
    if not found:
        console.print(f"No app managed by ecsdeploy in {region}.")
        return
    table = Table(title=f"ecsdeploy apps in {region}", title_justify="left")
    table.add_column("app", no_wrap=True)
    table.add_column("env", no_wrap=True)
    table.add_column("url", overflow="fold")
    table.add_column("services", overflow="fold")
    table.add_column("last deploy (UTC)", overflow="fold")
    table.add_column("$/month", justify="right", no_wrap=True)
    table.add_column("expires", no_wrap=True)
    for env in found:
        last = "-"
        if env.last is not None:
            colour = COLOURS.get(env.last.outcome, "red")
            when = env.last.at.replace("T", " ").removesuffix("Z")[:16]
            last = (
                f"#{env.last.number} {when} {escape(env.last.what)} [{colour}]{env.last.outcome}[/]"
            )
        table.add_row(
            escape(env.owner.app),
            escape(env.owner.env),
            escape(env.url) or "-",
            escape(" ".join(env.services)) or "-",
            last,
            f"{env.cost.total:,.2f}",
            expiry(env.expires, now) or "-",
        )
    console.print(table)


def envs_json(region: str, found: Sequence[EnvSummary]) -> dict[str, Any]:
    return {
        "region": region,
        "envs": [
            {
                "app": env.owner.app,
                "env": env.owner.env,
                "url": env.url,
                "services": list(env.services),
                "last_release": env.last.to_json() if env.last is not None else None,
                "monthly_cost": round(env.cost.total, 2),
                "expires": env.expires or None,
                "resources": env.resources,
            }
            for env in found
        ],
    }
