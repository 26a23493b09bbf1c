"""``validate``, ``schema`` and ``verify``: check a spec, alone or against AWS."""

from __future__ import annotations

import json
import sys

import typer

from ecsdeploy.cli import seams
from ecsdeploy.cli.errors import EXIT_FAILED
from ecsdeploy.cli.shared import (
    DEFAULT_CONFIG,
    ConfigArg,
    EnvOpt,
    Output,
    OutputOpt,
    ProfileOpt,
    RegionOpt,
    connect,
    fail,
    load,
    target_of,
)
from ecsdeploy.output.console import out, print_json


def validate(config: ConfigArg = DEFAULT_CONFIG) -> None:
    """Check a spec without calling AWS.

    Example: ecsdeploy validate configs/example.yaml
    """
    try:
        spec = load(config)
    except Exception as exc:
        fail(exc)
    names = ", ".join(spec.services)
    out.print(f"[green]ok[/] {config}: app {spec.app}, env {spec.env}, services: {names}")


def schema() -> None:
    """Print the JSON Schema of the spec file (for editor autocompletion).

    Example: ecsdeploy schema > ecsdeploy.schema.json
    """
    from ecsdeploy.spec.models import Spec

    sys.stdout.write(json.dumps(Spec.model_json_schema(), indent=2) + "\n")


def verify(
    config: ConfigArg = DEFAULT_CONFIG,
    output: OutputOpt = Output.text,
    env: EnvOpt = None,
    region: RegionOpt = None,
    profile: ProfileOpt = None,
) -> None:
    """Check, before changing anything, what commonly fails a deploy: credentials, the
    secrets and images named, the certificate, health-check paths, Elastic IP and load
    balancer quotas, a custom domain's zone and records. Each check prints OK, WARN, FAIL
    or SKIP with the reason. `up` runs the same checks first.

    Example: ecsdeploy verify configs/example.yaml
    """
    try:
        target = target_of(config, None, env, region, profile)
        checks = seams.preflight(target, connect(target))
    except Exception as exc:
        fail(exc)
    from ecsdeploy.output.preflight_view import checks_json, show_checks

    if output is Output.json:
        print_json(checks_json(checks))
        passed = all(c.status != "FAIL" for c in checks)
    else:
        passed = show_checks(out, checks)
    if not passed:
        raise typer.Exit(EXIT_FAILED)
