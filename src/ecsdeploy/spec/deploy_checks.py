"""Checks of the ``deploy:`` blocks (app-wide and per service): AWS's ranges, keys that
do not apply to the strategy in force, and strategies a service cannot use. Each yields
``(path, message)`` like ``spec.checks``."""

from __future__ import annotations

from ecsdeploy.spec.deploy import Deploy, merged
from ecsdeploy.spec.limits import Found, Path
from ecsdeploy.spec.models import Service, Spec

# key -> (low, high, unit, step): AWS's ranges (botocore's ECS model: CanaryConfiguration,
# LinearConfiguration, DeploymentConfiguration.bakeTimeInMinutes)
RANGES: dict[str, tuple[float, float, str]] = {
    "bake_minutes": (0, 1440, "minutes"),
    "step_minutes": (0, 1440, "minutes"),
    "canary_percent": (0.1, 100, "percent"),
    "step_percent": (3, 100, "percent"),
}
PERCENTS = ("canary_percent", "step_percent")  # multiples of 0.1
# the strategies each key applies to
APPLIES: dict[str, tuple[str, ...]] = {
    "bake_minutes": ("canary", "linear", "blue_green"),
    "canary_percent": ("canary",),
    "step_percent": ("linear",),
    "step_minutes": ("canary", "linear"),
    "pause_before_traffic": ("canary", "linear", "blue_green"),
}


def check_deploy(spec: Spec) -> Found:
    """Every problem of the app's and the services' ``deploy:`` blocks, once each."""
    said: set[tuple[Path, str]] = set()
    for path, message in _all(spec):
        if (path, message) not in said:
            said.add((path, message))
            yield path, message


def _all(spec: Spec) -> Found:
    if spec.deploy is not None:
        yield from _ranges(("deploy",), spec.deploy)
        yield from _applies(("deploy",), spec.deploy, spec.deploy.strategy, "the app's default")
    for name, svc in spec.services.items():
        base: Path = ("services", name, "deploy")
        if svc.deploy is not None:
            yield from _ranges(base, svc.deploy)
        given = merged(spec.deploy, svc.deploy)
        if given is None:
            continue
        yield from _fits(spec, name, svc, given)


def _ranges(base: Path, deploy: Deploy) -> Found:
    for key, (low, high, unit) in RANGES.items():
        value = getattr(deploy, key)
        if value is None:
            continue
        if not low <= value <= high:
            yield (*base, key), f"{value:g} {unit}; choose {low:g}-{high:g} (AWS's range)"
        elif key in PERCENTS and abs(value * 10 - round(value * 10)) > 1e-9:
            yield (*base, key), f"{value:g}: AWS takes multiples of 0.1 percent"


def _applies(base: Path, deploy: Deploy, strategy: str | None, who: str) -> Found:
    """The keys of one block that do not apply to the strategy ``who`` deploys with (an
    app-wide key is a default: a service with another strategy ignores it)."""
    strategy = strategy or "rolling"
    for key, strategies in APPLIES.items():
        value = getattr(deploy, key)
        if value is None or value is False or strategy in strategies:
            continue
        yield (
            (*base, key),
            f"applies to {' or '.join(strategies)} only, but {who} deploys {strategy}; "
            "remove it or choose one of those strategies",
        )


def _origin(svc: Service, key: str) -> Path:
    """Where a merged key was set: the service's block, else the app's."""
    if svc.deploy is not None and getattr(svc.deploy, key) is not None:
        return ("services", "{name}", "deploy", key)
    return ("deploy", key)


def _fits(spec: Spec, name: str, svc: Service, given: Deploy) -> Found:
    strategy = given.strategy or "rolling"

    def at(key: str) -> Path:
        path = _origin(svc, key)
        return tuple(name if part == "{name}" else part for part in path)

    if svc.deploy is not None:
        yield from _applies(("services", name, "deploy"), svc.deploy, strategy, name)
    if strategy != "rolling":
        if svc.mode == "express":
            yield (
                at("strategy"),
                f"{strategy} needs a load balancer ecsdeploy owns; {name} is an Express Mode "
                "service (AWS deploys it); remove the strategy",
            )
        elif not svc.routed:
            yield (
                at("strategy"),
                f"{strategy} shifts load-balancer traffic, but {name} has no `route:`; "
                "give it a route, or deploy it rolling",
            )
    if given.rollback_on_alarms and (spec.alarms is None or svc.alarms is None):
        yield (
            at("rollback_on_alarms"),
            f"{name} has no alarms (`alarms: false`) to roll back on; turn them on or "
            "remove rollback_on_alarms",
        )
