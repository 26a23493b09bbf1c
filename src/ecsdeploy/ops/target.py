"""Where a command acts: the spec file (or an app named without one), its environment,
the region and the credentials' profile, resolved into a ``Target``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from difflib import get_close_matches
from pathlib import Path

from ecsdeploy.spec.errors import Problem, SpecError, UsageError
from ecsdeploy.spec.models import Spec
from ecsdeploy.spec.naming import MAX_ENV, Owner, name_problem

DEFAULT_CONFIG = Path("ecsdeploy.yaml")


@dataclass
class Target:
    """Where a command acts: the owner (app/env), region and credentials."""

    owner: Owner
    region: str
    profile: str | None = None
    spec: Spec | None = None
    spec_path: Path | None = None  # build contexts are relative to the spec file

    @classmethod
    def of(
        cls,
        spec: Spec,
        region: str | None = None,
        profile: str | None = None,
        spec_path: Path | None = None,
    ) -> Target:
        return cls(Owner(spec.app, spec.env), region or spec.region, profile, spec, spec_path)


def load(config: Path, sets: Sequence[str] = ()) -> Spec:
    from ecsdeploy.spec import load_spec

    return load_spec(config, sets)


def with_env(spec: Spec, env: str, path: Path) -> Spec:
    """The spec for another environment (``--env prod``): every name and tag follows."""
    why = name_problem(env, MAX_ENV)
    if why:
        raise SpecError([Problem("env", f"--env '{env}' {why}", file=str(path))])
    return spec.model_copy(update={"env": env})


def resolve(
    config: Path | None,
    app_name: str | None,
    env: str | None,
    region: str | None,
    profile: str | None,
    sets: Sequence[str] = (),
) -> Target:
    """The app to act on: from the spec, or from ``app_name``/``env`` when there is no
    spec; ``region`` overrides the spec's, ``sets`` (``KEY=VALUE``) its keys."""
    path = config or DEFAULT_CONFIG
    if config is not None or (path.exists() and app_name is None):
        spec = load(path, sets)
        if env and env != spec.env:
            spec = with_env(spec, env, path)
        return Target.of(spec, region, profile, path)
    if app_name is None:
        raise UsageError(
            [
                Problem(
                    "",
                    "no spec file here; pass CONFIG, or --app (and --env) to name the app",
                    file=str(path),
                )
            ]
        )
    if region is None:
        from ecsdeploy.aws.clients import default_region

        region = default_region(profile)
    if region is None:
        raise SpecError([Problem("", "no region: pass --region or set AWS_REGION")])
    return Target(Owner(app_name, env or "dev"), region, profile)


def check_service(target: Target, service: str, config: Path) -> Target:
    """``target``, for a command about one service, which its spec must have."""
    if target.spec is not None and service not in target.spec.services:
        choices = ", ".join(target.spec.services)
        close = get_close_matches(service, list(target.spec.services), n=1)
        guess = f"did you mean '{close[0]}'? " if close else ""
        raise UsageError(
            [
                Problem(
                    "", f"no service '{service}' in this spec; {guess}choose {choices}", str(config)
                )
            ]
        )
    return target


def check_job(target: Target, job: str, config: Path) -> Target:
    """``target``, for a command about one scheduled job, which its spec must have."""
    if target.spec is not None and job not in target.spec.jobs:
        jobs = list(target.spec.jobs)
        close = get_close_matches(job, jobs, n=1)
        guess = f"did you mean '{close[0]}'? " if close else ""
        choices = f"choose {', '.join(jobs)}" if jobs else "it has no `jobs:`"
        raise UsageError(
            [Problem("", f"no job '{job}' in this spec; {guess}{choices}", str(config))]
        )
    return target
