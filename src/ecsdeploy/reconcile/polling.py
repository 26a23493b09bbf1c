"""How often ``watch`` reads a rollout: often while something is about to change, rarely
while nothing can, and never more than a fixed number of times a minute.

Every interval is a multiple of ``Timing.poll`` (``base``, 5 s on AWS), so tests and the
benchmark's time-scaled runs scale them together. With ``base`` = 5 s:

* a transition is due (a task of the new revision is PENDING or was just started, a target
  is ``initial`` or ``draining``, or the deployment runs fewer tasks than it wants, or ECS
  has not shown the new deployment yet): a poll every ``fast`` (1 s), as long as one of the
  last ``fast_polls`` (5) polls saw a change; after that each unchanged poll waits 1.5
  times longer, up to ``due_cap`` (3 s);
* nothing can change soon (every task runs, targets healthy or unhealthy, waiting for ECS
  to call it COMPLETED or for its circuit breaker): the wait grows by 1.5 times per poll
  from ``fast`` up to ``slow`` (15 s);
* intervals run from one poll's start to the next's, with at least ``fast`` / 2 between a
  poll's end and the next one's start (a long poll of many services);
* and whatever the above says, no more than ``budget`` polls in any ``window``: 36 a
  minute, three times the 12 a minute of a fixed 5 s interval. Each poll reads each
  service watched once (one DescribeServices, one DescribeTargetHealth), so that is also
  the bound on those calls per service per minute (docs/performance.md).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Cadence:
    """The intervals and the budget of one watch, in seconds."""

    fast: float
    due_cap: float
    slow: float
    budget: int  # polls at most in any `window`
    window: float
    growth: float = 1.5
    fast_polls: int = 5  # unchanged polls at `fast` while a transition is due

    @classmethod
    def scaled(cls, base: float) -> Cadence:
        """The cadence for a base interval (``Timing.poll``): 1/5, 3/5 and 3 times it; at
        most 3 x 12 polls in 12 base intervals."""
        if base <= 0:
            raise ValueError("poll interval must be positive")
        return cls(fast=base / 5, due_cap=base * 0.6, slow=base * 3, budget=36, window=base * 12)


def transition_due(
    deployment: dict[str, Any] | None, targets: list[dict[str, Any]], desired: int
) -> bool:
    """Whether ECS or the load balancer is about to change something a poll would see."""
    if deployment is None:  # ECS has not shown our deployment yet: it will at once
        return True
    if int(deployment.get("pendingCount") or 0) > 0:
        return True
    if int(deployment.get("runningCount") or 0) < desired:
        return True
    states = {str((t.get("TargetHealth") or {}).get("State") or "") for t in targets}
    return bool(states & {"initial", "draining"})


@dataclass
class Pacer:
    """The next wait of a watch, from what the last poll saw."""

    cadence: Cadence
    wait: float = 0.0  # the last wait chosen
    quiet: int = 0  # polls in a row that saw no change
    polls: deque[float] = field(default_factory=deque)  # when the recent polls ran

    def polled(self, now: float) -> None:
        self.polls.append(now)
        while self.polls and self.polls[0] <= now - self.cadence.window:
            self.polls.popleft()

    def next_wait(self, now: float, changed: bool, due: bool) -> float:
        """The seconds to wait, from ``now`` (the end of the last poll), before the next.
        Intervals run from one poll's start to the next's: a poll's own round trips do
        not push the next one later (1 s apart is 1 s, not 1 s + two calls). A poll that
        took longer than the interval (many services, read one after the other) is still
        followed by a rest of half the fastest interval: the calls never run back to back."""
        c = self.cadence
        self.quiet = 0 if changed else self.quiet + 1
        if changed or self.wait <= 0 or (due and self.quiet <= c.fast_polls):
            wait = c.fast
        else:
            wait = min(self.wait * c.growth, c.due_cap if due else c.slow)
        if due:
            wait = min(wait, c.due_cap)
        self.wait = wait
        at = (self.polls[-1] if self.polls else now) + wait
        # the budget: the poll after next may not be the (budget + 1)th in one window
        if len(self.polls) >= c.budget:
            oldest = self.polls[len(self.polls) - c.budget]
            at = max(at, oldest + c.window)
        return max(c.fast / 2, at - now)


def seen_at(seconds: float, cadence: Cadence) -> float:
    """When a watch that started at 0 first polls at or after ``seconds``, if a transition
    is due all along and no poll sees a change: 0, 1, ..., 6, 7.5, 9.75, 12.75, then every
    3 s (base 5 s).
    The lag it adds to a change is at most ``due_cap`` (the benchmark's rollout model)."""
    pacer = Pacer(cadence)
    now = 0.0
    while now < seconds:
        pacer.polled(now)
        now += pacer.next_wait(now, changed=now == 0.0, due=True)
    return now
