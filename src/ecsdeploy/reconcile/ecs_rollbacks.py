"""What ECS says when it rolls a service deployment back itself: its deployment circuit
breaker, or one of the CloudWatch alarms handed to it in ``deploymentConfiguration.alarms``
going to ALARM (ECS developer guide: deployment-circuit-breaker, deployment-alarm-failure).
The rollout watcher reports the one ECS names, in ECS's words for an alarm.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "ALARM_ROLLBACK",
    "CIRCUIT_BREAKER",
    "alarm_reason",
    "circuit_breaker_acted",
    "rolled_back_by",
    "rolled_back_by_ecs",
]

CIRCUIT_BREAKER = "rolled back by the deployment circuit breaker"
# the reason goes on with ECS's own rolloutStateReason, which names the alarm
ALARM_ROLLBACK = "rolled back on a CloudWatch alarm"


def rolled_back_by_ecs(reason: str) -> bool:
    """Whether a failed rollout's reason says ECS itself rolled the deployment back (its
    circuit breaker, or one of the alarms handed to it)."""
    return reason == CIRCUIT_BREAKER or reason.startswith(ALARM_ROLLBACK)


def rolled_back_by(reason: object) -> str:
    """What a failed deployment's rolloutStateReason says rolled it back: an alarm (with
    ECS's words, which name it) or the circuit breaker."""
    text = str(reason or "").strip()
    if "alarm" in text.lower():
        return f"{ALARM_ROLLBACK}: {text}"
    return CIRCUIT_BREAKER


def alarm_reason(deployments: list[dict[str, Any]]) -> str:
    """The first rolloutStateReason of ``deployments`` that speaks of an alarm ("")."""
    reasons = (str(d.get("rolloutStateReason") or "") for d in deployments)
    return next((r for r in reasons if "alarm" in r.lower()), "")


def circuit_breaker_acted(deployments: list[dict[str, Any]], events: list[dict[str, Any]]) -> bool:
    """Whether ECS says, in this rollout's deployments or events, that it rolled back."""
    texts = [str(d.get("rolloutStateReason") or "") for d in deployments]
    texts += [str(e.get("message") or "") for e in events]
    words = ("circuit breaker", "rolling back", "alarm")
    return any(w in t.lower() for t in texts for w in words)
