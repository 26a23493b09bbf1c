"""Renders the preflight checks of ``verify`` (and ``up``): one line per check.

OK   credentials  account 123456789012 as arn:aws:iam::123456789012:user/me
FAIL secrets      api API_TOKEN: SSM parameter /mlapp/api-token does not exist ...
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from rich.console import Console
from rich.markup import escape

from ecsdeploy.plan.preflight import Check

_STYLE = {
    "OK": "bold green",
    "WARN": "bold yellow",
    "FAIL": "bold red",
    "SKIP": "dim",
}


def show_checks(console: Console, checks: Sequence[Check]) -> bool:
    """Print each check as a line; True when none FAILed."""
    wide = max((len(c.name) for c in checks), default=0)
    for check in checks:
        style = _STYLE.get(check.status, "")
        name = escape(check.name.ljust(wide))
        console.print(
            f"[{style}]{check.status:<4}[/] {name}  {escape(check.detail)}",
            soft_wrap=True,
        )
    return ok(checks)


def ok(checks: Sequence[Check]) -> bool:
    """No check FAILed (WARN and SKIP don't stop a deploy)."""
    return all(c.status != "FAIL" for c in checks)


def checks_json(checks: Sequence[Check]) -> list[dict[str, Any]]:
    """The checks as plain dicts: ``{"name", "status", "detail"}``."""
    return [asdict(c) for c in checks]
