"""What ``ls`` tells of one environment (``ops.inventory`` finds them, ``output`` renders
them)."""

from __future__ import annotations

from dataclasses import dataclass

from ecsdeploy.plan.cost import CostEstimate
from ecsdeploy.resources.releases import Release
from ecsdeploy.spec.naming import Owner


@dataclass(frozen=True)
class EnvSummary:
    """One environment as ``ls`` shows it."""

    owner: Owner
    region: str
    url: str
    services: tuple[str, ...]
    last: Release | None  # the newest release of its ledger
    cost: CostEstimate
    expires: str = ""  # ISO 8601 UTC, for an env deployed with ``up --ttl``
    resources: int = 0
