"""Watching ECS service rollouts after ``up`` and reporting them honestly.

``up`` registers task definitions and calls UpdateService; ECS then replaces the tasks in
the background. ``watch`` polls every changed service in one loop (their reads at once:
``reconcile.poll_reads``) until each one has either finished rolling out the task
definition ``up`` registered, or failed: the deployment circuit breaker gave up (and
usually rolled back), another deployment took over, the deadline passed, or
``SAME_REASON`` tasks of the new revision stopped for the same cause
(``reconcile.stop_reasons``: fail fast, long before the circuit breaker's ten). With
``atomic``, the first service that fails so (fail fast or the circuit breaker: it goes
back to its earlier revision) ends the watch of the others too: they go back with it (the
caller does that, ``ops.fail_fast``). A failed outcome carries the stopped tasks' reasons
and the last lines of the failing container's log, so the user sees why without opening
the console.

The AWS reads sit behind ``RolloutSource`` (shaped like the API responses; the real one is
``resources.rollout_reads``) because moto never runs tasks nor finishes a rollout: tests
drive ``watch`` with scripted timelines. How often it polls is ``reconcile.polling``'s
business: often while something is about to change, rarely while nothing can.

The rule that matters most: a service that is "stable" is not a successful deploy. After a
circuit-breaker rollback ECS makes the previous revision PRIMARY again and reaches a steady
state on it; only "our task definition is PRIMARY, COMPLETED, running and healthy" is OK.

Behind a load balancer a rollout is done a little before ECS says COMPLETED: once our
tasks are all running and are exactly the target group's healthy targets, every new
request goes to them, and the old tasks only drain (ECS calls the rollout COMPLETED after
the deregistration delay, when they have stopped). ``watch`` finishes there and says so.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from ecsdeploy.aws.errors import AwsError
from ecsdeploy.reconcile import stop_reasons
from ecsdeploy.reconcile.ecs_rollbacks import (
    CIRCUIT_BREAKER as CIRCUIT_BREAKER,
)
from ecsdeploy.reconcile.ecs_rollbacks import (
    alarm_reason,
    circuit_breaker_acted,
    rolled_back_by,
    rolled_back_by_ecs,
)
from ecsdeploy.reconcile.poll_reads import Read, read_polls
from ecsdeploy.reconcile.poll_reads import RolloutSource as RolloutSource
from ecsdeploy.reconcile.polling import Cadence, Pacer, transition_due
from ecsdeploy.resources.base import Timing

DRAINING = "old tasks draining"
NOT_FOUND = "service not found"
SAME_CAUSE = "tasks of the new revision stopped for the same reason"
WITH_RELEASE = "stopped with the release"
LOG_LINES = 20

# ECS reads are eventually consistent: right after UpdateService, DescribeServices may
# still show only the old deployment for a few seconds. Until our deployment has been seen
# once, another PRIMARY deployment counts as a failure only after this many seconds (or at
# once when ECS says the circuit breaker acted).
UNSEEN_GRACE = 30.0
# While our deployment runs fewer tasks than wanted, its stopped tasks are read at most once
# in this many base poll intervals (and at once when ECS counts a new failed task).
STOPPED_CHECK = 2


@dataclass(frozen=True)
class Watch:
    """One service whose rollout ``up`` started, and what it expects the rollout to reach."""

    cluster: str
    service: str
    task_definition: str  # the ARN `up` registered (or expects) for this service
    target_group_arn: str | None
    log_group: str
    container: str  # awslogs stream prefix is "ecs": streams are ecs/<container>/<task-id>
    desired: int
    previous: str = ""  # the revision the service ran before (fail fast goes back to it)


@dataclass
class Progress:
    """What a service's rollout looks like now; sent when any of it changes."""

    service: str
    running: int  # tasks of our task definition
    desired: int
    pending: int
    healthy_targets: int
    total_targets: int
    state: str  # rolloutState of our deployment, or PENDING / ROLLED_BACK / REPLACED / ...
    last_event: str


@dataclass
class Outcome:
    """How a service's rollout ended; ``reason`` is empty exactly when ``ok``."""

    service: str
    ok: bool
    reason: str
    stopped_reasons: list[str] = field(default_factory=list)
    log_lines: list[str] = field(default_factory=list)
    elapsed: float = 0.0
    note: str = ""  # e.g. DRAINING: done, and ECS still stops the old tasks
    rolled_back_to: str = ""  # the revision ecsdeploy put the service back on


@dataclass
class _Tracker:
    """The watch state of one service between polls."""

    watch: Watch
    seen_ours: bool = False
    baseline_events: set[str] | None = None  # events present at the first poll
    baseline_deployments: set[str] = field(default_factory=set)
    last_progress: Progress | None = None
    last_error: str = ""
    outcome: Outcome | None = None
    check_every: float = 10.0  # seconds between reads of the stopped tasks
    changed: bool = False  # the last poll saw something new
    due: bool = True  # something is about to change (reconcile.polling)
    failed_seen: int = 0  # our deployment's failedTasks when stopped tasks were last read
    stopped_read_at: float | None = None


def watch(
    watches: Sequence[Watch],
    source: RolloutSource,
    timeout: float,
    timing: Timing,
    on_progress: Callable[[Progress], None] | None = None,
    poll: float | None = None,
    atomic: bool = False,
) -> list[Outcome]:
    """Poll every service's rollout in one loop until each is done or ``timeout`` passes.
    ``poll`` is the base interval (``Timing.poll`` by default) ``reconcile.polling``
    scales; with ``atomic``, a service that goes back ends the others' watch.

    Returns one ``Outcome`` per watch, in the order given.
    """
    base = timing.poll if poll is None else poll
    cadence = Cadence.scaled(base)
    pacer = Pacer(cadence)
    trackers = [_Tracker(w, check_every=STOPPED_CHECK * base) for w in watches]
    start = timing.clock()
    # A clock that never advances must not make this loop endless: cap the polls too.
    max_polls = math.ceil(timeout / cadence.fast) + 2
    polls = 0
    while True:
        polls += 1
        pacer.polled(timing.clock())
        active = [t for t in trackers if t.outcome is None]
        services = [(t.watch.cluster, t.watch.service, t.watch.target_group_arn) for t in active]
        for tracker, read in zip(active, read_polls(source, services), strict=True):
            if tracker.outcome is None:  # not ended with an atomic release meanwhile
                _poll_one(tracker, read, source, start, timing, on_progress)
                if atomic and _went_back(tracker.outcome):
                    _stop_the_others(tracker, trackers, timing.clock() - start, on_progress)
        pending = [t for t in trackers if t.outcome is None]
        if not pending:
            break
        elapsed = timing.clock() - start
        if elapsed >= timeout or polls >= max_polls:
            for tracker in pending:
                reason = f"deadline reached after {elapsed:.0f}s"
                if tracker.last_error:
                    reason += f" (last error: {tracker.last_error})"
                _finish(tracker, source, reason, elapsed, on_progress, state="TIMED_OUT")
            break
        wait = pacer.next_wait(
            timing.clock(), any(t.changed for t in pending), any(t.due for t in pending)
        )
        timing.sleep(min(wait, timeout - elapsed))
    return [t.outcome for t in trackers if t.outcome is not None]


def _poll_one(
    tracker: _Tracker,
    read: Read,
    source: RolloutSource,
    start: float,
    timing: Timing,
    on_progress: Callable[[Progress], None] | None,
) -> None:
    w = tracker.watch
    tracker.changed = False
    if isinstance(read, AwsError):  # throttling, a network blip: poll on until the deadline
        tracker.last_error = str(read)
        return
    svc, targets = read
    tracker.last_error = ""
    elapsed = timing.clock() - start
    # A deleted service stays describable for a while with status INACTIVE (or DRAINING).
    if not svc or svc.get("status") in ("INACTIVE", "DRAINING"):
        _finish(tracker, source, NOT_FOUND, elapsed, on_progress, state="NOT_FOUND")
        return

    deployments: list[dict[str, Any]] = list(svc.get("deployments") or [])
    events: list[dict[str, Any]] = list(svc.get("events") or [])
    if tracker.baseline_events is None:
        tracker.baseline_events = {_event_key(e) for e in events}
        tracker.baseline_deployments = {str(d.get("id", "")) for d in deployments}
    new_events = [e for e in events if _event_key(e) not in tracker.baseline_events]

    primary = next((d for d in deployments if d.get("status") == "PRIMARY"), None)
    ours = _our_deployment(deployments, primary, w.task_definition)
    if ours is not None:
        tracker.seen_ours = True
    tracker.due = transition_due(ours, targets, w.desired)
    state = _rollout_state(svc, deployments, ours, primary)
    healthy = sum(1 for t in targets if _state(t) == "healthy")
    progress = Progress(
        service=w.service,
        running=int(ours.get("runningCount", 0)) if ours else 0,
        desired=w.desired,
        pending=int(ours.get("pendingCount", 0)) if ours else 0,
        healthy_targets=healthy,
        total_targets=len(targets),
        state=state,
        # ECS lists service events newest first.
        last_event=str(events[0].get("message", "")) if events else "",
    )

    failure = ""
    if ours is not None and ours.get("rolloutState") == "FAILED":
        # The circuit breaker stopped our deployment; with rollback on, ECS then starts a
        # new PRIMARY deployment of the last COMPLETED revision.
        failure, progress.state = rolled_back_by(ours.get("rolloutStateReason")), "FAILED"
    elif primary is not None and primary.get("taskDefinition") != w.task_definition:
        # Our revision is not PRIMARY (any more). ECS may call the service steady after a
        # rollback, but the revision running is not the one deployed: never a success.
        new_deployments = [
            d
            for d in deployments
            if d is ours or str(d.get("id", "")) not in tracker.baseline_deployments
        ]
        if circuit_breaker_acted(new_deployments, new_events):
            alarmed = alarm_reason(new_deployments)
            failure, progress.state = rolled_back_by(alarmed), "ROLLED_BACK"
        elif tracker.seen_ours or elapsed >= UNSEEN_GRACE:
            other = str(primary.get("taskDefinition", "?"))
            failure = f"replaced by another deployment (task definition {other})"
            progress.state = "REPLACED"
    if not failure and ours is not None and ours is primary and state != "COMPLETED":
        failure = _same_cause(tracker, source, ours, progress.running, timing.clock())
        if failure:
            progress.state = "FAILED"

    if failure:
        _finish(tracker, source, failure, elapsed, on_progress, progress=progress)
        return
    _report(tracker, progress, on_progress)
    if ours is None or ours is not primary or progress.running != w.desired:
        return
    # ECS may call the rollout COMPLETED before the load balancer has seen the new tasks
    # pass their health checks; only healthy targets serve traffic.
    if state == "COMPLETED" and (w.target_group_arn is None or healthy >= w.desired):
        tracker.outcome = Outcome(w.service, True, "", elapsed=elapsed)
    elif w.target_group_arn is not None and state == "IN_PROGRESS" and healthy >= w.desired:
        # the old tasks may already be draining: two more reads tell whose targets are healthy
        try:
            tasks = source.running_tasks(w.cluster, w.service)
        except AwsError as exc:
            tracker.last_error = str(exc)
            return
        if _serving(w, targets, tasks):
            # a first deploy has no old tasks: nothing to say
            old = any(d is not ours and d.get("runningCount") for d in deployments) or any(
                _state(t) == "draining" for t in targets
            )
            note = DRAINING if old else ""
            tracker.outcome = Outcome(w.service, True, "", elapsed=elapsed, note=note)


def _same_cause(
    tracker: _Tracker, source: RolloutSource, ours: dict[str, Any], running: int, now: float
) -> str:
    """The fail-fast reason when ``SAME_REASON`` tasks of our deployment stopped for one
    cause; "" otherwise. Reads the stopped tasks when ECS counts a new failed task, and
    while fewer than desired run, once every ``check_every`` seconds."""
    w = tracker.watch
    failed = int(ours.get("failedTasks") or 0)
    if tracker.stopped_read_at is None:  # the first poll: nothing of ours stopped yet
        tracker.stopped_read_at = now
    counted_more = failed > tracker.failed_seen
    tracker.failed_seen = failed  # ECS resets it to 0 once one of our tasks runs
    if not counted_more and (
        running >= w.desired or now - tracker.stopped_read_at < tracker.check_every
    ):
        return ""
    tracker.stopped_read_at = now
    try:
        tasks = source.stopped_tasks(w.cluster, w.service)
    except AwsError as exc:
        tracker.last_error = str(exc)
        return ""
    found = stop_reasons.repeated(
        stop_reasons.of_deployment(tasks, w.task_definition, str(ours.get("id") or "")), w.container
    )
    if found is None:
        return ""
    count, newest = found
    return f"{count} {SAME_CAUSE}: {stop_reasons.text(newest, w.container)}"


def _went_back(outcome: Outcome | None) -> bool:
    """Whether a service's rollout failed so that it goes back to its earlier revision."""
    if outcome is None or outcome.ok:
        return False
    return rolled_back_by_ecs(outcome.reason) or SAME_CAUSE in outcome.reason


def _stop_the_others(
    failed: _Tracker,
    trackers: list[_Tracker],
    elapsed: float,
    on_progress: Callable[[Progress], None] | None,
) -> None:
    """An atomic release: the watch of the others whose revision it changed ends with the
    failed one's (they go back with it)."""
    for tracker in trackers:
        w = tracker.watch
        if tracker is failed or tracker.outcome is not None:
            continue
        if not w.previous or w.previous == w.task_definition:
            continue  # not a service this release changed the revision of: nothing to undo
        base = tracker.last_progress or Progress(w.service, 0, w.desired, 0, 0, 0, "", "")
        _report(tracker, replace(base, state="ROLLED_BACK"), on_progress)
        reason = f"{WITH_RELEASE}: {failed.watch.service} failed"
        tracker.outcome = Outcome(w.service, False, reason, elapsed=elapsed)


def _serving(w: Watch, targets: list[dict[str, Any]], tasks: list[dict[str, Any]]) -> bool:
    """Whether our running tasks, ``desired`` of them, are exactly the healthy targets: the
    load balancer sends every new request to them, and none to the old tasks (draining or
    gone). Targets of type ``ip`` are named by the task's private address."""
    ours = {
        _address(t)
        for t in tasks
        if t.get("taskDefinitionArn") == w.task_definition and t.get("lastStatus") == "RUNNING"
    }
    ours.discard("")
    healthy = {
        str((t.get("Target") or {}).get("Id", "")) for t in targets if _state(t) == "healthy"
    }
    return len(ours) == w.desired and healthy == ours


def _state(target: dict[str, Any]) -> str:
    """A DescribeTargetHealth description's state: initial, healthy, draining, ..."""
    return str((target.get("TargetHealth") or {}).get("State") or "")


def _address(task: dict[str, Any]) -> str:
    """A Fargate (awsvpc) task's private IPv4 address, from its network interface."""
    for attachment in task.get("attachments") or []:
        if attachment.get("type") != "ElasticNetworkInterface":
            continue
        for detail in attachment.get("details") or []:
            if detail.get("name") == "privateIPv4Address":
                return str(detail.get("value") or "")
    return ""


def _our_deployment(
    deployments: list[dict[str, Any]], primary: dict[str, Any] | None, task_definition: str
) -> dict[str, Any] | None:
    if primary is not None and primary.get("taskDefinition") == task_definition:
        return primary
    return next((d for d in deployments if d.get("taskDefinition") == task_definition), None)


def _rollout_state(
    svc: dict[str, Any],
    deployments: list[dict[str, Any]],
    ours: dict[str, Any] | None,
    primary: dict[str, Any] | None,
) -> str:
    if ours is None:
        return "PENDING"
    found = ours.get("rolloutState")
    if found:
        return str(found)
    # No rolloutState: the service has no circuit breaker. Done once our deployment is the
    # only one and the service runs what it wants.
    if (
        ours is primary
        and len(deployments) == 1
        and svc.get("runningCount") == svc.get("desiredCount")
    ):
        return "COMPLETED"
    return "IN_PROGRESS"


def _event_key(event: dict[str, Any]) -> str:
    return str(event.get("id") or (event.get("createdAt"), event.get("message")))


def _report(
    tracker: _Tracker, progress: Progress, on_progress: Callable[[Progress], None] | None
) -> None:
    if progress != tracker.last_progress:
        tracker.changed = True
        tracker.last_progress = progress
        if on_progress is not None:
            on_progress(progress)


def _finish(
    tracker: _Tracker,
    source: RolloutSource,
    reason: str,
    elapsed: float,
    on_progress: Callable[[Progress], None] | None,
    progress: Progress | None = None,
    state: str = "",
) -> None:
    w = tracker.watch
    if progress is None:
        base = tracker.last_progress or Progress(w.service, 0, w.desired, 0, 0, 0, "", "")
        progress = replace(base, state=state)
    _report(tracker, progress, on_progress)
    stopped: list[str] = []
    lines: list[str] = []
    if reason != NOT_FOUND:
        stopped, lines = _diagnose(w, source)
    tracker.outcome = Outcome(w.service, False, reason, stopped, lines, elapsed)


def _diagnose(w: Watch, source: RolloutSource) -> tuple[list[str], list[str]]:
    """Why our tasks stopped, and the end of the failing container's log (best effort)."""
    try:
        tasks = source.stopped_tasks(w.cluster, w.service)
    except AwsError:
        tasks = []
    # Old-revision tasks stopped by the rollout itself are noise, not a diagnosis.
    ours = [t for t in tasks if t.get("taskDefinitionArn", w.task_definition) == w.task_definition]
    ours.sort(key=lambda t: str(t.get("stoppedAt") or ""), reverse=True)
    reasons: list[str] = []
    for task in ours:
        text = stop_reasons.text(task, w.container)
        if text and text not in reasons:
            reasons.append(text)

    prefix = f"ecs/{w.container}/"  # the trailing slash keeps "api" from matching "api-worker"
    candidates = [prefix + str(t["taskArn"]).rsplit("/", 1)[-1] for t in ours if t.get("taskArn")]
    lines: list[str] = []
    # The newest stopped task's own stream first: the newest stream by event time is often
    # a healthy old-revision task that keeps logging.
    for stream_prefix in [*candidates[:1], prefix]:
        try:
            lines = source.log_tail(w.log_group, stream_prefix, LOG_LINES)
        except AwsError:
            lines = []
        if lines:
            break
    return reasons, lines[-LOG_LINES:]
