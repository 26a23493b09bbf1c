"""What ``status`` says of each scheduled job: its schedule, its next run, and its last
runs with their exit codes and durations.

The next run is computed here from the schedule's expression and time zone
(``spec.schedule``; a rate counts from the schedule's creation): Scheduler does not report
it. The runs are the job's tasks that ECS still knows: ListTasks of the job's
task-definition family, running and stopped, and DescribeTasks of those in the job's task
group (``job:NAME``: scheduled runs and ``run --job`` alike). ECS keeps stopped tasks for
a short while only (AWS, ListTasks: "Recently stopped tasks might appear in the returned
results"; in practice about an hour), so older runs are not shown: their lines stay in the
job's log group (``ecsdeploy logs``), and a failed one was told to the alarm topic.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ecsdeploy.aws.clients import Client
from ecsdeploy.resources.base import Observed
from ecsdeploy.resources.reads import read_each
from ecsdeploy.spec.naming import Owner
from ecsdeploy.spec.schedule import ScheduleError, next_run, parse

RUNS_SHOWN = 5
DESCRIBE_LIMIT = 100  # DescribeTasks takes at most 100 tasks


@dataclass(frozen=True)
class JobRun:
    """One task of a job, as ECS still describes it."""

    task: str  # the task's id
    status: str  # its last status: RUNNING, STOPPED, ...
    started: datetime | None
    stopped: datetime | None
    exit_code: int | None  # the essential container's; None while running or never started
    reason: str  # stoppedReason, "" when none

    @property
    def seconds(self) -> float | None:
        """How long it ran (until now, while it runs); None when it never started."""
        if self.started is None:
            return None
        end = self.stopped or datetime.now(UTC)
        return max(0.0, (end - self.started).total_seconds())


@dataclass(frozen=True)
class JobStatus:
    """A job's schedule, its next run (None when it has none) and its recent runs."""

    name: str
    expression: str
    timezone: str
    state: str  # ENABLED or DISABLED
    next_run: datetime | None
    runs: list[JobRun] = field(default_factory=list)


def job_statuses(
    ecs: Client, owner: Owner, found: list[Observed], now: datetime | None = None
) -> list[JobStatus]:
    """Each job whose schedule ``found`` holds, with its next run and last runs."""
    moment = now or datetime.now(UTC)
    out = []
    for item in found:
        if item.kind != "scheduler.schedule":
            continue
        expression = str(item.props.get("expression") or "")
        timezone = str(item.props.get("timezone") or "UTC")
        created = item.attrs.get("created")
        out.append(
            JobStatus(
                name=item.name,
                expression=expression,
                timezone=timezone,
                state=item.state,
                next_run=_next(expression, timezone, moment, created, item.state),
                runs=runs_of(ecs, owner, item.name, str(item.props.get("task_group") or "")),
            )
        )
    return out


def _next(
    expression: str, timezone: str, now: datetime, created: Any, state: str
) -> datetime | None:
    if state == "DISABLED":
        return None
    try:
        return next_run(
            parse(expression), timezone, now, created if isinstance(created, datetime) else None
        )
    except (ScheduleError, ValueError):
        return None


def runs_of(ecs: Client, owner: Owner, job: str, group: str) -> list[JobRun]:
    """The job's last runs ECS still knows, newest first."""
    cluster = owner.prefix
    family = owner.name(job)
    # ListTasks takes one desired status a call: both at once, one round trip
    listed = read_each(
        lambda desired: list(
            ecs.pages(
                "ListTasks", "taskArns", cluster=cluster, family=family, desiredStatus=desired
            )
        ),
        ["RUNNING", "STOPPED"],
    )
    arns = [arn for found in listed for arn in found]
    tasks: list[dict[str, Any]] = []
    for i in range(0, len(arns), DESCRIBE_LIMIT):
        tasks += ecs.describe_tasks(cluster=cluster, tasks=arns[i : i + DESCRIBE_LIMIT]).get(
            "tasks", []
        )
    mine = [t for t in tasks if not group or t.get("group") == group]
    mine.sort(key=lambda t: t.get("createdAt") or datetime.min.replace(tzinfo=UTC), reverse=True)
    return [_run(t, job) for t in mine[:RUNS_SHOWN]]


def _run(task: dict[str, Any], container: str) -> JobRun:
    boxes = task.get("containers", [])
    box = next((c for c in boxes if c.get("name") == container), boxes[0] if boxes else {})
    code = box.get("exitCode")
    return JobRun(
        task=str(task.get("taskArn", "")).rsplit("/", 1)[-1],
        status=str(task.get("lastStatus", "")),
        started=task.get("startedAt"),
        stopped=task.get("stoppedAt"),
        exit_code=int(code) if code is not None else None,
        reason=str(task.get("stoppedReason") or box.get("reason") or ""),
    )
