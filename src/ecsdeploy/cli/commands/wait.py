"""``wait``: wait for the app's current rollouts (after ``up --no-wait``), reporting
them as ``up`` does; exit 0 when every service rolled out, 1 when one did not."""

from __future__ import annotations

import typer

from ecsdeploy.cli import seams
from ecsdeploy.cli.commands.up import RolloutTimeoutOpt, duration
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
    interrupted,
    target_of,
    title,
)
from ecsdeploy.cli.state import STATE
from ecsdeploy.output.console import err, out, print_json


def wait(
    config: ConfigArg = DEFAULT_CONFIG,
    env: EnvOpt = None,
    timeout: RolloutTimeoutOpt = "15m",
    output: OutputOpt = Output.text,
    region: RegionOpt = None,
    profile: ProfileOpt = None,
) -> None:
    """Wait until every service has rolled out its current revision (running and
    healthy), or say why not. For CI steps that ran `up --no-wait`. Changes nothing.

    Exit 0 when all rolled out, 1 when one failed or the deadline passed.

    Example: ecsdeploy wait configs/example.yaml --timeout 20m
    """
    from ecsdeploy.ops.wait import services
    from ecsdeploy.ops.wait import wait as run_wait
    from ecsdeploy.output.progress import display, show_outcomes
    from ecsdeploy.output.summary import rollouts_json

    try:
        target = target_of(config, None, env, region, profile)
        stages = connect(target)
        watches = services(stages)
        if not watches:
            err.print(f"{title(target)}: no ECS services to wait for.")
        else:
            err.print(
                f"Waiting up to {timeout} for the rollout of {len(watches)} service(s) "
                f"of {title(target)}..."
            )
        screen = display(err, STATE.verbose)
        with screen.phase("rollout"):
            screen.expect_rollouts([w.service for w in watches])
            outcomes = run_wait(
                stages, watches, duration(timeout), screen.rollout, seams.rollout_source(stages)
            )
    except KeyboardInterrupt:
        interrupted("wait", "Nothing was changed; ECS goes on rolling out.")
    except Exception as exc:
        fail(exc)
    show_outcomes(out if output is Output.text else err, outcomes)
    if output is Output.json:
        print_json({"ok": all(o.ok for o in outcomes), "rollouts": rollouts_json(outcomes, [])})
    if not all(o.ok for o in outcomes):
        raise typer.Exit(EXIT_FAILED)
