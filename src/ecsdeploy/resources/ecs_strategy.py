"""How a service's props map onto ECS's deployment strategies: canary, linear and
blue/green traffic shifting behind the load balancer, the PAUSE lifecycle hook, and the
alarms ECS rolls back on (``ServiceProps``'s strategy fields; ``ecs_service`` calls these).

ECS developer guide: "Amazon ECS blue/green deployments" (deployment-type-blue-green),
"canary deployments" (canary-deployment), "linear deployments" (linear-deployment),
"lifecycle hooks" (deployment-lifecycle-hooks). Behind an Application Load Balancer ECS
needs, per load balancer of the service, ``advancedConfiguration``: the alternate target
group, the production listener rule (which forwards to both groups; ECS moves the weights)
and the role ECS assumes to move them; a test listener rule gives the new revision test
traffic before production traffic.

A field a service does not set (no ``deploy:`` in the spec) is left out of its props; a
service that ran a strategy and no longer should is switched back to rolling
(``cleared``): AWS keeps the service and its tasks ("Updating the deployment strategy from
Amazon ECS blue/green to rolling update", update-bluegreen-to-rolling).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from ecsdeploy.resources.base import Change

ROLLING = "ROLLING"
CANARY = "CANARY"
LINEAR = "LINEAR"
# the stage a paused deployment waits at: the new revision has all the test traffic and
# none of the production traffic (PAUSE hooks cannot be set at TEST_TRAFFIC_SHIFT or
# PRODUCTION_TRAFFIC_SHIFT: botocore's model of DeploymentLifecycleHook.lifecycleStages)
PAUSE_STAGE = "POST_TEST_TRAFFIC_SHIFT"
# the service props the strategy sets, and what each is when the service rolls
FIELDS: Mapping[str, Any] = {
    "strategy": ROLLING,
    "bake_minutes": None,
    "steps": None,
    "pause_at": None,
    "alarms": None,
    "traffic": None,
}
# Traffic = (alternate target group, production rule, test rule or None, role): ARNs
Traffic = tuple[Any, Any, Any, Any]


def deployment_args(props: Any, clearing: bool = False) -> dict[str, Any]:
    """The members of ``deploymentConfiguration`` the strategy sets (none for a service
    without a strategy, unless ``clearing`` one it had)."""
    strategy = props.strategy
    alarms = sorted(str(a) for a in props.alarms or ())
    if strategy is None and not clearing:
        # a service without a ``deploy:``: ECS's rolling strategy, watching its alarms
        return {"alarms": _alarms(alarms)} if alarms else {}
    out: dict[str, Any] = {"strategy": strategy or ROLLING}
    if strategy not in (None, ROLLING):
        out["bakeTimeInMinutes"] = props.bake_minutes
    if strategy == CANARY and props.steps is not None:
        percent, minutes = props.steps
        out["canaryConfiguration"] = {
            "canaryPercent": float(percent),
            "canaryBakeTimeInMinutes": int(minutes),
        }
    if strategy == LINEAR and props.steps is not None:
        percent, minutes = props.steps
        out["linearConfiguration"] = {
            "stepPercent": float(percent),
            "stepBakeTimeInMinutes": int(minutes),
        }
    # an empty list removes a hook the service had (a pause taken out of the spec)
    out["lifecycleHooks"] = (
        [{"targetType": "PAUSE", "lifecycleStages": [props.pause_at]}] if props.pause_at else []
    )
    out["alarms"] = _alarms(alarms)
    return out


def _alarms(names: list[str]) -> dict[str, Any]:
    """``DeploymentAlarms``: ECS fails the deployment when one of them goes to ALARM and
    rolls back to the last completed one; an empty list turns the check off."""
    return {"alarmNames": names, "enable": bool(names), "rollback": bool(names)}


def advanced(traffic: Traffic | None) -> dict[str, str] | None:
    """A load balancer's ``advancedConfiguration``; None without traffic shifting."""
    if traffic is None:
        return None
    alternate, production, test, role = traffic
    out = {
        "alternateTargetGroupArn": str(alternate),
        "productionListenerRule": str(production),
        "roleArn": str(role),
    }
    if test is not None:
        out["testListenerRule"] = str(test)
    return out


def observed(svc: Mapping[str, Any]) -> dict[str, Any]:
    """The strategy props of a DescribeServices answer (none when it says nothing of the
    deployment configuration: an emulator that omits it)."""
    if "deploymentConfiguration" not in svc:
        return {}
    config = svc["deploymentConfiguration"]
    strategy = str(config.get("strategy") or ROLLING)
    steps = None
    if strategy == CANARY and "canaryConfiguration" in config:
        canary = config["canaryConfiguration"]
        steps = (
            float(canary.get("canaryPercent", 5.0)),
            int(canary.get("canaryBakeTimeInMinutes", 10)),
        )
    if strategy == LINEAR and "linearConfiguration" in config:
        linear = config["linearConfiguration"]
        steps = (
            float(linear.get("stepPercent", 10.0)),
            int(linear.get("stepBakeTimeInMinutes", 6)),
        )
    pause = next(
        (
            stage
            for hook in config.get("lifecycleHooks") or []
            if hook.get("targetType") == "PAUSE"
            for stage in hook.get("lifecycleStages") or []
        ),
        None,
    )
    alarms = config.get("alarms") or {}
    names = frozenset(alarms.get("alarmNames") or ())
    found: dict[str, Any] = {
        "strategy": strategy,
        "bake_minutes": config.get("bakeTimeInMinutes") if strategy != ROLLING else None,
        "steps": steps,
        "pause_at": pause,
        "alarms": names if names and alarms.get("enable") and alarms.get("rollback") else None,
        "traffic": None,
    }
    for lb in svc.get("loadBalancers") or []:
        adv = lb.get("advancedConfiguration")
        if adv:
            found["traffic"] = (
                adv.get("alternateTargetGroupArn"),
                adv.get("productionListenerRule"),
                adv.get("testListenerRule"),
                adv.get("roleArn"),
            )
    return found


def cleared(want: Mapping[str, Any], have: Mapping[str, Any]) -> list[Change]:
    """The strategy fields ``want`` leaves out (a service without ``deploy:``) that the
    service holds at other than the rolling values: they go back to those."""
    return [
        Change(name, have[name], None)
        for name, rolling in FIELDS.items()
        if name not in want and name in have and have[name] != rolling
    ]


def summary(props: Any) -> str:
    """What the plan says of a service's strategy: "blue_green, bake 10 min, pause"."""
    strategy = str(props.strategy or ROLLING).lower()
    parts = [strategy]
    if props.strategy == CANARY and props.steps is not None:
        parts.append(f"{props.steps[0]:g}% first, the rest after {props.steps[1]} min")
    if props.strategy == LINEAR and props.steps is not None:
        parts.append(f"{props.steps[0]:g}% every {props.steps[1]} min")
    if props.strategy not in (None, ROLLING):
        parts.append(f"bake {props.bake_minutes} min")
    if props.pause_at:
        parts.append("pause before production traffic")
    if props.alarms:
        parts.append(f"rollback on {len(props.alarms)} alarms")
    return ", ".join(parts)


def shift_seconds(props: Mapping[str, Any]) -> float:
    """How long ECS takes, by the strategy alone, to move a deployment's traffic and bake
    (observed props): the minutes of the canary's wait or the linear steps, plus the bake
    time. A rollout wait gets this on top of its own deadline."""
    strategy = props.get("strategy")
    if strategy in (None, ROLLING):
        return 0.0
    minutes = float(props.get("bake_minutes") or 0)
    steps = props.get("steps")
    if strategy == CANARY and steps:
        minutes += steps[1]
    if strategy == LINEAR and steps:
        minutes += math.ceil(100 / float(steps[0]) - 1) * steps[1]
    return minutes * 60


def same_pair(want: Mapping[str, Any], have: Mapping[str, Any]) -> bool:
    """Whether ``have`` runs behind the same two target groups as ``want``, with the
    service's group and the alternate the other way round (how a deployment may leave
    them): not a change ecsdeploy makes."""
    wt, ht = want.get("traffic"), have.get("traffic")
    wl, hl = want.get("load_balancers"), have.get("load_balancers")
    if not wt or not ht or not wl or not hl or len(wl) != 1 or len(hl) != 1:
        return False
    (w_group, w_name, w_port), (h_group, h_name, h_port) = next(iter(wl)), next(iter(hl))
    crossed = (w_group, wt[0]) == (ht[0], h_group)
    return crossed and (w_name, w_port) == (h_name, h_port) and tuple(wt[1:]) == tuple(ht[1:])
