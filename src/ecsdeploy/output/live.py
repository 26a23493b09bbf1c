"""The live view of ``up`` and ``down`` on a terminal: one row per resource step, image
build and service rollout, with its state, elapsed time and latest detail.

Each phase (build, infrastructure, rollout) is one rich ``Live`` region, redrawn in place.
The region is transient: when the phase ends -- also by an error or Ctrl-C -- it is
replaced by the full final table printed as ordinary output, so the last state of every
row stays on screen and in the scrollback, and the error report that follows is never
drawn over.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from ecsdeploy.plan.model import Action, Plan
from ecsdeploy.reconcile.executor import Event, State
from ecsdeploy.reconcile.rollout import Progress

_STYLE = {
    "waiting": "dim",
    "building": "blue",
    "creating": "green",
    "updating": "yellow",
    "deleting": "red",
    "rolling out": "cyan",
    "done": "bold green",
    "failed": "bold red",
    "stopped": "bold yellow",
}
ENDED = ("done", "failed", "stopped")
# rollout states (see reconcile.rollout) that end a service's rollout
_ROLLOUT_END = {
    "COMPLETED": "done",
    "FAILED": "failed",
    "ROLLED_BACK": "failed",
    "TIMED_OUT": "failed",
    "NOT_FOUND": "failed",
    "REPLACED": "failed",
}


@dataclass
class Row:
    what: str
    state: str = "waiting"
    detail: str = ""
    started: float | None = None
    ended: float | None = None

    def elapsed(self, now: float) -> str:
        if self.started is None:
            return ""
        return f"{(self.ended or now) - self.started:.0f}s"


class LiveDisplay:
    """Rows by phase; ``phase()`` shows them live and prints them in full when it ends."""

    def __init__(
        self, console: Console, verbose: bool, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.console = console
        self.verbose = verbose
        self.clock = clock
        self._rows: dict[str, Row] = {}
        self._lock = threading.Lock()

    # --- phases ----------------------------------------------------------------------
    @contextmanager
    def phase(self, name: str, plan: Plan | None = None) -> Iterator[None]:
        with self._lock:
            self._rows = {}
            for step in plan.changes if plan is not None else ():
                self._rows[step.id] = Row(f"{step.kind} {step.name}")
        live = Live(
            console=self.console,
            get_renderable=self._live,
            transient=True,
            refresh_per_second=4,
            redirect_stdout=False,  # stdout may carry --output json
        )
        failed = True
        live.start()
        try:
            yield
            failed = False
        finally:
            live.stop()
            self._end(name, failed)
            self.console.print(self.table())

    def _end(self, name: str, failed: bool) -> None:
        """When a phase ends, rows still running end with it: done, or failed/stopped when
        the phase ended by an error or Ctrl-C."""
        now = self.clock()
        with self._lock:
            for row in self._rows.values():
                if row.state in ENDED or row.state == "waiting":
                    continue
                row.state = "stopped" if failed else "done"
                if name == "build" and failed:
                    row.state = "failed"
                row.ended = now

    # --- events ----------------------------------------------------------------------
    def step(self, event: Event) -> None:
        with self._lock:
            row = self._rows.setdefault(event.step.id, Row(f"{event.step.kind} {event.step.name}"))
            if event.state in (State.CREATING, State.UPDATING, State.DELETING):
                if row.started is None:
                    row.started = self.clock()
                if event.step.action is Action.REPLACE and event.state is State.CREATING:
                    row.state = "creating"
                else:
                    row.state = event.state.value
                row.detail = event.message or row.detail
            elif event.state in (State.DONE, State.FAILED, State.STOPPED):
                row.state = event.state.value
                row.ended = self.clock()
                row.detail = event.message
            else:
                row.state = event.state.value

    def build(self, service: str, line: str) -> None:
        now = self.clock()
        with self._lock:
            for other, row in self._rows.items():  # images build one after another
                if other != service and row.state == "building":
                    row.state, row.ended = "done", now
            row = self._rows.setdefault(service, Row(f"image {service}"))
            if row.started is None:
                row.started, row.state = now, "building"
            if self.verbose or line.startswith(("Step ", "Successfully")):
                row.detail = line

    def expect_rollouts(self, services: Sequence[str]) -> None:
        with self._lock:
            for service in services:
                self._rows.setdefault(service, Row(f"rollout {service}"))

    def rollout(self, progress: Progress) -> None:
        with self._lock:
            row = self._rows.setdefault(progress.service, Row(f"rollout {progress.service}"))
            if row.started is None:
                row.started = self.clock()
            row.state = _ROLLOUT_END.get(progress.state, "rolling out")
            if row.state in ENDED:
                row.ended = self.clock()
            targets = (
                f", {progress.healthy_targets}/{progress.total_targets} targets healthy"
                if progress.total_targets or progress.healthy_targets
                else ""
            )
            event = f"; {progress.last_event}" if progress.last_event else ""
            row.detail = f"{progress.running}/{progress.desired} running{targets}{event}"

    # --- rendering -------------------------------------------------------------------
    def table(self, limit: int | None = None) -> Table:
        """Every row (or, with ``limit``, the ones that matter most right now)."""
        now = self.clock()
        with self._lock:
            rows = list(self._rows.values())
        if limit is not None and len(rows) > limit:
            # failed and running rows first, then waiting, then the latest done
            def rank(item: tuple[int, Row]) -> tuple[int, float]:
                index, row = item
                order = {"failed": 0, "stopped": 0, "waiting": 2, "done": 3}.get(row.state, 1)
                return order, -(row.ended or 0.0) if row.state == "done" else index

            keep = sorted(sorted(enumerate(rows), key=rank)[:limit], key=lambda item: item[0])
            rows = [row for _, row in keep]
        table = Table(box=None, show_header=False, pad_edge=False, padding=(0, 1))
        table.add_column("state", no_wrap=True)
        table.add_column("what", no_wrap=True)
        table.add_column("time", justify="right", no_wrap=True)
        live = limit is not None  # the live region stays one line a row; the final table folds
        table.add_column("detail", overflow="ellipsis" if live else "fold", no_wrap=live)
        for row in rows:
            style = _STYLE.get(row.state, "")
            table.add_row(
                Text(row.state, style=style),
                Text(row.what),
                Text(row.elapsed(now), style="dim"),
                Text(row.detail, style="red" if row.state == "failed" else "dim"),
            )
        return table

    def _counts(self) -> str:
        with self._lock:
            states = [row.state for row in self._rows.values()]
        parts = [f"{states.count(s)} {s}" for s in dict.fromkeys(states)]
        return ", ".join(parts)

    def _live(self) -> RenderableType:
        limit = max(3, self.console.size.height - 3)
        return Group(self.table(limit), Text.from_markup(f"[dim]{escape(self._counts())}[/]"))
