"""The ``ls`` use case: the apps and environments ecsdeploy manages in the account and
region (found by their tags, ``resources.tagged``), each with its URL, services, last
release and monthly cost; and the note a command acting on an env with nothing in it gives
(which envs the app has, the closest first).

No printing here: results out.
"""

from __future__ import annotations

from dataclasses import replace
from difflib import get_close_matches

from ecsdeploy.ops.stages import Stages
from ecsdeploy.ops.status import inventory
from ecsdeploy.ops.target import Target
from ecsdeploy.plan.cost import estimate_now
from ecsdeploy.reconcile.inventory import EnvSummary
from ecsdeploy.reconcile.status import load_balancer_url
from ecsdeploy.resources import registry, releases
from ecsdeploy.resources.tagged import tagged
from ecsdeploy.spec.naming import Owner


def stages_of(base: Stages, owner: Owner) -> Stages:
    """``base``'s connection acting for another app/env (no spec: observe only)."""
    ctx = replace(base.ctx, owner=owner)
    target = Target(owner, base.target.region, base.target.profile)
    return Stages(target, base.aws, ctx, registry.handlers(ctx))


def list_envs(stages: Stages, app: str | None = None) -> list[EnvSummary]:
    """Every app/env with tagged resources in the region (of ``app`` only, if given), by
    app and env; each observed as ``status`` observes it."""
    found = []
    for owner, marks in sorted(tagged(stages.aws, app).items(), key=lambda i: astuple(i[0])):
        env = stages_of(stages, owner)
        observed = inventory(env)
        by_key = {o.key: o for o in observed}
        services = sorted(
            o.name for o in observed if o.kind in ("ecs.service", "ecs.express_service")
        )
        url = load_balancer_url(by_key) or next(
            (str(o.attrs.get("url")) for o in observed if o.attrs.get("url")), ""
        )
        ledger = releases.read_all(stages.aws, owner)
        found.append(
            EnvSummary(
                owner,
                stages.target.region,
                url if observed else "",
                tuple(services),
                ledger[-1] if ledger else None,
                estimate_now(by_key, stages.target.region),
                marks.expires,
                len(observed),
            )
        )
    return found


def astuple(owner: Owner) -> tuple[str, str]:
    return owner.app, owner.env


def known_envs(stages: Stages) -> list[str]:
    """The envs of the target's app that have tagged resources in the region."""
    app = stages.target.owner.app
    return sorted(o.env for o in tagged(stages.aws, app))


def unknown_env_note(stages: Stages) -> str:
    """For a command that found nothing of its target: which envs the app has (did you
    mean the closest?), or that it has none in this region."""
    owner, region = stages.target.owner, stages.target.region
    envs = [e for e in known_envs(stages) if e != owner.env]
    if not envs:
        return f"{owner.app} has no environment in {region}"
    close = get_close_matches(owner.env, envs, n=1)
    guess = f"; did you mean '{close[0]}'?" if close else ""
    return f"{owner.app} has no env '{owner.env}' in {region}; its envs: {', '.join(envs)}{guess}"
