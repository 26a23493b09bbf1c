"""The ``ecsdeploy`` command line: thin commands over ``ecsdeploy.operations``.

boto3 and the resource modules are imported inside the commands that need them, so
``--help``, ``validate`` and ``schema`` start fast.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from ecsdeploy import __version__
from ecsdeploy.cli.errors import (
    EXIT_BAD_INPUT,
    EXIT_CHANGES,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_REFUSED,
    Refused,
    report,
)
from ecsdeploy.output.console import err, print_json, stdin_is_interactive

if TYPE_CHECKING:
    from ecsdeploy.aws.recorder import CallRecorder
    from ecsdeploy.operations import Deployment, Target
    from ecsdeploy.plan.model import Plan
    from ecsdeploy.plan.preflight import Check
    from ecsdeploy.reconcile.rollout import RolloutSource
    from ecsdeploy.spec.models import Spec

DEFAULT_CONFIG = Path("ecsdeploy.yaml")

HELP = """\
Deploy a containerized app to AWS ECS Fargate from one YAML file.

ecsdeploy calls the AWS APIs directly: no CloudFormation, no Terraform, no state file.
Every resource it makes is tagged with the spec's app and env; `status` and `down` find
them by those tags, from any machine.

Credentials: the standard AWS chain (AWS_PROFILE or --profile, AWS_ACCESS_KEY_ID /
AWS_SECRET_ACCESS_KEY, SSO, instance roles). AWS_ENDPOINT_URL points every call at an
emulator such as a local moto server.

Exit codes: 0 success; 1 AWS failure; 2 bad spec or arguments; 3 refused (needs --yes,
or a resource it does not own is in the way); 130 interrupted (re-run to continue).
"""

app = typer.Typer(
    help=HELP,
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class Output(str, Enum):
    text = "text"
    json = "json"


@dataclass
class Globals:
    profile: str | None = None
    region: str | None = None
    verbose: bool = False


STATE = Globals()


def _version(value: bool) -> None:
    if value:
        typer.echo(f"ecsdeploy {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    profile: Annotated[
        str | None, typer.Option("--profile", help="AWS profile to use.", envvar="AWS_PROFILE")
    ] = None,
    region: Annotated[
        str | None, typer.Option("--region", help="AWS region; overrides the spec's region.")
    ] = None,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Log every AWS call; show tracebacks.")
    ] = False,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    STATE.profile = profile
    STATE.region = region
    STATE.verbose = verbose


ConfigArg = Annotated[
    Path,
    typer.Argument(help="The spec file.", show_default=True),
]
OptionalConfigArg = Annotated[
    Path | None,
    typer.Argument(help="The spec file (default ./ecsdeploy.yaml).", show_default=False),
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
    int, typer.Option("--parallelism", min=1, max=64, help="AWS operations run at once.")
]


# --- helpers ---------------------------------------------------------------------------


def _fail(exc: BaseException, code: int | None = None) -> NoReturn:
    """Report ``exc``; exit with its code, or ``code`` when a command fixes its own."""
    reported = report(err, exc, STATE.verbose)
    raise typer.Exit(code if code is not None else reported)


def _load(config: Path) -> Spec:
    from ecsdeploy.spec import load_spec

    return load_spec(config)


def _recorder() -> CallRecorder:
    from ecsdeploy.aws.recorder import CallRecorder

    recorder = CallRecorder()
    if STATE.verbose:
        recorder.listeners.append(lambda call: err.print(f"[dim]aws {call}[/]"))
    return recorder


def _with_env(spec: Spec, env: str, path: Path) -> Spec:
    """The spec for another environment (``--env prod``): every name and tag follows."""
    from ecsdeploy.spec.errors import Problem, SpecError
    from ecsdeploy.spec.naming import MAX_ENV, name_problem

    why = name_problem(env, MAX_ENV)
    if why:
        raise SpecError([Problem("env", f"--env '{env}' {why}", file=str(path))])
    return spec.model_copy(update={"env": env})


def _target(
    config: Path | None,
    app_name: str | None,
    env: str | None,
    region: str | None = None,
    profile: str | None = None,
) -> Target:
    """The app to act on: from the spec, or from --app/--env when there is no spec."""
    STATE.region = region or STATE.region
    STATE.profile = profile or STATE.profile
    from ecsdeploy.operations import Target
    from ecsdeploy.spec.errors import Problem, SpecError
    from ecsdeploy.spec.naming import Owner

    path = config or DEFAULT_CONFIG
    if config is not None or (path.exists() and app_name is None):
        spec = _load(path)
        if env and env != spec.env:
            spec = _with_env(spec, env, path)
        return Target.of(spec, STATE.region, STATE.profile, path)
    if app_name is None:
        raise SpecError(
            [
                Problem(
                    "",
                    "no spec file here; pass CONFIG, or --app (and --env) to name the app",
                    file=str(path),
                )
            ]
        )
    region = STATE.region
    if region is None:
        import boto3

        region = boto3.session.Session(profile_name=STATE.profile).region_name
    if region is None:
        raise SpecError([Problem("", "no region: pass --region or set AWS_REGION")])
    return Target(Owner(app_name, env or "dev"), region, STATE.profile)


def _connect(target: Target) -> Deployment:
    from ecsdeploy.operations import Deployment

    return Deployment.connect(target, recorder=_recorder())


def _build(
    deployment: Deployment, plan: Plan, printer: Callable[[str, str], None], done: list[str]
) -> list[str]:
    """Build the images ``plan`` must push that are not in ``done`` (service names)."""
    builds = [r for r in deployment.image_steps(plan, build=True) if r.service not in done]
    if builds:
        err.print(f"Building {len(builds)} image(s) before changing anything in AWS")
        deployment.build_images(builds, printer)
    return done + [r.service for r in builds]


def _warn_mutable_images(deployment: Deployment) -> None:
    from ecsdeploy.build.images import mutable_tag

    for ref in deployment.image_refs.values():
        if not ref.built and mutable_tag(ref.uri):
            err.print(
                f"[yellow]warning:[/] service {ref.service} runs {ref.uri}, a tag that can "
                "change under the same name; pin a version or a digest (@sha256:...)"
            )


def _rollout_source(deployment: Deployment) -> RolloutSource | None:
    """Where rollouts are read from; None = AWS. Tests replace this with a fake."""
    return None


def _duration(text: str) -> float:
    """Seconds in "90", "90s", "15m" or "1h"."""
    import re

    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*", text)
    if not match or float(match.group(1)) <= 0:
        from ecsdeploy.spec.errors import Problem, SpecError

        raise SpecError([Problem("", f"--timeout {text!r} is not a duration such as 15m or 900s")])
    return float(match.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600}[match.group(2)]


def _title(target: Target) -> str:
    return f"{target.owner.app}/{target.owner.env} in {target.region}"


# --- commands --------------------------------------------------------------------------


@app.command()
def validate(config: ConfigArg = DEFAULT_CONFIG) -> None:
    """Check a spec without calling AWS.

    Example: ecsdeploy validate configs/example.yaml
    """
    try:
        spec = _load(config)
    except Exception as exc:
        _fail(exc)
    names = ", ".join(spec.services)
    err.print(f"[green]ok[/] {config}: app {spec.app}, env {spec.env}, services: {names}")


@app.command()
def schema() -> None:
    """Print the JSON Schema of the spec file (for editor autocompletion).

    Example: ecsdeploy schema > ecsdeploy.schema.json
    """
    from ecsdeploy.spec.models import Spec

    sys.stdout.write(json.dumps(Spec.model_json_schema(), indent=2) + "\n")


@app.command()
def verify(
    config: ConfigArg = DEFAULT_CONFIG,
    output: OutputOpt = Output.text,
    env: EnvOpt = None,
    region: RegionOpt = None,
    profile: ProfileOpt = None,
) -> None:
    """Check, before changing anything, what commonly fails a deploy: credentials, the
    secrets and images named, the certificate, health-check paths, Elastic IP and load
    balancer quotas. Each check prints OK, WARN, FAIL or SKIP with the reason. `up` runs
    the same checks first.

    Example: ecsdeploy verify configs/example.yaml
    """
    try:
        target = _target(config, None, env, region, profile)
        checks = _preflight(target, _connect(target))
    except Exception as exc:
        _fail(exc)
    from ecsdeploy.output.preflight_view import checks_json, show_checks

    if output is Output.json:
        print_json(checks_json(checks))
        passed = all(c.status != "FAIL" for c in checks)
    else:
        passed = show_checks(err, checks)
    if not passed:
        raise typer.Exit(EXIT_FAILED)


def _preflight(target: Target, deployment: Deployment) -> list[Check]:
    from ecsdeploy.plan.preflight import run

    assert target.spec is not None
    return run(target.spec, deployment.aws)


@app.command()
def plan(
    config: ConfigArg = DEFAULT_CONFIG,
    output: OutputOpt = Output.text,
    env: EnvOpt = None,
    detailed_exitcode: Annotated[
        bool,
        typer.Option(
            "--detailed-exitcode", help="Exit 0 when there is nothing to do, 2 when there is."
        ),
    ] = False,
    region: RegionOpt = None,
    profile: ProfileOpt = None,
) -> None:
    """Show what `up` would change, and what it costs. Reads AWS; changes nothing.

    With --detailed-exitcode: 0 no changes, 2 changes, 1 errors (as `terraform plan`).

    Example: ecsdeploy plan configs/example.yaml --env prod
    """
    try:
        target = _target(config, None, env, region, profile)
        deployment = _connect(target)
        the_plan = deployment.plan_up()
    except Exception as exc:
        _fail(exc, EXIT_FAILED if detailed_exitcode else None)
    _warn_mutable_images(deployment)
    from ecsdeploy.output.cost_view import cost_json, show_cost

    before, after = deployment.cost_now(the_plan), deployment.cost_after()
    if output is Output.json:
        print_json({**the_plan.to_json(), "cost": cost_json(before, after)})
    else:
        from ecsdeploy.output.plan_view import show_plan

        show_plan(err, the_plan, f"Plan for {_title(target)}")
        show_cost(err, before, after)
    if detailed_exitcode and not the_plan.empty:
        raise typer.Exit(EXIT_CHANGES)


@app.command()
def up(
    config: ConfigArg = DEFAULT_CONFIG,
    env: EnvOpt = None,
    yes: YesOpt = False,
    skip_verify: Annotated[
        bool, typer.Option("--skip-verify", help="Do not run the `verify` checks first.")
    ] = False,
    parallelism: ParallelismOpt = 8,
    wait: Annotated[
        bool,
        typer.Option(
            "--wait/--no-wait",
            help="Wait for changed services to roll out (new tasks running and healthy).",
        ),
    ] = True,
    timeout: Annotated[
        str, typer.Option("--timeout", help="Longest rollout wait, e.g. 15m, 900s, 1h.")
    ] = "15m",
    region: RegionOpt = None,
    profile: ProfileOpt = None,
) -> None:
    """Create or update everything the spec describes, in dependency order.

    Safe to re-run: an unchanged spec makes no changes. Deletes and replacements are
    shown first and need confirmation (or --yes).

    Example: ecsdeploy up configs/example.yaml
    """
    from ecsdeploy.output.cost_view import show_cost
    from ecsdeploy.output.plan_view import show_plan
    from ecsdeploy.output.progress import (
        BuildPrinter,
        ProgressPrinter,
        RolloutPrinter,
        show_outcomes,
    )
    from ecsdeploy.reconcile.lock import Lock

    try:
        deadline = _duration(timeout)
        target = _target(config, None, env, region, profile)
        deployment = _connect(target)
        if not skip_verify:
            from ecsdeploy.output.preflight_view import show_checks

            if not show_checks(err, _preflight(target, deployment)):
                err.print(
                    "[bold red]error:[/] checks failed (above); nothing was changed. "
                    "Fix them, or pass --skip-verify to deploy anyway."
                )
                raise typer.Exit(EXIT_FAILED)
        the_plan = deployment.plan_up()
        show_plan(err, the_plan, f"Plan for {_title(target)}")
        if not the_plan.empty:
            show_cost(err, deployment.cost_now(the_plan), deployment.cost_after())
        _warn_mutable_images(deployment)
        for ref in deployment.image_steps(the_plan, build=False):
            err.print(f"image {ref.service}: {ref.tag} is already in {ref.registry}; no build")
        if the_plan.empty:
            return
        if the_plan.destructive and not yes:
            _confirm(f"{len(the_plan.destructive)} resource(s) will be deleted or replaced.")
        printer = BuildPrinter(err, STATE.verbose)
        built = _build(deployment, the_plan, printer, [])
        # Only a run that changes something takes the lock (an unchanged `up` stays free
        # of writes); the plan is made again under the lock, in case another run changed
        # things meanwhile.
        with Lock(deployment.aws, target.owner, "up"):
            first, the_plan = the_plan, deployment.plan_up()
            if the_plan.empty:
                err.print("No changes left: another run made them meanwhile.")
                return
            if len(the_plan.destructive) > len(first.destructive) and not yes:
                show_plan(err, the_plan, f"Plan for {_title(target)}, changed meanwhile")
                _confirm(f"{len(the_plan.destructive)} resource(s) will be deleted or replaced.")
            _build(deployment, the_plan, printer, built)
            result = deployment.apply(the_plan, ProgressPrinter(err), parallelism=parallelism)
        _finish(result, "up")
        for url in deployment.urls(result.resources):
            err.print(f"[bold]URL:[/] {url}")
        watches = deployment.rollout_watches(result)
        if not watches:
            return
        if not wait:
            names = ", ".join(w.service for w in watches)
            err.print(f"Not waiting for the rollout of {names}; `ecsdeploy status` shows it.")
            return
        err.print(f"Waiting up to {timeout} for the rollout of {len(watches)} service(s)...")
        outcomes = deployment.wait_for_rollouts(
            watches, deadline, RolloutPrinter(err), _rollout_source(deployment)
        )
    except KeyboardInterrupt:
        _interrupted("up")
    except typer.Exit:
        raise
    except Exception as exc:
        _fail(exc)
    if not show_outcomes(err, outcomes):
        err.print("The infrastructure is in place; fix the service and run `ecsdeploy up` again.")
        raise typer.Exit(EXIT_FAILED)


@app.command()
def down(
    config: OptionalConfigArg = None,
    app_name: AppOpt = None,
    env: EnvOpt = None,
    yes: YesOpt = False,
    parallelism: ParallelismOpt = 8,
    keep_logs: Annotated[
        bool, typer.Option("--keep-logs", help="Keep the services' CloudWatch log groups.")
    ] = False,
    purge_data: Annotated[
        bool,
        typer.Option(
            "--purge-data", help="Also delete the artifacts bucket and what it holds (models)."
        ),
    ] = False,
    region: RegionOpt = None,
    profile: ProfileOpt = None,
) -> None:
    """Delete everything ecsdeploy made for the app and env, in reverse order.

    Finds resources by their ecsdeploy tags, so it works from any machine and after a
    failed or interrupted `up`. Waits (bounded) where AWS needs time, e.g. while network
    interfaces of deleted NAT gateways linger.

    Example: ecsdeploy down configs/example.yaml --yes
    """
    from ecsdeploy.output.plan_view import show_plan
    from ecsdeploy.output.progress import ProgressPrinter
    from ecsdeploy.reconcile.lock import Lock

    try:
        target = _target(config, app_name, env, region, profile)
        deployment = _connect(target)
        the_plan = deployment.plan_down()
        if keep_logs:
            the_plan.steps = [s for s in the_plan.steps if s.kind != "logs.log_group"]
        if not purge_data:
            for step in the_plan.steps:
                if step.kind == "s3.bucket":
                    err.print(
                        f"Keeping bucket {step.name}: it holds data. "
                        "`down --purge-data` deletes it."
                    )
            the_plan.steps = [s for s in the_plan.steps if s.kind != "s3.bucket"]
        if the_plan.empty:
            err.print(f"Nothing to delete: no resources tagged for {_title(target)}.")
            return
        show_plan(err, the_plan, f"Delete {_title(target)}")
        if not yes:
            _confirm(f"Delete all {len(the_plan.changes)} resources of {_title(target)}?")
        with Lock(deployment.aws, target.owner, "down"):
            result = deployment.apply(the_plan, ProgressPrinter(err), parallelism=parallelism)
    except KeyboardInterrupt:
        _interrupted("down")
    except Exception as exc:
        _fail(exc)
    _finish(result, "down")


@app.command()
def status(
    config: OptionalConfigArg = None,
    app_name: AppOpt = None,
    env: EnvOpt = None,
    output: OutputOpt = Output.text,
    region: RegionOpt = None,
    profile: ProfileOpt = None,
) -> None:
    """Show what the app runs now: its URL, each service's tasks, rollout and target
    health, and every resource ecsdeploy made, by layer.

    Example: ecsdeploy status configs/example.yaml
    """
    from ecsdeploy.resources import registry

    try:
        target = _target(config, app_name, env, region, profile)
        deployment = _connect(target)
        report_ = deployment.status()
    except Exception as exc:
        _fail(exc)
    layers = {cls.kind: cls.layer for cls in registry.KINDS}
    if output is Output.json:
        print_json(
            {
                "app": target.owner.app,
                "env": target.owner.env,
                "region": target.region,
                "deployed": bool(report_.resources),
                "url": report_.url or None,
                "services": [
                    {
                        "name": s.name,
                        "desired": s.desired,
                        "running": s.running,
                        "pending": s.pending,
                        "revision": s.revision,
                        "rollout": s.rollout,
                        "healthy_targets": s.healthy_targets,
                        "targets": s.targets,
                        "events": s.events,
                        "url": s.url or None,
                    }
                    for s in report_.services
                ],
                "resources": [
                    {
                        "layer": layers[o.kind],
                        "kind": o.kind,
                        "key": o.key,
                        "name": o.name,
                        "id": o.id,
                        "state": o.state,
                    }
                    for o in report_.resources
                ],
            }
        )
        return
    from ecsdeploy.output.status_view import show_status

    show_status(err, _title(target), report_, layers)


@app.command()
def logs(
    names: Annotated[
        list[str],
        typer.Argument(
            help="[CONFIG] SERVICE: the spec (default ./ecsdeploy.yaml) and the service."
        ),
    ],
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Keep printing new lines.")
    ] = False,
    since: Annotated[str, typer.Option("--since", help="How far back: 90s, 10m, 2h, 1d.")] = "10m",
    text: Annotated[
        str | None, typer.Option("--filter", help="Only lines containing this text.")
    ] = None,
    env: EnvOpt = None,
    region: RegionOpt = None,
    profile: ProfileOpt = None,
) -> None:
    """Print a service's CloudWatch logs, oldest first, with time and task id.

    Example: ecsdeploy logs configs/example.yaml api --since 1h --filter ERROR -f
    """
    from ecsdeploy import service_logs
    from ecsdeploy.output.logs_view import LogPrinter

    if not 1 <= len(names) <= 2:
        err.print("error: give the service, optionally after the spec: logs [CONFIG] SERVICE")
        raise typer.Exit(EXIT_BAD_INPUT)
    config = Path(names[0]) if len(names) == 2 else DEFAULT_CONFIG
    service = names[-1]
    try:
        window = service_logs.parse_since(since)
        target = _target(config, None, env, region, profile)
        if target.spec is not None and service not in target.spec.services:
            from ecsdeploy.spec.errors import Problem, SpecError

            choices = ", ".join(target.spec.services)
            raise SpecError(
                [Problem("services", f"no service '{service}'; choose {choices}", str(config))]
            )
        deployment = _connect(target)
        group = target.owner.log_group(service)
        printer = LogPrinter()
        if not follow:
            for line in service_logs.read(deployment.aws, group, window, text):
                printer(line)
            return
        service_logs.follow(
            deployment.aws, group, window, text, printer, deployment.ctx.timing, lambda: False
        )
    except KeyboardInterrupt:
        return  # --follow ends with Ctrl-C
    except ValueError as exc:
        err.print(f"error: --since: {exc}")
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except Exception as exc:
        _fail(exc)


@app.command()
def unlock(
    config: OptionalConfigArg = None,
    app_name: AppOpt = None,
    env: EnvOpt = None,
    region: RegionOpt = None,
    profile: ProfileOpt = None,
) -> None:
    """Remove the lock of an `up` or `down` that was killed (it also frees itself after
    10 minutes without a refresh). Only use it when no other run is going on.

    Example: ecsdeploy unlock configs/example.yaml
    """
    from ecsdeploy.reconcile.lock import unlock as remove_lock

    try:
        target = _target(config, app_name, env, region, profile)
        held = remove_lock(_connect(target).aws, target.owner)
    except Exception as exc:
        _fail(exc)
    if held is None:
        err.print(f"No lock on {_title(target)}.")
    else:
        err.print(f"Removed the lock of {_title(target)}, held by {held.who} since {held.since}.")


def _confirm(question: str) -> None:
    if not stdin_is_interactive():
        raise Refused(f"{question} Not asking without a terminal: pass --yes to go ahead.")
    if not typer.confirm(question + " Continue?", default=False, err=True):
        raise Refused("Cancelled; nothing was changed.")


def _interrupted(command: str) -> NoReturn:
    err.print(
        f"[bold yellow]Interrupted.[/] Steps already started were finished; every resource "
        f"made so far is tagged. Run `ecsdeploy {command}` again to continue."
    )
    raise typer.Exit(EXIT_INTERRUPTED)


def _finish(result: object, command: str) -> None:
    from ecsdeploy.reconcile.executor import Result

    assert isinstance(result, Result)
    if result.ok:
        err.print(f"[bold green]Done:[/] {len(result.done)} change(s) applied.")
        return
    for step, exc in result.failed:
        err.print(f"[bold red]failed:[/] {step.kind} {step.name}")
        report(err, exc, STATE.verbose)
    if result.not_started:
        err.print(
            f"{len(result.not_started)} step(s) not started. Fix the cause and run "
            f"`ecsdeploy {command}` again: it picks up where this run stopped."
        )
    raise typer.Exit(EXIT_FAILED)


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:
        err.print("Interrupted.")
        sys.exit(EXIT_INTERRUPTED)


__all__ = ["EXIT_BAD_INPUT", "EXIT_OK", "EXIT_REFUSED", "app", "main"]
