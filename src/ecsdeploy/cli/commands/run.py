"""``run``: one task of a service with its command overridden (a migration, a backfill),
its logs streamed, its exit code passed on."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.markup import escape

from ecsdeploy.cli.errors import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_INTERRUPTED
from ecsdeploy.cli.shared import (
    DEFAULT_CONFIG,
    ProfileOpt,
    RegionOpt,
    connect,
    fail,
    job_target,
    service_target,
)
from ecsdeploy.output.console import err, stdin_is_interactive

if TYPE_CHECKING:
    from ecsdeploy.ops.run import Finished, Started
    from ecsdeploy.ops.stages import Stages

SPEC_SUFFIXES = (".yaml", ".yml")
DEFAULT_TIMEOUT = "30m"


def split_words(words: list[str]) -> tuple[Path, str, list[str]]:
    """``[CONFIG] SERVICE [COMMAND...]``: a first word naming a YAML file is the spec."""
    if words and words[0].endswith(SPEC_SUFFIXES):
        config, rest = Path(words[0]), words[1:]
    else:
        config, rest = DEFAULT_CONFIG, words
    if not rest:
        raise ValueError("give the service: run [CONFIG] SERVICE [-- COMMAND...]")
    return config, rest[0], rest[1:]


def split_job_words(words: list[str]) -> tuple[Path, list[str]]:
    """``[CONFIG] [COMMAND...]`` of ``run --job``: a first word naming a YAML file is the
    spec; the rest, the command."""
    if words and words[0].endswith(SPEC_SUFFIXES):
        return Path(words[0]), words[1:]
    return DEFAULT_CONFIG, words


def split_env(values: list[str]) -> tuple[str | None, list[str]]:
    """``--env`` names the environment (``--env prod``) or sets a variable (``--env K=V``):
    an environment's name has no ``=``."""
    names = [v for v in values if "=" not in v]
    if len(names) > 1:
        raise ValueError(f"--env names one environment, not {', '.join(names)}")
    return (names[0] if names else None), [v for v in values if "=" in v]


def run(
    words: Annotated[
        list[str] | None,
        typer.Argument(
            help="[CONFIG] SERVICE [-- COMMAND...]: the spec (default ./ecsdeploy.yaml), "
            "the service, and the command (default: the image's).",
            show_default=False,
            metavar="[CONFIG] SERVICE [-- COMMAND...]",
        ),
    ] = None,
    env: Annotated[
        list[str] | None,
        typer.Option(
            "--env",
            help="K=V: an environment variable of the task (repeatable); "
            "a name without '=': the spec's environment (default: the spec's).",
        ),
    ] = None,
    cpu: Annotated[int | None, typer.Option("--cpu", help="Task CPU units.")] = None,
    memory: Annotated[int | None, typer.Option("--memory", help="Task memory, MiB.")] = None,
    timeout: Annotated[
        str | None,
        typer.Option(
            "--timeout",
            help="Stop the task after this long: 90s, 30m, 2h (default 30m; with --job, "
            "the job's timeout_minutes).",
            show_default=False,
        ),
    ] = None,
    job: Annotated[
        str | None,
        typer.Option(
            "--job",
            help="Run the spec's scheduled job NAME now, as its schedule would "
            "(then give no SERVICE).",
        ),
    ] = None,
    detach: Annotated[
        bool, typer.Option("--detach", "-d", help="Print the task's ARN and return.")
    ] = False,
    region: RegionOpt = None,
    profile: ProfileOpt = None,
) -> None:
    """Run one task of a service's current task definition, in its subnets and security
    groups, with the command overridden; stream its logs and exit with its exit code.

    Put the command after `--`. Exits with the container's exit code, or 1 when the task
    never started (AWS's reason is printed). Ctrl-C asks whether to stop the task.

    Example: ecsdeploy run configs/example.yaml api --env DRY_RUN=1 -- python migrate.py

    With --job NAME, runs the spec's scheduled job now, as its schedule would (its task
    definition, subnets and security group as deployed), bounded by its timeout_minutes:
    ecsdeploy run configs/example.yaml --job train
    """
    from ecsdeploy.ops import run as one_off
    from ecsdeploy.ops.logs import parse_since

    try:
        if job is not None:
            config, command = split_job_words(words or [])
            service = job
        else:
            config, service, command = split_words(words or [])
        env_name, pairs = split_env(env or [])
        variables = one_off.parse_env(pairs)
        limit = parse_since(timeout or DEFAULT_TIMEOUT)
    except ValueError as exc:
        err.print(f"error: {escape(str(exc))}")
        raise typer.Exit(EXIT_BAD_INPUT) from None
    overrides = one_off.Overrides(tuple(command), variables, cpu, memory)
    try:
        if job is not None:
            from ecsdeploy.ops.run_job import start_job_task

            target = job_target(config, job, env_name, region, profile)
            if timeout is None and target.spec is not None:
                limit = target.spec.jobs[job].timeout_minutes * 60.0
            stages = connect(target)
            task = start_job_task(stages, job, overrides)
        else:
            stages = connect(service_target(config, service, env_name, region, profile))
            task = one_off.start_task(stages, service, overrides)
    except ValueError as exc:  # a size Fargate does not offer
        err.print(f"error: {escape(str(exc))}")
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except one_off.RunError as exc:
        err.print(f"error: {escape(str(exc))}")
        raise typer.Exit(EXIT_FAILED) from None
    except Exception as exc:
        fail(exc)
    if detach:
        typer.echo(task.arn)
        return
    err.print(
        f"[dim]{escape(service)}: task {task.id} of {escape(_short(task.task_definition))} "
        f"started; following its logs (Ctrl-C to stop it)[/]"
    )
    raise typer.Exit(_follow(stages, task, limit))


def _follow(stages: Stages, task: Started, limit: float) -> int:
    from ecsdeploy.ops import run as one_off
    from ecsdeploy.output.logs_view import LogPrinter

    def status(value: str) -> None:
        waiting = "" if value == "STOPPED" else f" (waiting up to {limit / 60:g}m for it to stop)"
        err.print(f"[dim]task {task.id}: {escape(value)}{waiting}[/]")

    try:
        finished = one_off.watch_task(stages, task, LogPrinter(), status, limit)
    except KeyboardInterrupt:
        _interrupted(stages, task)
    except Exception as exc:
        err.print(f"task {task.id} may still be running: {task.arn}")
        fail(exc)
    return _outcome(finished, limit)


def _outcome(finished: Finished, limit: float) -> int:
    task = finished.task
    if finished.timed_out:
        err.print(
            f"[bold red]error:[/] task {task.id} did not stop within {limit / 60:g} minutes "
            "(--timeout); ecsdeploy stopped it"
        )
        return EXIT_FAILED
    if finished.exit_code is not None:
        style = "green" if finished.exit_code == 0 else "bold red"
        err.print(f"[{style}]task {task.id} exited with code {finished.exit_code}[/]")
        return finished.exit_code
    reason = finished.reason or "no reason given"
    err.print(
        f"[bold red]error:[/] task {task.id} of {escape(task.service)} stopped without an "
        f"exit code: {escape(reason)}"
    )
    if finished.stop_code == "TaskFailedToStart":
        err.print(
            "[dim]hint:[/] the task never started; see "
            "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/stopped-task-errors.html"
        )
    return EXIT_FAILED


def _interrupted(stages: Stages, task: Started) -> NoReturn:
    """Ctrl-C: ask whether to stop the task (stop it without a terminal); exit 130."""
    from ecsdeploy.ops import run as one_off

    stop = True
    if stdin_is_interactive():
        try:
            question = f"\nStop task {task.id} of {task.service}?"
            stop = typer.confirm(question, default=True, err=True)
        except (KeyboardInterrupt, typer.Abort):
            stop = False
    if stop:
        try:
            one_off.stop_task(stages, task, "ecsdeploy run: interrupted (Ctrl-C)")
        except Exception as exc:
            fail(exc)
        err.print(f"Interrupted: stopped task {task.id} of {escape(task.service)}.")
    else:
        err.print(
            f"Interrupted: task {task.id} of {escape(task.service)} keeps running "
            f"({task.arn}); see its lines with `ecsdeploy logs`."
        )
    raise typer.Exit(EXIT_INTERRUPTED)


def _short(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]
