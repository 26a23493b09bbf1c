"""Sizing advice for ``plan``: warnings, never errors. Pure: no AWS calls.

Three heuristics, each a guess stated with its reason:

* **model in too little memory**: a service "serves a model" when one of its env
  variable names contains ``MODEL`` (MODEL_URI, MODEL_PATH...) or a value refers to an
  artifact (``${artifacts.X.uri}``). Such a service loads the model into memory; below
  ``MODEL_MIN_MEMORY`` MiB it is likely to be killed for memory (OOM) as soon as the
  model and the server's workers are loaded.
* **expensive scale-out**: autoscaling ``max`` tasks at the service's Fargate size cost
  ``HIGH_SCALE_MONTHLY`` USD a month or more (list prices from ``plan.cost``), so a
  traffic spike or a scaling loop can cost that much.
* **no redundancy in production**: in an env named ``prod`` or ``production``, a
  service with ``count`` (or ``autoscaling.min``) of 1 runs in one zone only: a zone
  outage or a task restart takes it down.
"""

from __future__ import annotations

import re

from ecsdeploy.plan.cost import task_monthly
from ecsdeploy.spec.models import Service, Spec

MODEL_MIN_MEMORY = 1024  # MiB
HIGH_SCALE_MONTHLY = 500.0  # USD
PRODUCTION_ENVS = frozenset({"prod", "production"})
_ARTIFACT_REF = re.compile(r"\$\{\s*artifacts\.")


def serves_model(svc: Service) -> str | None:
    """Why ``svc`` looks like a model server (the env variable that says so), or None."""
    for key, value in sorted(svc.env.items()):
        if "MODEL" in key.upper() or _ARTIFACT_REF.search(value):
            return key
    return None


def advise(spec: Spec) -> list[str]:
    """Every sizing warning for ``spec``, by service."""
    out: list[str] = []
    for name, svc in spec.services.items():
        hint = serves_model(svc)
        if hint and svc.memory < MODEL_MIN_MEMORY:
            out.append(
                f"{name} looks like it serves a model (env {hint}) but has {svc.memory} MiB: "
                f"models load into memory; give it at least {MODEL_MIN_MEMORY} MiB "
                "(e.g. cpu: 512, memory: 1024) and watch its memory alarm"
            )
        if svc.autoscaling is not None:
            monthly = svc.autoscaling.max * task_monthly(spec.region, svc.cpu, svc.memory)
            if monthly >= HIGH_SCALE_MONTHLY:
                out.append(
                    f"{name} can scale out to {svc.autoscaling.max} tasks: up to "
                    f"${monthly:,.2f}/month in Fargate alone; lower autoscaling.max if that "
                    "is more than a spike is worth"
                )
        if spec.env in PRODUCTION_ENVS and svc.desired_count == 1:
            key = "autoscaling.min" if svc.autoscaling is not None else "count"
            out.append(
                f"{name} runs 1 task in env {spec.env}: one zone, no redundancy (a zone "
                f"outage or a task restart takes it down); set {key}: 2"
            )
    return out
