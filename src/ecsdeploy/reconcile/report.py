"""What a run of ``up`` or ``down`` did, measured: each step's outcome and duration, and the
wall time of each phase (verify, plan, build, push, infrastructure, rollout).

``StepLog`` is an executor listener; ``Phases`` times the phases the command runs. Both
are plain data for the summary and for ``up --output json``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from ecsdeploy.plan.model import Plan, Step
from ecsdeploy.reconcile.executor import Event, Result, State

PHASES = ("verify", "plan", "build", "push", "infrastructure", "rollout")


@dataclass
class StepRecord:
    """One step's outcome: done, failed, stopped (Ctrl-C) or not_started."""

    step: Step
    state: str
    elapsed: float = 0.0
    started: float | None = None  # monotonic
    error: str = ""


class StepLog:
    """Executor listener that keeps, per step, when it started and how it ended."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._started: dict[str, float] = {}
        self._ended: dict[str, tuple[State, float, str]] = {}

    def __call__(self, event: Event) -> None:
        key = event.step.id
        with self._lock:
            if event.state in (State.CREATING, State.UPDATING, State.DELETING):
                self._started.setdefault(key, self.clock())
            elif event.state in (State.DONE, State.FAILED, State.STOPPED):
                # a replace is two nodes (delete, then create): its time spans both
                self._ended[key] = (event.state, self.clock(), event.message)

    def records(self, plan: Plan, result: Result) -> list[StepRecord]:
        """Every change of ``plan``, in plan order, with how it ended in ``result``."""
        failed = {id(s): str(e) for s, e in result.failed}
        out = []
        with self._lock:
            for step in plan.changes:
                started = self._started.get(step.id)
                ended = self._ended.get(step.id)
                elapsed = ended[1] - started if ended and started is not None else 0.0
                if id(step) in failed:
                    state, error = "failed", failed[id(step)]
                elif any(s is step for s in result.stopped):
                    state, error = "stopped", ""
                elif any(s is step for s in result.done):
                    state, error = "done", ""
                else:
                    state, error = "not_started", ""
                out.append(StepRecord(step, state, round(elapsed, 3), started, error))
        return out

    def span(self, kind: str) -> float | None:
        """Wall time from the first start to the last end of steps of ``kind``; None when
        no such step ran."""
        with self._lock:
            starts = [t for k, t in self._started.items() if k.startswith(f"{kind}:")]
            ends = [end for k, (_, end, _) in self._ended.items() if k.startswith(f"{kind}:")]
        if not starts:
            return None
        return max(ends, default=max(starts)) - min(starts)


class Phases:
    """Wall time per phase; a phase that did not run stays None."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.start = clock()
        self.seconds: dict[str, float | None] = dict.fromkeys(PHASES)

    @contextmanager
    def measure(self, name: str) -> Iterator[None]:
        """Add the time spent in the ``with`` block to phase ``name`` (also on errors)."""
        begin = self.clock()
        try:
            yield
        finally:
            self.add(name, self.clock() - begin)

    def add(self, name: str, seconds: float | None) -> None:
        if seconds is None:
            return
        self.seconds[name] = (self.seconds.get(name) or 0.0) + seconds

    def total(self) -> float:
        return self.clock() - self.start

    def ran(self) -> list[tuple[str, float]]:
        """The phases that ran, in order, with their seconds."""
        return [(n, s) for n, s in self.seconds.items() if s is not None]

    def to_json(self) -> dict[str, float | None]:
        return {n: (round(s, 3) if s is not None else None) for n, s in self.seconds.items()}
