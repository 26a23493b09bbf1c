"""Preview environments: ``up --ttl`` marks an env with an expiry (``resources.expiry``),
and the ``gc`` use case removes every expired env of an app, each with the ``down`` use
case, then its expiry.

Expired envs are found by their tags (one ``GetResources``, ``resources.tagged``); an env
without an expiry is never touched. No printing here: the caller confirms (or refuses) and
renders; each env's ``down`` tells its own view.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from ecsdeploy.ops.down import DownOptions, DownRun, DownView, down
from ecsdeploy.ops.inventory import stages_of
from ecsdeploy.ops.stages import Stages
from ecsdeploy.ops.target import Target
from ecsdeploy.resources import expiry
from ecsdeploy.resources.tagged import tagged
from ecsdeploy.spec.naming import Owner

NEVER = ("never", "none", "0")
UNITS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_ttl(text: str) -> float | None:
    """Seconds in "90m", "12h", "3d", "2w"; None for "never" (the expiry is removed)."""
    if text.strip().lower() in NEVER:
        return None
    match = re.fullmatch(r"\s*(\d+)\s*([mhdw])\s*", text)
    if not match or int(match.group(1)) <= 0:
        raise ValueError(f"{text!r} is not a time to live such as 3d, 12h or 90m (or never)")
    return int(match.group(1)) * UNITS[match.group(2)]


def iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def mark_expiry(stages: Stages, ttl: str, now: datetime | None = None) -> str:
    """Set the env's expiry to ``ttl`` from ``now`` (``never``: remove it); returns it
    ("" when removed)."""
    seconds = parse_ttl(ttl)
    owner = stages.target.owner
    if seconds is None:
        expiry.clear(stages.aws, owner)
        return ""
    expires = iso((now or datetime.now(UTC)) + timedelta(seconds=seconds))
    expiry.write(stages.aws, owner, expires)
    return expires


def expires_of(stages: Stages) -> str:
    """The target env's expiry, or ""."""
    return expiry.read(stages.aws, stages.target.owner)


@dataclass(frozen=True)
class Expiring:
    owner: Owner
    expires: str  # ISO 8601 UTC


@dataclass
class GcRun:
    """One ``gc``: the envs past their expiry, those not yet, and each removal."""

    app: str
    expired: list[Expiring] = field(default_factory=list)
    later: list[Expiring] = field(default_factory=list)
    downs: dict[str, DownRun] = field(default_factory=dict)  # by env, in order

    @property
    def ok(self) -> bool:
        return all(r.result is None or r.result.ok for r in self.downs.values())


def find(stages: Stages, now: datetime) -> tuple[list[Expiring], list[Expiring]]:
    """(the app's envs past their expiry, those with one still ahead), by env."""
    marked = [
        Expiring(owner, found.expires)
        for owner, found in sorted(tagged(stages.aws, stages.target.owner.app).items(),
                                   key=lambda i: i[0].env)
        if found.expires
    ]  # fmt: skip
    stamp = iso(now)
    return [e for e in marked if e.expires <= stamp], [e for e in marked if e.expires > stamp]


def gc(
    stages: Stages,
    run: GcRun,
    options: DownOptions,
    view_of: Callable[[Target], DownView],
    confirm: Callable[[Sequence[Expiring]], None],
    dry_run: bool = False,
    now: datetime | None = None,
) -> GcRun:
    """Remove every expired env of the app: ``confirm`` unless ``options.yes`` (raise to
    stop), then ``down``
    each, without asking again, and remove its expiry once down; fills ``run``."""
    run.expired, run.later = find(stages, now or datetime.now(UTC))
    if dry_run or not run.expired:
        return run
    if not options.yes:
        confirm(run.expired)
    for env in run.expired:
        env_stages = stages_of(stages, env.owner)
        target = env_stages.target
        done = down(env_stages, DownRun(target), replace(options, yes=True), view_of(target))
        run.downs[env.owner.env] = done
        if done.result is None or done.result.ok:
            expiry.clear(stages.aws, env.owner)
    return run
