"""Progress of ``up`` and ``down``: one line per step state change, timestamped.

The same plain lines serve a terminal and a CI log.
"""

from __future__ import annotations

import threading
import time

from rich.console import Console
from rich.markup import escape

from ecsdeploy.reconcile.executor import Event, State

_STYLE = {
    State.CREATING: "green",
    State.UPDATING: "yellow",
    State.DELETING: "red",
    State.DONE: "bold green",
    State.FAILED: "bold red",
    State.WAITING: "dim",
}


class ProgressPrinter:
    """An executor listener that prints each event as a line."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.start = time.monotonic()
        self._lock = threading.Lock()

    def __call__(self, event: Event) -> None:
        stamp = time.strftime("%H:%M:%S")
        step = event.step
        state = event.state.value
        detail = f" - {escape(event.message)}" if event.message else ""
        took = f" ({event.elapsed:.1f}s)" if event.state in (State.DONE, State.FAILED) else ""
        line = (
            f"[dim]{stamp}[/] [{_STYLE.get(event.state, '')}]{state:<9}[/] "
            f"{escape(step.kind)} [bold]{escape(step.name)}[/]{took}{detail}"
        )
        with self._lock:
            self.console.print(line)
