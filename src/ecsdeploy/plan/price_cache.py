"""A day's prices from the AWS Price List API, kept in the user's cache directory.

One small JSON file per region and day: ``$XDG_CACHE_HOME/ecsdeploy/prices/REGION-DATE.json``
(``~/.cache`` without XDG_CACHE_HOME). A file that cannot be read or parsed is ignored (the
prices are asked again), and one that cannot be written is skipped: the cache only saves
calls, it never fails a command.
"""

from __future__ import annotations

import json
import os
import tempfile
from datetime import date
from pathlib import Path
from typing import Any


def directory() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "ecsdeploy" / "prices"


def path_of(region: str, day: date) -> Path:
    return directory() / f"{region}-{day.isoformat()}.json"


def load(region: str, day: date) -> dict[str, Any] | None:
    """The prices cached for ``region`` on ``day``, or None (none, or unreadable)."""
    try:
        data = json.loads(path_of(region, day).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def save(region: str, day: date, data: dict[str, Any]) -> None:
    """Keep ``data`` for the rest of the day (written whole or not at all)."""
    target = path_of(region, day)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(
            "w", dir=target.parent, prefix=".prices-", delete=False
        ) as tmp:
            json.dump(data, tmp)
        os.replace(tmp.name, target)
    except OSError:
        return
