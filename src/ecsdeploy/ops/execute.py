"""The ``exec`` use case: running a command in a service's task (ECS Exec).

ECS Exec is ExecuteCommand (which opens an SSM session in the task's agent) plus the
Session Manager plugin, a separate program that carries the session's terminal; this is
what ``aws ecs execute-command`` does. The plugin is found on PATH first, so that a
missing one is reported before any AWS call, with how to install it.

The service needs ``exec: true`` (the task role's ssmmessages permissions, and
enableExecuteCommand on the service); tasks started before that was turned on have no
agent channel, which ``pick_task`` reports.
"""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ecsdeploy.aws.clients import Client
from ecsdeploy.ops.stages import Stages
from ecsdeploy.resources.ecs_common import cluster_name

PLUGIN = "session-manager-plugin"
INSTALL_HELP = (
    "ecsdeploy exec needs the AWS Session Manager plugin, and `session-manager-plugin` is "
    "not on PATH. Install it from "
    "https://docs.aws.amazon.com/systems-manager/latest/userguide/"
    "session-manager-working-with-install-plugin.html "
    "(macOS: `brew install --cask session-manager-plugin`; Debian/Ubuntu: the .deb from "
    "that page), then run the command again."
)
DEFAULT_COMMAND = ("/bin/sh",)


class ExecError(Exception):
    """ECS Exec cannot start: the message says why and what to do."""


class PluginMissing(ExecError):
    def __init__(self) -> None:
        super().__init__(INSTALL_HELP)


@dataclass(frozen=True)
class Task:
    arn: str
    id: str
    runtime_id: str


def find_plugin(which: Callable[[str], str | None] = shutil.which) -> str:
    """The plugin's path, or PluginMissing."""
    found = which(PLUGIN)
    if found is None:
        raise PluginMissing()
    return found


def pick_task(ecs: Client, cluster: str, service: str, container: str) -> Task:
    """A running task of ``service`` with ECS Exec on, and its container's runtime id."""
    arns = ecs.list_tasks(cluster=cluster, serviceName=service, desiredStatus="RUNNING").get(
        "taskArns", []
    )
    if not arns:
        raise ExecError(
            f"service {service} has no running task in cluster {cluster}; "
            "see `ecsdeploy status` and `ecsdeploy logs`"
        )
    tasks = ecs.describe_tasks(cluster=cluster, tasks=arns[:100]).get("tasks", [])
    running = [t for t in tasks if t.get("lastStatus") == "RUNNING"]
    enabled = [t for t in running if t.get("enableExecuteCommand")]
    if not enabled:
        raise ExecError(
            f"ECS Exec is off for the running tasks of {service}: set "
            f"`services.{service}.exec: true` in the spec and run `ecsdeploy up` (tasks "
            "started before that have no exec agent; up starts new ones)"
        )
    task = sorted(enabled, key=lambda t: str(t.get("startedAt", "")))[-1]  # the newest
    for box in task.get("containers", []):
        if box.get("name") == container and box.get("runtimeId"):
            arn = str(task["taskArn"])
            return Task(arn, arn.rsplit("/", 1)[-1], str(box["runtimeId"]))
    raise ExecError(f"task {task['taskArn']} has no running container named {container}")


def command_line(words: Sequence[str]) -> str:
    """ExecuteCommand takes one string; the words are quoted as a shell would need."""
    return shlex.join(words) if words else shlex.join(DEFAULT_COMMAND)


def start(
    ecs: Client,
    region: str,
    cluster: str,
    task: Task,
    container: str,
    command: str,
    plugin: str,
    run: Callable[[list[str]], int] | None = None,
) -> int:
    """Open the session and hand the terminal to the plugin; its exit code."""
    session: dict[str, Any] = ecs.execute_command(
        cluster=cluster, task=task.arn, container=container, command=command, interactive=True
    )["session"]
    target = {"Target": f"ecs:{cluster}_{task.id}_{task.runtime_id}"}
    args = [
        plugin,
        json.dumps(session),
        region,
        "StartSession",
        "",  # profile: the credentials already made the session
        json.dumps(target),
        f"https://ssm.{region}.amazonaws.com",
    ]
    return (run or _run)(args)


def _run(args: list[str]) -> int:
    # the plugin owns the terminal until the remote command ends; Ctrl-C goes to it
    return subprocess.call(args)


def exec_in(
    stages: Stages,
    service: str,
    container: str | None,
    command: Sequence[str],
    plugin: str,
    on_task: Callable[[Task, str], None],
) -> int:
    """Run ``command`` (a shell when empty) in a running task of ``service``, in
    ``container`` (default: the service's own); ``on_task`` hears which task and
    container before the session starts. The plugin's exit code."""
    ecs = stages.aws.client("ecs")
    cluster = cluster_name(stages.target.owner)
    box = container or service  # ecsdeploy names the container after its service
    task = pick_task(ecs, cluster, service, box)
    on_task(task, box)
    return start(ecs, stages.target.region, cluster, task, box, command_line(command), plugin)
