"""The ``deploy:`` block: how ECS rolls a new revision out (rolling, canary, linear or
blue/green), app-wide and per service, and the one strategy a service ends up with.

Ranges are AWS's (botocore's ECS model: ``CanaryConfiguration``, ``LinearConfiguration``,
``DeploymentConfiguration.bakeTimeInMinutes``); ``spec.deploy_checks`` reports them
against the key that holds them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Strategy = Literal["rolling", "canary", "linear", "blue_green"]

# ECS's names of the strategies
ECS_STRATEGY: dict[str, str] = {
    "rolling": "ROLLING",
    "canary": "CANARY",
    "linear": "LINEAR",
    "blue_green": "BLUE_GREEN",
}
# ECS's defaults (botocore's model documentation of each member)
DEFAULT_BAKE = 10  # bakeTimeInMinutes: required with BLUE_GREEN; ecsdeploy's default
DEFAULT_CANARY_PERCENT = 5.0
DEFAULT_CANARY_BAKE = 10
DEFAULT_STEP_PERCENT = 10.0
DEFAULT_STEP_MINUTES = 6


class Deploy(BaseModel):
    """How a new revision reaches users; every key left out takes the app-wide value (or
    ECS's default)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    strategy: Strategy | None = Field(
        None,
        description="rolling (default: replace tasks, circuit breaker with rollback), "
        "canary, linear or blue_green (ECS shifts load-balancer traffic to the new "
        "revision; needs a `route:`).",
    )
    bake_minutes: int | None = Field(
        None,
        description="Minutes both revisions keep running after production traffic has "
        "moved, before the old one stops (0-1440, default 10; not for rolling).",
    )
    canary_percent: float | None = Field(
        None, description="canary: percent of traffic sent first (0.1-100, default 5)."
    )
    step_percent: float | None = Field(
        None, description="linear: percent of traffic moved per step (3-100, default 10)."
    )
    step_minutes: int | None = Field(
        None,
        description="canary: minutes before the rest moves; linear: minutes between steps "
        "(0-1440; defaults 10 and 6).",
    )
    pause_before_traffic: bool | None = Field(
        None,
        description="Stop once the new revision is healthy on the test route, before any "
        "production traffic: `ecsdeploy promote` continues, `ecsdeploy abort` rolls back.",
    )
    rollback_on_alarms: bool | None = Field(
        None,
        description="Hand the service's latency alarm and the load balancer's 5xx-rate "
        "alarm to ECS, which rolls a deployment back when one fires (default: on for every "
        "routed service with alarms on, rolling included, with or without `deploy:`).",
    )


@dataclass(frozen=True)
class Plan:
    """The strategy one service ends up with: its own ``deploy:`` over the app's."""

    strategy: str  # rolling | canary | linear | blue_green
    bake_minutes: int
    canary_percent: float
    step_percent: float
    step_minutes: int
    pause: bool
    rollback_on_alarms: bool | None  # None: on where the service has alarms

    @property
    def shifts_traffic(self) -> bool:
        """Whether ECS moves load-balancer traffic (every strategy but rolling)."""
        return self.strategy != "rolling"


def merged(app: Deploy | None, own: Deploy | None) -> Deploy | None:
    """The service's own keys over the app-wide ones; None when neither is given."""
    if app is None and own is None:
        return None
    keys = Deploy.model_fields
    values = {
        k: (getattr(own, k) if own is not None and getattr(own, k) is not None else None)
        for k in keys
    }
    for k in keys:
        if values[k] is None and app is not None:
            values[k] = getattr(app, k)
    return Deploy(**values)


def plan_of(app: Deploy | None, own: Deploy | None) -> Plan | None:
    """The service's strategy with every default filled in; None without any ``deploy:``
    (the service deploys exactly as without the feature: rolling)."""
    given = merged(app, own)
    if given is None:
        return None
    strategy = given.strategy or "rolling"
    canary = strategy == "canary"
    return Plan(
        strategy=strategy,
        bake_minutes=DEFAULT_BAKE if given.bake_minutes is None else given.bake_minutes,
        canary_percent=given.canary_percent or DEFAULT_CANARY_PERCENT,
        step_percent=given.step_percent or DEFAULT_STEP_PERCENT,
        step_minutes=given.step_minutes
        if given.step_minutes is not None
        else (DEFAULT_CANARY_BAKE if canary else DEFAULT_STEP_MINUTES),
        pause=bool(given.pause_before_traffic),
        rollback_on_alarms=given.rollback_on_alarms,
    )
