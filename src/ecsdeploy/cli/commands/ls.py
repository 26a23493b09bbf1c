"""``ls``: the apps and environments ecsdeploy manages in the account and region; and the
note other commands give when their env has nothing in it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from ecsdeploy.cli.shared import (
    Output,
    OutputOpt,
    ProfileOpt,
    RegionOpt,
    connect,
    fail,
)
from ecsdeploy.cli.state import STATE
from ecsdeploy.output.console import err, out, print_json

if TYPE_CHECKING:
    from ecsdeploy.ops.stages import Stages


def ls(
    app_name: Annotated[
        str | None, typer.Option("--app", help="Only this app's environments.")
    ] = None,
    output: OutputOpt = Output.text,
    region: RegionOpt = None,
    profile: ProfileOpt = None,
) -> None:
    """List the apps and environments ecsdeploy manages in the region (found by their
    tags): URL, services, last deploy, monthly cost and expiry (`up --ttl`). Reads only.

    Example: ecsdeploy ls --region eu-west-1 --output json
    """
    from ecsdeploy.ops.inventory import list_envs
    from ecsdeploy.ops.target import resolve
    from ecsdeploy.output.inventory_view import envs_json, show_envs

    STATE.region = region or STATE.region
    STATE.profile = profile or STATE.profile
    try:
        # no spec: the region as given, or the credentials' default
        target = resolve(None, app_name or "-", None, STATE.region, STATE.profile)
        found = list_envs(connect(target), app_name)
    except Exception as exc:
        fail(exc)
    if output is Output.json:
        print_json(envs_json(target.region, found))
    else:
        show_envs(out, target.region, found, datetime.now(UTC))


def note_unknown_env(stages: Stages) -> None:
    """When a command found nothing of its env: say which envs the app has (stderr); a
    failure to tell is no failure of the command."""
    from ecsdeploy.aws.errors import AwsError
    from ecsdeploy.ops.inventory import unknown_env_note

    try:
        note = unknown_env_note(stages)
    except AwsError:
        return
    err.print(escape(note))
