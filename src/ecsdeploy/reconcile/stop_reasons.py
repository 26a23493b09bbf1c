"""Why the tasks of a rollout stopped, told apart by cause: the fail-fast rule of ``watch``.

ECS's deployment circuit breaker gives up after about ten failed tasks (its threshold is
10 for services of fewer than 20 tasks, and it stops counting once one task of the
deployment has run: ``Deployment.failedTasks``). A rollout whose tasks keep stopping for
the same reason will not get better, so ``watch`` gives up after ``SAME_REASON`` of them.

A task's reason is made of its ``stopCode``, its ``stoppedReason`` and its container's
``reason`` and ``exitCode`` (DescribeTasks; see
https://docs.aws.amazon.com/AmazonECS/latest/developerguide/stopped-task-errors.html).
Two tasks stopped for the same cause still differ in what is particular to each (its id,
its address, its target group's ARN, how often a pull was retried), so ``cause`` replaces
those with placeholders before comparing; the exit code is kept (1 and 137 are different
failures).

Only failures count: a task that could not start (``TaskFailedToStart``), whose essential
container exited (``EssentialContainerExited``), or that the scheduler stopped because it
failed its health checks. Tasks stopped by a user, by a scale-in or by the rollout itself
are not failures.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from typing import Any

SAME_REASON = 3  # tasks stopped for one cause that end a rollout

FAILED_TO_START = "TaskFailedToStart"
CONTAINER_EXITED = "EssentialContainerExited"
SCHEDULER = "ServiceSchedulerInitiated"

_PATTERNS = [
    (re.compile(r"arn:aws[\w-]*:[^\s,;)\]\"']+"), "<arn>"),
    (re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b"), "<ip>"),
    (re.compile(r"\b(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\b"), "<id>"),
    (re.compile(r"\bsha256:[0-9a-f]{64}\b"), "<digest>"),
    (re.compile(r"\b[0-9a-f]{12,}\b"), "<id>"),  # task ids, container ids
    (re.compile(r"\b(?:eni|subnet|sg|vpc|i)-[0-9a-f]{8,17}\b"), "<id>"),
    (re.compile(r"\d+"), "<n>"),
]


def normalise(text: str) -> str:
    """``text`` with what is particular to one task replaced by placeholders."""
    out = text.strip()
    for pattern, placeholder in _PATTERNS:
        out = pattern.sub(placeholder, out)
    return re.sub(r"\s+", " ", out)


def is_failure(task: dict[str, Any]) -> bool:
    """Whether a stopped task failed (rather than being stopped on purpose)."""
    code = str(task.get("stopCode") or "")
    reason = str(task.get("stoppedReason") or "")
    if code in (FAILED_TO_START, CONTAINER_EXITED):
        return True
    # ELB or container health checks: the scheduler stops the task ("Task failed ELB
    # health checks in (target-group ...)", "Task failed container health checks").
    if code in ("", SCHEDULER) and "health check" in reason.lower():
        return True
    if code:
        return False
    # no stopCode (older records): the reason says it
    containers = task.get("containers") or []
    return reason.startswith("Essential container") or any(
        "CannotPull" in str(c.get("reason") or "") for c in containers
    )


def cause(task: dict[str, Any], container_name: str) -> str:
    """The normalised cause of a stopped task: equal for tasks stopped the same way."""
    parts = [str(task.get("stopCode") or ""), normalise(str(task.get("stoppedReason") or ""))]
    containers: list[dict[str, Any]] = list(task.get("containers") or [])
    containers.sort(key=lambda c: c.get("name") != container_name)
    for container in containers:
        code = container.get("exitCode")
        detail = str(container.get("reason") or "")
        if code is None and not detail:
            continue
        parts += [normalise(detail), "" if code is None else f"exit {code}"]
        break
    return " | ".join(parts)


def repeated(
    tasks: Iterable[dict[str, Any]], container_name: str, threshold: int = SAME_REASON
) -> tuple[int, dict[str, Any]] | None:
    """(how many, the newest such task) when ``threshold`` or more of the failed ``tasks``
    stopped for one cause; None otherwise."""
    failed = [t for t in tasks if is_failure(t)]
    counts = Counter(cause(t, container_name) for t in failed)
    if not counts:
        return None
    top, count = counts.most_common(1)[0]
    if count < threshold:
        return None
    same = [t for t in failed if cause(t, container_name) == top]
    newest = max(same, key=lambda t: str(t.get("stoppedAt") or ""))
    return count, newest


def of_deployment(
    tasks: Iterable[dict[str, Any]], task_definition: str, deployment: str
) -> list[dict[str, Any]]:
    """The tasks a deployment started: ECS sets a service task's ``startedBy`` to its
    deployment's id; a task without one counts by its task definition alone."""
    return [
        t
        for t in tasks
        if t.get("taskDefinitionArn") == task_definition
        and (not t.get("startedBy") or not deployment or t.get("startedBy") == deployment)
    ]


def text(task: dict[str, Any], container_name: str) -> str:
    """E.g. "Essential container in task exited (exit code 1)"."""
    said = str(task.get("stoppedReason") or task.get("stopCode") or "")
    containers: list[dict[str, Any]] = list(task.get("containers") or [])
    # Our container first; else any container that says something.
    containers.sort(key=lambda c: c.get("name") != container_name)
    for container in containers:
        code = container.get("exitCode")
        detail = str(container.get("reason") or "")
        if code is None and not detail:
            continue
        if detail and detail not in said:
            said = f"{said}: {detail}" if said else detail
        if code is not None:
            said += f" (exit code {code})"
        break
    return said
