"""Paused releases: `up` waiting for a deployment that pauses before production traffic
(``wait_paused``: done once the new revision has all the test traffic, which ECS gives
it only healthy), and the two ways on: ``promote`` continues it
(ContinueServiceDeployment, with the hook id DescribeServiceDeployments gives) and
``abort`` rolls it back (StopServiceDeployment, ROLLBACK). Either waits, bounded, until ECS
has finished, and writes the outcome into the ledger's paused release.

ECS developer guide: deployment-lifecycle-hooks, continue-service-deployment.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from ecsdeploy.aws.clients import Aws
from ecsdeploy.aws.errors import AwsError
from ecsdeploy.desired.strategies import preview_url
from ecsdeploy.ops.stages import Stages
from ecsdeploy.ops.target import Target
from ecsdeploy.reconcile.lock import Lock
from ecsdeploy.reconcile.rollout import Outcome, Watch
from ecsdeploy.resources import releases
from ecsdeploy.resources.base import Observed, Ref, Unknown, resolve
from ecsdeploy.resources.ecs_common import cluster_name
from ecsdeploy.resources.releases import Release
from ecsdeploy.resources.service_deployments import (
    DONE,
    PAUSED_NOTE,
    ROLLED_BACK,
    ServiceDeployment,
    newest,
    resume,
    roll_back,
)


class NothingPaused(Exception):
    """No service of the app has a deployment waiting at a pause."""


@dataclass
class PausedRun:
    """One `promote` or `abort` of a paused release."""

    target: Target
    action: str  # "promote" | "abort"
    services: list[str] = field(default_factory=list)  # continued or rolled back
    outcomes: list[Outcome] = field(default_factory=list)
    release: Release | None = None  # the paused release, with its outcome now
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(o.ok for o in self.outcomes)


def pausing(watches: Sequence[Watch], resources: Mapping[str, Observed]) -> list[Watch]:
    """The watches of services whose deployment pauses before production traffic."""
    out = []
    for w in watches:
        have = next(
            (o for o in resources.values() if o.kind == "ecs.service" and o.name == w.service),
            None,
        )
        if have is not None and have.props.get("pause_at"):
            out.append(w)
    return out


def preview_urls(
    stages: Stages, names: Sequence[str], resources: Mapping[str, Observed]
) -> dict[str, str]:
    """Where each paused service's new revision answers (its test rule)."""
    spec = stages.target.spec
    if spec is None:
        return {}

    def lookup(ref: Ref) -> object:
        have = resources.get(ref.key)
        return have.attr(ref.attr) if have is not None else Unknown(ref)

    out = {}
    for name in names:
        url = resolve(preview_url(spec, name), lookup)
        if not isinstance(url, Unknown):
            out[name] = str(url)
    return out


def wait_paused(
    stages: Stages, watches: Sequence[Watch], urls: Mapping[str, str], timeout: float
) -> list[Outcome]:
    """Wait until each service's deployment pauses (ok, the note says where to test it),
    finishes (ok), or is rolled back (not ok); bounded by ``timeout`` seconds."""
    timing = stages.ctx.timing

    def settled(w: Watch, found: ServiceDeployment) -> Outcome | None:
        if found.paused:
            where = f"; test it at {urls[w.service]}" if w.service in urls else ""
            return Outcome(w.service, True, "", note=f"{PAUSED_NOTE}{where}")
        return _finished(w.service, found)

    return _poll(stages.aws, watches, settled, timeout, timing.poll, timing.clock, timing.sleep)


def promote(stages: Stages, timeout: float) -> PausedRun:
    """Continue every paused deployment of the app and wait for it to finish."""
    return _act(stages, "promote", resume, timeout)


def abort(stages: Stages, timeout: float) -> PausedRun:
    """Roll every paused deployment of the app back and wait for it to finish."""
    return _act(stages, "abort", roll_back, timeout)


def _act(
    stages: Stages,
    action: str,
    act: Callable[[Aws, ServiceDeployment], None],
    timeout: float,
) -> PausedRun:
    run = PausedRun(stages.target, action)
    owner = stages.target.owner
    cluster = cluster_name(owner)
    watches = stages.current_watches()
    paused = {}
    for w in watches:
        found = newest(stages.aws, cluster, w.service)
        if found is not None and found.paused:
            paused[w.service] = found
    if not paused:
        raise NothingPaused(
            f"no deployment of {owner.app}/{owner.env} waits before production traffic; "
            "`ecsdeploy history` shows the releases"
        )
    with Lock(stages.aws, owner, action):
        for name in sorted(paused):
            act(stages.aws, paused[name])
        run.services = sorted(paused)
        timing = stages.ctx.timing
        run.outcomes = _poll(
            stages.aws,
            [w for w in watches if w.service in paused],
            lambda w, found: _finished(w.service, found, aborting=action == "abort"),
            timeout,
            timing.poll,
            timing.clock,
            timing.sleep,
        )
        _settle(stages, run)
    return run


def _finished(service: str, found: ServiceDeployment, aborting: bool = False) -> Outcome | None:
    if found.status == DONE:
        return Outcome(service, True, "")
    if found.status in ROLLED_BACK:
        if aborting:
            return Outcome(service, True, "", note="rolled back")
        return Outcome(service, False, found.reason or f"ECS ended the deployment {found.status}")
    if found.finished:
        return Outcome(service, False, found.reason or f"ECS ended the deployment {found.status}")
    return None


def _poll(
    aws: Aws,
    watches: Sequence[Watch],
    settled: Callable[[Watch, ServiceDeployment], Outcome | None],
    timeout: float,
    poll: float,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
) -> list[Outcome]:
    done: dict[str, Outcome] = {}
    start = clock()
    while True:
        for w in watches:
            if w.service in done:
                continue
            try:
                found = newest(aws, w.cluster, w.service)
            except AwsError:
                continue  # a blip: asked again on the next poll, until the deadline
            outcome = settled(w, found) if found is not None else None
            if outcome is not None:
                done[w.service] = replace(outcome, elapsed=clock() - start)
        elapsed = clock() - start
        if len(done) == len(watches) or elapsed >= timeout:
            break
        sleep(min(poll, timeout - elapsed))
    for w in watches:
        done.setdefault(
            w.service,
            Outcome(
                w.service,
                False,
                f"deadline reached after {elapsed:.0f}s (the deployment "
                "neither paused nor finished)",
            ),
        )
    return [done[w.service] for w in watches]


def _settle(stages: Stages, run: PausedRun) -> None:
    """The ledger's newest paused release, with the outcome now known."""
    owner = stages.target.owner
    try:
        known = releases.read_all(stages.aws, owner)
        paused = next((r for r in reversed(known) if r.outcome == releases.PAUSED), None)
        if paused is None:
            return
        each = {o.service: o for o in run.outcomes}
        if run.action == "abort":
            outcome, reason = releases.ROLLED_BACK, "aborted before production traffic"
        elif run.ok:
            outcome, reason = releases.ROLLED_OUT, ""
        else:
            outcome = releases.FAILED
            reason = "; ".join(f"{o.service}: {o.reason}" for o in run.outcomes if not o.ok)
        services = {
            name: replace(svc, outcome=outcome if name in each else svc.outcome)
            for name, svc in paused.services.items()
        }
        run.release = replace(paused, outcome=outcome, reason=reason, services=services)
        releases.settle(stages.aws, owner, run.release)
    except AwsError as exc:
        run.warnings.append(
            f"could not write the outcome into {releases.path(owner)} ({exc.message}); "
            "`history` still shows the release as paused"
        )


def settle_ended(stages: Stages, known: list[Release]) -> list[Release]:
    """``known`` (oldest first) with its newest release settled, when it is recorded as
    paused and ECS has since ended each of its paused deployments without ecsdeploy: ECS
    rolls a deployment back when nobody continues it before the PAUSE hook times out (ECS
    developer guide, deployment-lifecycle-hooks), and one can be continued or stopped from
    the console. Otherwise the ledger would call the release paused for ever.

    Reads the newest deployment of each paused service (a List and a Describe each) only
    while the newest release is paused; writes the settled record once (one PutParameter,
    as `promote` and `abort` do). A read or write that fails leaves ``known`` as it is."""
    if not known or known[-1].outcome != releases.PAUSED:
        return known
    paused = known[-1]
    names = sorted(n for n, s in paused.services.items() if s.outcome == releases.PAUSED)
    if not names:
        return known
    cluster = cluster_name(stages.target.owner)
    # the release is written once its deployments wait at the pause: each paused one is
    # the newest created by then (a later one, from the console, is not this release's)
    at = datetime.fromisoformat(paused.at.replace("Z", "+00:00"))
    ended: dict[str, ServiceDeployment] = {}
    try:
        for name in names:
            found = newest(stages.aws, cluster, name, before=at)
            if found is None or not found.finished:
                return known  # still paused (or no deployment to judge by): as recorded
            ended[name] = found
    except AwsError:
        return known
    each = {name: _ledger_outcome(found) for name, found in ended.items()}
    worst = next(
        (o for o in (releases.FAILED, releases.ROLLED_BACK) if o in each.values()),
        releases.ROLLED_OUT,
    )
    reason = "; ".join(
        f"{name}: ended by ECS while paused ({found.reason or found.status})"
        for name, found in ended.items()
        if found.status != DONE
    )
    services = {
        name: replace(svc, outcome=each.get(name, svc.outcome))
        for name, svc in paused.services.items()
    }
    settled = replace(paused, outcome=worst, reason=reason, services=services)
    try:
        releases.settle(stages.aws, stages.target.owner, settled)
    except AwsError:
        return known
    return [*known[:-1], settled]


def _ledger_outcome(found: ServiceDeployment) -> str:
    """What the ledger calls a finished deployment's end."""
    if found.status == DONE:
        return releases.ROLLED_OUT
    return releases.ROLLED_BACK if found.status in ROLLED_BACK else releases.FAILED
