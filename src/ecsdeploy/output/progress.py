"""Progress of ``up`` and ``down``.

``display(console, verbose)`` picks how: on a terminal a rich live view
(``output/live.py``); otherwise (CI logs, pipes) ``PlainDisplay``, one timestamped line per
step state change, build step and rollout change.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Protocol

from rich.console import Console
from rich.markup import escape

from ecsdeploy.plan.model import Plan
from ecsdeploy.reconcile.executor import Event, State
from ecsdeploy.reconcile.rollout import Outcome, Progress

_STYLE = {
    State.CREATING: "green",
    State.UPDATING: "yellow",
    State.DELETING: "red",
    State.DONE: "bold green",
    State.FAILED: "bold red",
    State.WAITING: "dim",
    State.STOPPED: "bold yellow",
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
        ended = (State.DONE, State.FAILED, State.STOPPED)
        took = f" ({event.elapsed:.1f}s)" if event.state in ended else ""
        line = (
            f"[dim]{stamp}[/] [{_STYLE.get(event.state, '')}]{state:<9}[/] "
            f"{escape(step.kind)} [bold]{escape(step.name)}[/]{took}{detail}"
        )
        with self._lock:
            self.console.print(line)


class RolloutPrinter:
    """A rollout listener: one line whenever a service's numbers change."""

    def __init__(self, console: Console) -> None:
        self.console = console

    def __call__(self, progress: Progress) -> None:
        stamp = time.strftime("%H:%M:%S")
        targets = (
            f", targets {progress.healthy_targets}/{progress.total_targets} healthy"
            if progress.total_targets or progress.healthy_targets
            else ""
        )
        event = f" - {escape(progress.last_event)}" if progress.last_event else ""
        self.console.print(
            f"[dim]{stamp}[/] [cyan]{'rollout':<9}[/] service [bold]{escape(progress.service)}[/]"
            f": {progress.running}/{progress.desired} running, {progress.pending} pending"
            f"{targets}, {escape(progress.state.lower())}{event}"
        )


def show_outcomes(console: Console, outcomes: list[Outcome]) -> bool:
    """Print each service's rollout result; True when all succeeded."""
    for outcome in outcomes:
        if outcome.ok:
            note = f" ({escape(outcome.note)})" if outcome.note else ""
            console.print(
                f"[bold green]rolled out[/] service [bold]{escape(outcome.service)}[/] "
                f"in {outcome.elapsed:.0f}s{note}"
            )
            continue
        console.print(
            f"[bold red]rollout failed[/] service [bold]{escape(outcome.service)}[/]: "
            f"{escape(outcome.reason)}"
        )
        for reason in outcome.stopped_reasons:
            console.print(f"  stopped task: {escape(reason)}")
        if outcome.log_lines:
            console.print("  last log lines:")
            for line in outcome.log_lines:
                console.print(f"    {escape(line)}")
    return all(o.ok for o in outcomes)


class BuildPrinter:
    """Build output: the Dockerfile steps (every line with -v), prefixed by the service."""

    def __init__(self, console: Console, verbose: bool) -> None:
        self.console = console
        self.verbose = verbose

    def __call__(self, service: str, line: str) -> None:
        if self.verbose or line.startswith(("Step ", "Successfully built", "Successfully tagged")):
            stamp = time.strftime("%H:%M:%S")
            self.console.print(
                f"[dim]{stamp}[/] [blue]{'build':<9}[/] {escape(service)} | {escape(line)}"
            )


class Display(Protocol):
    """Where ``up`` and ``down`` send their progress; ``phase`` brackets each stage."""

    def phase(self, name: str, plan: Plan | None = None) -> AbstractContextManager[None]: ...

    def step(self, event: Event) -> None: ...

    def build(self, service: str, line: str) -> None: ...

    def rollout(self, progress: Progress) -> None: ...

    def expect_rollouts(self, services: Sequence[str]) -> None: ...


class PlainDisplay:
    """Timestamped lines, one per change: for CI logs and pipes."""

    def __init__(self, console: Console, verbose: bool) -> None:
        self.step = ProgressPrinter(console)
        self.build = BuildPrinter(console, verbose)
        self.rollout = RolloutPrinter(console)

    @contextmanager
    def phase(self, name: str, plan: Plan | None = None) -> Iterator[None]:
        yield

    def expect_rollouts(self, services: Sequence[str]) -> None:
        pass


def display(console: Console, verbose: bool) -> Display:
    """A live view on a terminal, plain lines otherwise."""
    if console.is_terminal and not console.is_dumb_terminal:
        from ecsdeploy.output.live import LiveDisplay

        return LiveDisplay(console, verbose)
    return PlainDisplay(console, verbose)
