"""Renders the monthly cost estimate: one compact block, before -> after, then the items."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape

from ecsdeploy.plan.cost import (
    BASIS,
    CURRENCY,
    NOT_INCLUDED,
    TABLE_SOURCE,
    CostEstimate,
    CostLine,
    compare,
)


def money(value: float) -> str:
    return f"-${-value:,.2f}" if value < -0.005 else f"${abs(value):,.2f}"


def signed(delta: float) -> str:
    """``+$1.00``, ``-$1.00``, or ``no change`` when it rounds to zero cents."""
    if abs(delta) < 0.005:
        return "no change"
    return f"+${delta:,.2f}" if delta > 0 else f"-${-delta:,.2f}"


def headline(before: CostEstimate | None, after: CostEstimate) -> str:
    """The one-line summary, plain text."""
    basis = (
        f"Estimated monthly cost ({after.region}, on-demand list prices of {after.as_of} "
        f"from {after.source}; "
        f"{', '.join(NOT_INCLUDED[:-1])} and {NOT_INCLUDED[-1]} not included)"
    )
    if before is None:
        return f"{basis}: {money(after.total)}"
    return (
        f"{basis}: {money(before.total)} -> {money(after.total)} ({signed(compare(before, after))})"
    )


def show_cost(console: Console, before: CostEstimate | None, after: CostEstimate) -> None:
    """The estimate after the change (and before it, when known), one line per item."""
    console.print(f"[bold]{escape(headline(before, after))}[/]", soft_wrap=True)
    items = [(line.item, _quantity(line), money(line.monthly)) for line in after.lines]
    wide = [max((len(row[i]) for row in items), default=0) for i in range(3)]
    for item, quantity, monthly in items:
        console.print(
            f"    {escape(item.ljust(wide[0]))}  {escape(quantity.ljust(wide[1]))}  "
            f"{monthly.rjust(wide[2])}",
            highlight=False,
        )
    for note in after.notes:
        console.print(f"    [dim]{escape(note)}[/]")


def _quantity(line: CostLine) -> str:
    return f"{line.quantity:g} x {money(line.unit_monthly)} per {line.unit}"


def cost_json(before: CostEstimate | None, after: CostEstimate) -> dict[str, Any]:
    """Machine output: both estimates and the difference, in USD a month, to the cent."""
    return {
        "estimate": True,
        "currency": CURRENCY,
        "prices_as_of": after.as_of,
        "prices_from": "aws-price-list" if after.source != TABLE_SOURCE else "table",
        "basis": BASIS,
        "not_included": list(NOT_INCLUDED),
        "region": after.region,
        "before": _estimate_json(before) if before is not None else None,
        "after": _estimate_json(after),
        "delta": round(compare(before, after), 2) if before is not None else None,
    }


def _estimate_json(est: CostEstimate) -> dict[str, Any]:
    return {
        "total": round(est.total, 2),
        "lines": [
            {
                "item": line.item,
                "quantity": line.quantity,
                "unit": line.unit,
                "unit_monthly": round(line.unit_monthly, 4),
                "monthly": round(line.monthly, 2),
            }
            for line in est.lines
        ],
        "notes": list(est.notes),
    }
