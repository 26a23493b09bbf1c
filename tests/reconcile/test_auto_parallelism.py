"""The executor's pool without --parallelism: the plan's steps that make calls over about
8 rounds, 8 at least (a small plan), 32 at most (the clients' connection pools)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from ecsdeploy.plan.model import Action
from ecsdeploy.reconcile.executor import auto_parallelism


def _graph(changes: int, noops: int = 0, ready: int = 0) -> dict[str, Any]:
    graph: dict[str, Any] = {}
    for i in range(changes):
        graph[f"apply:{i}"] = (SimpleNamespace(action=Action.CREATE), "apply", set())
    for i in range(noops):
        graph[f"noop:{i}"] = (SimpleNamespace(action=Action.NOOP), "apply", set())
    for i in range(ready):
        graph[f"ready:{i}"] = (SimpleNamespace(action=Action.CREATE), "ready", set())
    return graph


def test_scales_with_the_steps_that_make_calls() -> None:
    assert auto_parallelism(_graph(5)) == 8  # a redeploy
    assert auto_parallelism(_graph(50, noops=200, ready=3)) == 8  # one service's first up
    assert auto_parallelism(_graph(120)) == 15
    assert auto_parallelism(_graph(330)) == 32  # 20 services
    assert auto_parallelism(_graph(5000)) == 32
