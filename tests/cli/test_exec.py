"""ECS Exec: the service and task-role changes `exec: true` makes, and `ecsdeploy exec`
picking a task and handing it to the Session Manager plugin, or saying how to install
the plugin when it is missing. moto has no ExecuteCommand and starts no service tasks:
the task side runs against a stand-in ECS client, the plugin is a script on PATH."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ecsdeploy.cli import app as cli
from ecsdeploy.cli.commands.execute import split_arguments
from ecsdeploy.desired import desired_resources
from ecsdeploy.desired.hardening import EXEC_ACTIONS
from ecsdeploy.ops import execute as ecs_exec
from ecsdeploy.spec import parse_spec

from conftest import spec_text

runner = CliRunner()
CLUSTER = "mlapp-dev"


def _with_exec() -> str:
    return spec_text().replace("    route: /api/*\n", "    route: /api/*\n    exec: true\n")


def test_exec_turns_on_the_service_flag_and_the_task_role_permissions() -> None:
    from ecsdeploy.images.refs import ImageRef

    spec = parse_spec(_with_exec(), "t.yaml")
    images = {n: ImageRef(n, s.image or "") for n, s in spec.services.items()}
    desired = {d.key: d for d in desired_resources(spec, ["us-west-2a", "us-west-2b"], images)}
    assert desired["service/api"].props.as_mapping()["exec"] is True
    assert desired["service/ui"].props.as_mapping()["exec"] is False
    grant = json.loads(desired["role/api-task"].props.as_mapping()["inline"]["exec"])
    assert grant["Statement"][0]["Action"] == EXEC_ACTIONS
    assert "exec" not in desired["role/ui-task"].props.as_mapping()["inline"]


def test_turning_exec_on_updates_the_service_with_a_new_deployment(harness: Any) -> None:
    harness.up(spec_text())
    dep = harness.deployment(_with_exec())
    plan = dep.plan_up()
    changed = {s.key: [c.field for c in s.changes] for s in plan.changes}
    assert changed == {"role/api-task": ["inline"], "service/api": ["exec"]}
    harness.recorder.clear()
    assert dep.apply(plan).ok
    update = [c for c in harness.recorder.mutating() if c.operation == "UpdateService"]
    assert len(update) == 1
    harness.assert_up_changes_nothing(_with_exec())


def test_missing_plugin_says_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = tmp_path / "ecsdeploy.yaml"
    spec.write_text(_with_exec())
    monkeypatch.setenv("PATH", str(tmp_path))  # nothing named session-manager-plugin
    result = runner.invoke(cli.app, ["exec", str(spec), "api", "--", "ls", "-la"])
    assert result.exit_code == 1
    text = " ".join(result.output.split())
    assert "session-manager-plugin" in text and "not on PATH" in text
    assert "session-manager-working-with-install-plugin" in text


def test_arguments_split_into_spec_service_and_command() -> None:
    assert split_arguments(["api"]) == (Path("ecsdeploy.yaml"), "api", [])
    assert split_arguments(["c.yml", "api", "ls", "-la"]) == (Path("c.yml"), "api", ["ls", "-la"])
    with pytest.raises(ValueError, match="give the service"):
        split_arguments(["c.yaml"])
    assert ecs_exec.command_line([]) == "/bin/sh"
    assert ecs_exec.command_line(["python", "-c", "print('hi there')"]) == (
        "python -c 'print('\"'\"'hi there'\"'\"')'"
    )


class FakeEcs:
    """The three ECS calls exec makes, with recorded arguments."""

    def __init__(self, tasks: list[dict[str, Any]]) -> None:
        self.tasks = tasks
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def list_tasks(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(("ListTasks", kwargs))
        return {"taskArns": [t["taskArn"] for t in self.tasks]}

    def describe_tasks(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(("DescribeTasks", kwargs))
        return {"tasks": self.tasks}

    def execute_command(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(("ExecuteCommand", kwargs))
        return {"session": {"sessionId": "s-1", "streamUrl": "wss://x", "tokenValue": "t"}}


def _task(task_id: str, exec_on: bool, started: str) -> dict[str, Any]:
    return {
        "taskArn": f"arn:aws:ecs:us-west-2:123456789012:task/{CLUSTER}/{task_id}",
        "lastStatus": "RUNNING",
        "enableExecuteCommand": exec_on,
        "startedAt": started,
        "containers": [{"name": "api", "runtimeId": f"{task_id}-0123"}],
    }


def test_the_newest_exec_task_runs_the_plugin_with_the_session(tmp_path: Path) -> None:
    ecs = FakeEcs([_task("aaa", True, "2026-01-01"), _task("bbb", True, "2026-01-02")])
    task = ecs_exec.pick_task(ecs, CLUSTER, "api", "api")  # type: ignore[arg-type]
    assert (task.id, task.runtime_id) == ("bbb", "bbb-0123")

    log = tmp_path / "args.json"
    plugin = tmp_path / "session-manager-plugin"
    plugin.write_text(f"#!/bin/sh\nprintf '%s\\n' \"$@\" > {log}\nexit 7\n")
    plugin.chmod(plugin.stat().st_mode | stat.S_IEXEC)
    found = ecs_exec.find_plugin(lambda name: str(plugin) if name == plugin.name else None)
    code = ecs_exec.start(ecs, "us-west-2", CLUSTER, task, "api", "ls -la", found)  # type: ignore[arg-type]
    assert code == 7  # the remote command's exit code comes back
    args = log.read_text().splitlines()
    assert json.loads(args[0])["sessionId"] == "s-1"
    assert args[1:4] == ["us-west-2", "StartSession", ""]
    assert json.loads(args[4]) == {"Target": f"ecs:{CLUSTER}_bbb_bbb-0123"}
    assert args[5] == "https://ssm.us-west-2.amazonaws.com"
    execute = dict(ecs.calls)["ExecuteCommand"]
    assert execute["command"] == "ls -la" and execute["interactive"] is True
    assert execute["task"].endswith("/bbb") and execute["container"] == "api"
    assert os.environ.get("PATH")  # the real PATH was not touched


def test_tasks_without_exec_or_no_tasks_are_explained() -> None:
    with pytest.raises(ecs_exec.ExecError, match=r"services\.api\.exec: true"):
        ecs_exec.pick_task(FakeEcs([_task("aaa", False, "x")]), CLUSTER, "api", "api")  # type: ignore[arg-type]
    with pytest.raises(ecs_exec.ExecError, match="no running task"):
        ecs_exec.pick_task(FakeEcs([]), CLUSTER, "api", "api")  # type: ignore[arg-type]
    with pytest.raises(ecs_exec.ExecError, match="no running container named ui"):
        ecs_exec.pick_task(FakeEcs([_task("aaa", True, "x")]), CLUSTER, "api", "ui")  # type: ignore[arg-type]
