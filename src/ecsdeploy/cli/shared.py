"""What every command shares: global options, argument types, how a command finds its
target app, connects to AWS, reports errors, asks for confirmation and ends.

boto3 and the resource modules are imported inside these functions, so ``--help``,
``validate`` and ``schema`` start fast.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from ecsdeploy.cli.errors import EXIT_INTERRUPTED, Cancelled, Refused, report
from ecsdeploy.cli.state import DEFAULT_CONFIG as DEFAULT_CONFIG
from ecsdeploy.cli.state import STATE
from ecsdeploy.output import console as consoles
from ecsdeploy.output.console import escape, stdin_is_interactive

if TYPE_CHECKING:
    from rich.console import Console

    from ecsdeploy.images.refs import ImageRef
    from ecsdeploy.ops.stages import Stages
    from ecsdeploy.ops.target import Target
    from ecsdeploy.reconcile.executor import Result
    from ecsdeploy.spec.models import Spec


class Output(str, Enum):
    text = "text"
    json = "json"


ConfigArg = Annotated[
    Path,
    typer.Argument(help="The spec file.", show_default=True),
]
OptionalConfigArg = Annotated[
    Path | None,
    typer.Argument(help="The spec file (default ./ecsdeploy.yaml).", show_default=False),
]
SetOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        help="Override a spec key for this run, e.g. --set services.api.image=repo:v2 "
        "(repeatable; checked like the file).",
        metavar="KEY=VALUE",
    ),
]
YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]
OutputOpt = Annotated[
    Output, typer.Option("--output", "-o", help="text for people, json (on stdout) for programs.")
]
AppOpt = Annotated[
    str | None, typer.Option("--app", help="The app, when there is no spec file to name it.")
]
EnvOpt = Annotated[str | None, typer.Option("--env", help="Environment (default: the spec's).")]
RegionOpt = Annotated[
    str | None, typer.Option("--region", help="AWS region; overrides the spec's region.")
]
ProfileOpt = Annotated[str | None, typer.Option("--profile", help="AWS profile to use.")]
ParallelismOpt = Annotated[
    int | None,
    typer.Option(
        "--parallelism",
        min=1,
        max=64,
        help="AWS operations run at once (default: 8-32, by the size of the plan).",
        show_default=False,
    ),
]


def fail(exc: BaseException, code: int | None = None) -> NoReturn:
    """Report ``exc``; exit with its code, or ``code`` when a command fixes its own."""
    from ecsdeploy.cli.hints import with_options

    reported = report(consoles.err, exc, STATE.verbose, with_options)
    raise typer.Exit(code if code is not None else reported)


def service_target(
    config: Path, service: str, env: str | None, region: str | None, profile: str | None
) -> Target:
    """The target of a command about one service, which the spec must have."""
    from ecsdeploy.ops.target import check_service

    return check_service(target_of(config, None, env, region, profile), service, config)


def logs_target(
    config: Path, name: str, env: str | None, region: str | None, profile: str | None
) -> Target:
    """The target of ``logs``: about a service, or a scheduled job (its log group is named
    like a service's)."""
    from ecsdeploy.ops.target import check_service

    target = target_of(config, None, env, region, profile)
    if target.spec is not None and name in target.spec.jobs:
        return target
    return check_service(target, name, config)


def job_target(
    config: Path, job: str, env: str | None, region: str | None, profile: str | None
) -> Target:
    """The target of a command about one scheduled job, which the spec must have."""
    from ecsdeploy.ops.target import check_job

    return check_job(target_of(config, None, env, region, profile), job, config)


def load(config: Path) -> Spec:
    from ecsdeploy.ops.target import load

    return load(config)


def target_of(
    config: Path | None,
    app_name: str | None,
    env: str | None,
    region: str | None = None,
    profile: str | None = None,
    sets: Sequence[str] = (),
) -> Target:
    """The app to act on: from the spec, or from --app/--env when there is no spec;
    ``sets``: the ``--set KEY=VALUE`` overrides of spec keys."""
    STATE.region = region or STATE.region
    STATE.profile = profile or STATE.profile
    STATE.config, STATE.app, STATE.env = config, app_name, env
    from ecsdeploy.ops.target import resolve

    return resolve(config, app_name, env, STATE.region, STATE.profile, sets)


def reach(target: Target, parameter: str | None = None) -> None:
    """Send a read the run makes now: the SSM parameter ``parameter``, by default the
    applied record, which ``plan`` and ``up`` read first (``status`` sends the env's
    expiry, which it reads last). Called before the rest of ecsdeploy is imported (the
    desired state, the resource kinds, the planner: about 0.2 s), so that the round trip
    overlaps that work; the run's clients take the answer (``Aws.take_early``)."""
    from ecsdeploy.aws.clients import Aws
    from ecsdeploy.cli import seams

    Aws.forget_early()
    aws = Aws(target.region, profile=target.profile, recorder=seams.recorder())
    name = parameter or target.owner.applied_record()
    try:
        # built here, not on the thread: there it would share the interpreter with the
        # imports below, and the read would go out later
        ssm = aws.client("ssm")
    except Exception:  # e.g. a bad AWS_ENDPOINT_URL: met by the run's first read, as ever
        aws.early(name, lambda: aws.client("ssm").get_parameter(Name=name))
    else:
        aws.early(name, lambda: ssm.get_parameter(Name=name))
    _REACHED.append(name)


_REACHED: list[str] = []  # what ``reach`` sent for the command now running


def connect(target: Target, kinds: Collection[str] | None = None) -> Stages:
    """The run's stages (``Stages.connect``); ``kinds``: the resource kinds it uses (None:
    all)."""
    from ecsdeploy.aws.clients import Aws
    from ecsdeploy.cli import seams
    from ecsdeploy.ops.stages import Stages

    if not {target.owner.applied_record(), target.owner.expiry_parameter()} & set(_REACHED):
        Aws.forget_early()  # not sent for this command: left by one that failed early
    _REACHED.clear()
    return Stages.connect(target, recorder=seams.recorder(), kinds=kinds)


def title(target: Target) -> str:
    return f"{target.owner.app}/{target.owner.env} in {target.region}"


def show_overrides(console: Console, sets: Sequence[str] | None) -> None:
    """The ``--set`` overrides in force, above the plan they shape."""
    for given in sets or ():
        console.print(f"[yellow]override:[/] {escape(given)} (--set)")


def warn_mutable_images(image_refs: Mapping[str, ImageRef]) -> None:
    from ecsdeploy.images.refs import mutable_tag

    for ref in image_refs.values():
        if not ref.built and mutable_tag(ref.uri):
            consoles.err.print(
                f"[yellow]warning:[/] service {ref.service} runs {ref.uri}, a tag that can "
                "change under the same name; pin a version or a digest (@sha256:...)"
            )


def confirm(question: str, option: str = "--yes") -> None:
    """Ask on a terminal; without one, refuse (the user must pass ``option``)."""
    if not stdin_is_interactive():
        raise Refused(f"{question} Not asking without a terminal: pass {option} to go ahead.")
    if not typer.confirm(question + " Continue?", default=False, err=True):
        raise Cancelled()


def interrupted(command: str, detail: str = "") -> NoReturn:
    """Ctrl-C: say what state things are in and that re-running continues; exit 130."""
    detail = detail or (
        "Steps already started were finished or stopped at their next wait; every resource "
        "made so far is tagged."
    )
    from ecsdeploy.cli.hints import command_line, with_options

    again = command_line(command)
    consoles.err.print(
        f"[bold yellow]Interrupted.[/] {escape(with_options(detail))} Run `{escape(again)}` "
        "again to continue."
    )
    raise typer.Exit(EXIT_INTERRUPTED)


def report_failures(result: Result, command: str) -> None:
    """Each failed step with its error, and what was not started because of it."""
    for warning in result.warnings:
        consoles.err.print(f"[yellow]warning:[/] {escape(warning)}")
    for step, exc in result.failed:
        consoles.err.print(f"[bold red]failed:[/] {step.kind} {step.name}")
        report(consoles.err, exc, STATE.verbose)
    if result.not_started and not result.interrupted:
        consoles.err.print(
            f"{len(result.not_started)} step(s) not started. Fix the cause and run "
            f"`ecsdeploy {command}` again: it picks up where this run stopped."
        )
