"""``restart`` and ``scale``: operate one running service without editing the spec; both
wait for the rollout like `up`, and the next `plan`/`up` says what it undoes."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from ecsdeploy.cli import seams
from ecsdeploy.cli.commands.up import RolloutTimeoutOpt, duration
from ecsdeploy.cli.errors import EXIT_BAD_INPUT, EXIT_FAILED
from ecsdeploy.cli.hints import command_line
from ecsdeploy.cli.shared import (
    DEFAULT_CONFIG,
    EnvOpt,
    Output,
    OutputOpt,
    ProfileOpt,
    RegionOpt,
    connect,
    fail,
    interrupted,
    service_target,
    title,
)
from ecsdeploy.cli.state import STATE
from ecsdeploy.output.console import err, out, print_json

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ecsdeploy.ops.operate import OperateRun
    from ecsdeploy.output.progress import Display
    from ecsdeploy.reconcile.rollout import Watch

WaitOpt = Annotated[
    bool, typer.Option("--wait/--no-wait", help="Wait for the service to roll out.")
]


class _Screen:
    """How ``restart`` and ``scale`` show what happens (``ops.operate.OperateView``)."""

    def __init__(self, display: Display, timeout: str) -> None:
        self.display = display
        self.timeout = timeout
        self.rollout = display.rollout
        self.expect_rollouts = display.expect_rollouts

    def phase(self, name: str) -> Any:
        return self.display.phase(name)

    def changed(self, run: OperateRun) -> None:
        err.print(escape(_line(run)))

    def waiting(self, watches: Sequence[Watch]) -> None:
        err.print(f"Waiting up to {self.timeout} for the rollout of {watches[0].service}...")


def _line(run: OperateRun) -> str:
    where = title(run.target)
    if run.what == "restart":
        return f"Restarted {run.service} of {where}: new tasks of {run.after}"
    what = "autoscaling range" if "-" in run.after else "desired count"
    return f"Scaled {run.service} of {where}: {what} {run.before} -> {run.after}"


def _split(names: list[str], command: str, count: bool) -> tuple[Path, str, int | None]:
    """(CONFIG, SERVICE, N) of ``[CONFIG] SERVICE [N]``."""
    number = None
    if count and names and names[-1].isdigit():
        number, names = int(names[-1]), names[:-1]
    if not 1 <= len(names) <= 2:
        usage = f"{command} [CONFIG] SERVICE{' [N]' if count else ''}"
        err.print(f"error: give the service, optionally after the spec: {usage}")
        raise typer.Exit(EXIT_BAD_INPUT)
    return (Path(names[0]) if len(names) == 2 else DEFAULT_CONFIG), names[-1], number


def _finish(run: OperateRun, output: Output) -> None:
    from ecsdeploy.output.progress import show_outcomes
    from ecsdeploy.output.summary import rollouts_json

    show_outcomes(err, run.outcomes)
    if run.not_waited:
        status = escape(command_line("status"))
        err.print(f"Not waiting for the rollout of {escape(run.service)}; `{status}` shows it.")
    if output is Output.json:
        print_json(
            {
                "app": run.target.owner.app,
                "env": run.target.owner.env,
                "region": run.target.region,
                "service": run.service,
                "what": run.what,
                "before": run.before,
                "after": run.after,
                "rollouts": rollouts_json(run.outcomes, [run.service] if run.not_waited else []),
                "ok": run.ok,
            }
        )
    else:
        out.print(escape(_line(run)))
        if run.what == "scale":
            up = escape(command_line("up"))
            err.print(f"The spec is unchanged: `{up}` puts its count back (`plan` says so).")
    if not run.ok:
        raise typer.Exit(EXIT_FAILED)


def restart(
    names: Annotated[
        list[str], typer.Argument(help="[CONFIG] SERVICE: the spec (default ./ecsdeploy.yaml).")
    ],
    wait: WaitOpt = True,
    timeout: RolloutTimeoutOpt = "15m",
    output: OutputOpt = Output.text,
    env: EnvOpt = None,
    region: RegionOpt = None,
    profile: ProfileOpt = None,
) -> None:
    """Start new tasks of a service, same revision (to read a rotated secret again); waits
    for them like `up`. Changes nothing else.

    Example: ecsdeploy restart configs/example.yaml api
    """
    from ecsdeploy.ops.operate import OperateRun
    from ecsdeploy.ops.operate import restart as run_restart
    from ecsdeploy.output.progress import display

    config, service, _ = _split(names, "restart", count=False)
    try:
        target = service_target(config, service, env, region, profile)
        run = OperateRun(target, service, "restart")
        stages = connect(target)
        screen = _Screen(display(err, STATE.verbose), timeout)
        run_restart(
            stages, run, wait, duration(timeout), screen, lambda: seams.rollout_source(stages)
        )
    except KeyboardInterrupt:
        interrupted("restart", "ECS goes on with the restart once asked.")
    except Exception as exc:
        fail(exc)
    _finish(run, output)


def scale(
    names: Annotated[
        list[str],
        typer.Argument(
            help="[CONFIG] SERVICE [N]: the spec (default ./ecsdeploy.yaml), the service "
            "and its task count."
        ),
    ],
    low: Annotated[
        int | None, typer.Option("--min", min=0, help="Autoscaling: the fewest tasks.")
    ] = None,
    high: Annotated[
        int | None, typer.Option("--max", min=1, help="Autoscaling: the most tasks.")
    ] = None,
    wait: WaitOpt = True,
    timeout: RolloutTimeoutOpt = "15m",
    output: OutputOpt = Output.text,
    env: EnvOpt = None,
    region: RegionOpt = None,
    profile: ProfileOpt = None,
) -> None:
    """Set a service's task count (or with autoscaling on, its --min/--max) without editing
    the spec; waits like `up`. The next `plan` and `up` say they put the spec's back.

    Example: ecsdeploy scale configs/example.yaml api 3
    """
    from ecsdeploy.ops.operate import OperateRun, ScaleTo
    from ecsdeploy.ops.operate import scale as run_scale
    from ecsdeploy.output.progress import display

    config, service, count = _split(names, "scale", count=True)
    if (count is None) == (low is None and high is None):
        err.print("error: give a task count (scale SERVICE N) or --min/--max, not both")
        raise typer.Exit(EXIT_BAD_INPUT)
    try:
        target = service_target(config, service, env, region, profile)
        run = OperateRun(target, service, "scale")
        stages = connect(target)
        screen = _Screen(display(err, STATE.verbose), timeout)
        run_scale(
            stages,
            run,
            ScaleTo(count, low, high),
            wait,
            duration(timeout),
            screen,
            lambda: seams.rollout_source(stages),
        )
    except KeyboardInterrupt:
        interrupted("scale", "ECS goes on with the new count once asked.")
    except Exception as exc:
        fail(exc)
    _finish(run, output)
