"""``gc``: remove every expired environment of the app (deployed with ``up --ttl``), each
as ``down`` removes it; and the expiry line ``status`` shows."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from ecsdeploy.cli.errors import EXIT_FAILED
from ecsdeploy.cli.shared import (
    AppOpt,
    OptionalConfigArg,
    Output,
    OutputOpt,
    ParallelismOpt,
    ProfileOpt,
    RegionOpt,
    YesOpt,
    confirm,
    connect,
    fail,
    interrupted,
    report_failures,
    target_of,
)
from ecsdeploy.cli.state import STATE
from ecsdeploy.output.console import err, out, print_json

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ecsdeploy.ops.gc import Expiring, GcRun
    from ecsdeploy.ops.stages import Stages


def expiry_line(stages: Stages) -> tuple[str | None, str]:
    """(the env's expiry or None, the line saying so or "")."""
    from ecsdeploy.ops.gc import expires_of
    from ecsdeploy.output.inventory_view import expiry

    expires = expires_of(stages)
    if not expires:
        return None, ""
    when = expiry(expires, datetime.now(UTC))
    return expires, f"Expires {escape(when)} ({expires}); `ecsdeploy gc` removes it then."


def gc(
    config: OptionalConfigArg = None,
    app_name: AppOpt = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List the expired envs; remove nothing.")
    ] = False,
    yes: YesOpt = False,
    parallelism: ParallelismOpt = 8,
    output: OutputOpt = Output.text,
    region: RegionOpt = None,
    profile: ProfileOpt = None,
) -> None:
    """Remove every environment of the app whose `up --ttl` expiry has passed, each as
    `down` removes it. Envs without an expiry are never touched. For a scheduled CI job:
    without a terminal it needs --yes (else exit 3, nothing removed).

    Example: ecsdeploy gc configs/example.yaml --yes
    """
    from ecsdeploy.cli.commands.down import _Screen
    from ecsdeploy.ops.down import DownOptions
    from ecsdeploy.ops.gc import GcRun
    from ecsdeploy.ops.gc import gc as run_gc
    from ecsdeploy.output.progress import display

    run: GcRun | None = None
    try:
        target = target_of(config, app_name, None, region, profile)
        run = GcRun(target.owner.app)
        the_display = display(err, STATE.verbose)

        def ask(expired: Sequence[Expiring]) -> None:
            names = ", ".join(f"{e.owner.app}/{e.owner.env}" for e in expired)
            confirm(f"Delete every resource of the expired {names}?")

        run_gc(
            connect(target),
            run,
            DownOptions(yes, parallelism),
            lambda env: _Screen(env, the_display),
            ask,
            dry_run,
        )
    except KeyboardInterrupt:
        interrupted("gc")
    except Exception as exc:
        fail(exc)
    for name, down_run in run.downs.items():
        if down_run.result is not None:
            report_failures(down_run.result, f"down --env {name}")
    if output is Output.json:
        print_json(_json(run, target.region, dry_run))
    else:
        _list(out, run, "Would remove" if dry_run else "Removed")
    if not run.ok:
        raise typer.Exit(EXIT_FAILED)


def _list(console: Any, run: GcRun, verb: str) -> None:
    from ecsdeploy.output.inventory_view import expiry

    now = datetime.now(UTC)
    if not run.expired:
        console.print(f"No expired env of {escape(run.app)}.")
    for env in run.expired:
        done = run.downs.get(env.owner.env)
        failed = done is not None and done.result is not None and not done.result.ok
        state = "[red]failed[/]" if failed else verb
        console.print(
            f"{state} {escape(run.app)}/{escape(env.owner.env)} "
            f"({escape(expiry(env.expires, now))})"
        )
    for env in run.later:
        when = escape(expiry(env.expires, now))
        console.print(f"Kept {escape(run.app)}/{escape(env.owner.env)} (expires {when})")


def _json(run: GcRun, region: str, dry_run: bool) -> dict[str, Any]:
    def removed(env: str) -> bool:
        done = run.downs.get(env)
        return done is not None and (done.result is None or done.result.ok)

    return {
        "app": run.app,
        "region": region,
        "dry_run": dry_run,
        "expired": [
            {"env": e.owner.env, "expires": e.expires, "removed": removed(e.owner.env)}
            for e in run.expired
        ],
        "kept": [{"env": e.owner.env, "expires": e.expires} for e in run.later],
        "ok": run.ok,
    }
