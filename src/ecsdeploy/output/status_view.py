"""Renders what an app owns now, by layer."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.table import Table

from ecsdeploy.resources.base import Observed


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
        table.add_row(layers.get(item.kind, ""), item.kind, item.name, item.id, item.state or "-")
    console.print(table)
