"""The ``wait`` use case: wait for every ECS service of the app to finish its current
rollout (for CI steps that ran ``up --no-wait``), and say how each one ended."""

from __future__ import annotations

from collections.abc import Callable

from ecsdeploy.ops.stages import Stages
from ecsdeploy.reconcile.rollout import Outcome, Progress, RolloutSource, Watch


def services(stages: Stages) -> list[Watch]:
    """A watch of every service the app runs, for the revision it runs now."""
    return stages.current_watches()


def wait(
    stages: Stages,
    watches: list[Watch],
    timeout: float,
    on_progress: Callable[[Progress], None] | None = None,
    source: RolloutSource | None = None,
) -> list[Outcome]:
    """Poll the rollouts until each is done or failed, or ``timeout`` seconds pass."""
    return stages.wait_for_rollouts(watches, timeout, on_progress, source)
