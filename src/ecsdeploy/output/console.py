"""The two consoles: human text on stderr, machine output on stdout."""

from __future__ import annotations

import json
import sys
from typing import Any

from rich.console import Console

# emoji off: ":secret:" in a Secrets Manager ARN must print as written, not as an emoji
err = Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)


def print_json(data: Any) -> None:
    """Machine output: plain JSON on stdout, nothing else."""
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")
    sys.stdout.flush()


def stdin_is_interactive() -> bool:
    try:
        return sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False


def short_id(ident: str) -> str:
    """ARNs are long: show the last part of the resource (its name or id)."""
    if not ident.startswith("arn:"):
        return ident
    resource = ident.split(":", 5)[-1]
    return resource.rsplit("/", 1)[-1] or resource
