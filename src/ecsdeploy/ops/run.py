"""The ``run`` use case: one task of a service, with its command overridden, watched to
its end.

The task runs the task definition the service runs now (read from the service, as
deployed, not from the spec), in the service's cluster, subnets and security groups, with
its launch type or capacity providers and platform version; only the command, environment
variables, cpu and memory are overridden (``RunTask``'s ``overrides``). ``startedBy`` says
that ecsdeploy started it.

Watching: the task's lines (its log stream ``ecs/<container>/<task id>`` in the service's
log group) go to the caller as they arrive (``reconcile.service_logs.follow``), while
``DescribeTasks`` is asked every ``STATUS_EVERY`` seconds how the task is; once it is
``STOPPED``, the logs are read for ``DRAIN`` seconds more (the last lines reach CloudWatch
after the container has exited). The wait is bounded by the caller's timeout: then the
task is stopped. The container, its log group and stream prefix, and the size that
``--cpu``/``--memory`` change, are read from the task definition.

AWS: a task that could not start (an image that cannot be pulled, a secret that cannot be
read) stops with ``stopCode`` ``TaskFailedToStart`` and its container without an exit code;
the reason is in ``stoppedReason`` (e.g. "CannotPullContainerError: ...") and in the
container's ``reason``
(https://docs.aws.amazon.com/AmazonECS/latest/developerguide/stopped-task-errors.html).
No printing here: lines and status changes go to callbacks.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from ecsdeploy.aws.clients import Client
from ecsdeploy.ops.stages import Stages
from ecsdeploy.reconcile import service_logs
from ecsdeploy.reconcile.service_logs import LogLine
from ecsdeploy.resources.ecs_common import cluster_name
from ecsdeploy.resources.ecs_task_definition import STREAM_PREFIX
from ecsdeploy.spec.limits import FARGATE_SIZES, describe_choices, fargate_memory_choices

STARTED_BY = "ecsdeploy-run"  # RunTask's startedBy: letters, digits, - _ /, up to 128
STATUS_EVERY = 5.0  # seconds between DescribeTasks
LOG_POLL = 2.0  # seconds between log reads
DRAIN = 5.0  # seconds the logs are still read once the task has stopped
DEFAULT_TIMEOUT = 30 * 60.0

__all__ = [
    "DEFAULT_TIMEOUT",
    "Finished",
    "LogLine",
    "Overrides",
    "RunError",
    "Started",
    "parse_env",
    "start_task",
    "stop_task",
    "watch_task",
]


class RunError(Exception):
    """The task cannot be started: the message says why and what to do."""


@dataclass(frozen=True)
class Overrides:
    """What the task changes of the service's task definition."""

    command: tuple[str, ...] = ()  # empty: the image's own command
    env: Mapping[str, str] = field(default_factory=dict)
    cpu: int | None = None
    memory: int | None = None


@dataclass(frozen=True)
class Started:
    """A task ``run`` started."""

    arn: str
    cluster: str
    service: str
    container: str
    task_definition: str
    log_group: str
    stream_prefix: str
    started: float  # epoch seconds, just before RunTask

    @property
    def id(self) -> str:
        return self.arn.rsplit("/", 1)[-1]

    @property
    def stream(self) -> str:
        return f"{self.stream_prefix}/{self.container}/{self.id}"


@dataclass(frozen=True)
class Finished:
    """How a watched task ended (or that the wait for it did)."""

    task: Started
    status: str  # the task's last status seen
    exit_code: int | None  # the essential container's; None when it never ran to an end
    reason: str  # AWS's stoppedReason (or the container's reason), "" when none
    stop_code: str
    timed_out: bool = False


def parse_env(pairs: Sequence[str]) -> dict[str, str]:
    """``K=V`` words -> a mapping; ValueError naming a word without ``=`` or a bad name."""
    out: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name or not (name[0].isalpha() or name[0] == "_"):
            raise ValueError(f"'{pair}' is not NAME=VALUE (e.g. --env LOG_LEVEL=debug)")
        if not all(c.isalnum() or c == "_" for c in name):
            raise ValueError(f"'{name}' is not a variable name: use letters, digits and _")
        out[name] = value
    return out


def check_size(cpu: int | None, memory: int | None, base_cpu: int, base_memory: int) -> None:
    """ValueError when the task's size (overrides on the service's) is not a Fargate size."""
    if cpu is None and memory is None:
        return
    want_cpu, want_memory = cpu or base_cpu, memory or base_memory
    if want_cpu not in FARGATE_SIZES:
        choices = ", ".join(str(c) for c in FARGATE_SIZES)
        raise ValueError(f"--cpu {want_cpu} is not a Fargate cpu; choose one of {choices}")
    if want_memory not in fargate_memory_choices(want_cpu):
        raise ValueError(
            f"--memory {want_memory} does not go with cpu {want_cpu} on Fargate "
            f"({describe_choices(want_cpu)})"
        )


def start_task(
    stages: Stages, service: str, overrides: Overrides, now: Callable[[], float] = time.time
) -> Started:
    """Start one task of ``service``'s current task definition with ``overrides``."""
    ecs = stages.aws.client("ecs")
    owner = stages.target.owner
    cluster = cluster_name(owner)
    described = _service(ecs, cluster, service)
    definition = ecs.describe_task_definition(taskDefinition=described["taskDefinition"])[
        "taskDefinition"
    ]
    check_size(
        overrides.cpu,
        overrides.memory,
        int(definition.get("cpu") or 256),
        int(definition.get("memory") or 512),
    )
    container, log_group, prefix = _container(definition, owner.log_group(service), service)
    request: dict[str, Any] = {
        "cluster": cluster,
        "taskDefinition": described["taskDefinition"],
        "count": 1,
        "startedBy": STARTED_BY,
        "overrides": _overrides(container, overrides),
    }
    if described.get("networkConfiguration"):
        request["networkConfiguration"] = described["networkConfiguration"]
    if described.get("capacityProviderStrategy"):
        request["capacityProviderStrategy"] = described["capacityProviderStrategy"]
    else:
        request["launchType"] = described.get("launchType") or "FARGATE"
    if described.get("platformVersion"):
        request["platformVersion"] = described["platformVersion"]
    return run_one_task(
        ecs,
        request,
        now,
        f"{service}",
        Started(
            arn="",
            cluster=cluster,
            service=service,
            container=container,
            task_definition=str(described["taskDefinition"]),
            log_group=log_group,
            stream_prefix=prefix,
            started=0.0,
        ),
    )


def watch_task(
    stages: Stages,
    task: Started,
    on_line: Callable[[LogLine], None],
    on_status: Callable[[str], None],
    timeout: float,
    now: Callable[[], float] = time.time,
) -> Finished:
    """Pass the task's log lines to ``on_line`` and each new status to ``on_status`` until
    it stops, or until ``timeout`` seconds have passed (then the task is stopped)."""
    ecs = stages.aws.client("ecs")
    timing = stages.ctx.timing
    state = _TaskWatch(ecs, task, on_status, timing.clock, timing.clock() + timeout)
    # the window reaches back to the task's start, and a minute more for clock skew
    since = max(60.0, now() - task.started + 60.0)

    def of_the_task(line: LogLine) -> None:
        if line.task == task.id:  # servers that ignore the stream prefix send every task's
            on_line(line)

    service_logs.follow(
        stages.aws,
        task.log_group,
        since,
        None,
        of_the_task,
        timing,
        state.done,
        poll=LOG_POLL,
        now=now,
        stream=task.stream,
    )
    if state.timed_out:
        minutes = f"{timeout / 60:g}m"
        stop_task(stages, task, f"ecsdeploy run: --timeout {minutes} reached")
        return Finished(task, state.status, None, "", "", timed_out=True)
    return state.finished()


def stop_task(stages: Stages, task: Started, reason: str) -> None:
    """Ask ECS to stop ``task`` (it stops within seconds; StopTask returns at once)."""
    stages.aws.client("ecs").stop_task(cluster=task.cluster, task=task.arn, reason=reason[:255])


# --- internals ---------------------------------------------------------------------------


def _service(ecs: Client, cluster: str, service: str) -> dict[str, Any]:
    """The service as ECS runs it, or RunError when it is not deployed."""
    from ecsdeploy.aws.errors import NotFound

    hint = "run `ecsdeploy up` first: `run` starts the task definition the service runs now"
    try:
        found = ecs.describe_services(cluster=cluster, services=[service]).get("services", [])
    except NotFound:
        raise RunError(f"there is no cluster {cluster}; {hint}") from None
    live = [s for s in found if s.get("status") == "ACTIVE"]
    if not live:
        raise RunError(f"service {service} is not deployed in cluster {cluster}; {hint}")
    return dict(live[0])


def _container(definition: Mapping[str, Any], group: str, name: str) -> tuple[str, str, str]:
    """The essential container of a task definition (ecsdeploy's one; Express Mode names
    its own), its awslogs group and stream prefix; ecsdeploy's names when it has none."""
    boxes = list(definition.get("containerDefinitions", []))
    box = next((b for b in boxes if b.get("essential", True)), boxes[0] if boxes else {})
    options = box.get("logConfiguration", {}).get("options", {})
    return (
        str(box.get("name") or name),
        str(options.get("awslogs-group") or group),
        str(options.get("awslogs-stream-prefix") or STREAM_PREFIX),
    )


def _overrides(container_name: str, overrides: Overrides) -> dict[str, Any]:
    container: dict[str, Any] = {"name": container_name}
    if overrides.command:
        container["command"] = list(overrides.command)
    if overrides.env:
        container["environment"] = [
            {"name": k, "value": v} for k, v in sorted(overrides.env.items())
        ]
    out: dict[str, Any] = {"containerOverrides": [container]}
    if overrides.cpu is not None:
        out["cpu"] = str(overrides.cpu)
    if overrides.memory is not None:
        out["memory"] = str(overrides.memory)
    return out


class _TaskWatch:
    """The ``stop`` of the log follow: asks DescribeTasks every ``STATUS_EVERY`` seconds,
    reports each new status, and says stop ``DRAIN`` seconds after the task stopped, or
    at the deadline."""

    def __init__(
        self,
        ecs: Client,
        task: Started,
        on_status: Callable[[str], None],
        clock: Callable[[], float],
        deadline: float,
    ) -> None:
        self.ecs = ecs
        self.task = task
        self.on_status = on_status
        self.clock = clock
        self.deadline = deadline
        self.status = ""
        self.described: dict[str, Any] = {}
        self.asked_at: float | None = None
        self.stopped_at: float | None = None
        self.timed_out = False

    def done(self) -> bool:
        moment = self.clock()
        if self.stopped_at is not None:
            return moment >= self.stopped_at + DRAIN
        if moment >= self.deadline:
            self.timed_out = True
            return True
        if self.asked_at is None or moment - self.asked_at >= STATUS_EVERY:
            self.asked_at = moment
            self._describe()
            if self.status == "STOPPED":
                self.stopped_at = moment
        return False

    def _describe(self) -> None:
        out = self.ecs.describe_tasks(cluster=self.task.cluster, tasks=[self.task.arn])
        tasks = out.get("tasks", [])
        if not tasks:  # just started: DescribeTasks may not see it yet (eventual consistency)
            return
        self.described = tasks[0]
        status = str(self.described.get("lastStatus", ""))
        if status != self.status:
            self.status = status
            self.on_status(status)

    def finished(self) -> Finished:
        described = self.described
        box: dict[str, Any] = next(
            (c for c in described.get("containers", []) if c.get("name") == self.task.container),
            {},
        )
        code = box.get("exitCode")
        reason = str(described.get("stoppedReason") or box.get("reason") or "")
        return Finished(
            self.task,
            self.status,
            int(code) if code is not None else None,
            reason,
            str(described.get("stopCode", "")),
        )


def run_one_task(
    ecs: Any, request: dict[str, Any], now: Callable[[], float], what: str, task: Started
) -> Started:
    """RunTask ``request``: ``task`` with the started task's ARN and time, or RunError with
    ECS's failures when it started none (``what`` names it: "api", "job train")."""
    began = now()
    answer = ecs.run_task(**request)
    tasks = answer.get("tasks", [])
    if not tasks:
        reasons = "; ".join(
            f"{f.get('reason', 'unknown')}" + (f" ({f['detail']})" if f.get("detail") else "")
            for f in answer.get("failures", [])
        )
        raise RunError(
            f"ECS did not start a task of {what} in cluster {task.cluster}: "
            f"{reasons or 'no reason given'}; fix that and run the command again"
        )
    return replace(task, arn=str(tasks[0]["taskArn"]), started=began)
