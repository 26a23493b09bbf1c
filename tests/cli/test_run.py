"""`ecsdeploy run`: one task of a service, against a stand-in for ECS running tasks
(tests/support/run_fake.py: moto accepts RunTask but never runs a task): exit codes, the task's
log lines, --detach, the timeout and Ctrl-C, through the CLI."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import boto3
import pytest
from run_fake import RunFake, Script, install_on_every_deployment
from typer.testing import CliRunner

from ecsdeploy.cli import app as cli
from ecsdeploy.cli.commands import run as run_command
from ecsdeploy.ops import run as one_off
from ecsdeploy.reconcile import service_logs

from conftest import spec_text

REGION = "us-west-2"
GROUP = "/ecsdeploy/mlapp/dev/api"
runner = CliRunner()


@pytest.fixture
def fake(aws: None, monkeypatch: pytest.MonkeyPatch) -> RunFake:
    return install_on_every_deployment(monkeypatch, RunFake(REGION))


@pytest.fixture
def spec(tmp_path: Path) -> Path:
    return deploy_api(tmp_path)


def deploy_api(tmp_path: Path) -> Path:
    """The spec, and its api service deployed as ecsdeploy deploys it (cluster, log group,
    task definition logging to awslogs, service in a subnet with its security group)."""
    ecs = boto3.client("ecs", region_name=REGION)
    ec2 = boto3.client("ec2", region_name=REGION)
    boto3.client("logs", region_name=REGION).create_log_group(logGroupName=GROUP)
    ecs.create_cluster(clusterName="mlapp-dev")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName="mlapp-dev-api", Description="api", VpcId=vpc)
    definition = ecs.register_task_definition(
        family="mlapp-dev-api",
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="512",
        memory="1024",
        containerDefinitions=[
            {
                "name": "api",
                "image": "123456789012.dkr.ecr.us-west-2.amazonaws.com/api:v1",
                "essential": True,
                "logConfiguration": {
                    "logDriver": "awslogs",
                    "options": {
                        "awslogs-group": GROUP,
                        "awslogs-region": REGION,
                        "awslogs-stream-prefix": "ecs",
                    },
                },
            }
        ],
    )["taskDefinition"]["taskDefinitionArn"]
    ecs.create_service(
        cluster="mlapp-dev",
        serviceName="api",
        taskDefinition=definition,
        desiredCount=1,
        launchType="FARGATE",
        networkConfiguration={
            "awsvpcConfiguration": {
                "subnets": [subnet],
                "securityGroups": [group["GroupId"]],
                "assignPublicIp": "DISABLED",
            }
        },
    )
    path = tmp_path / "app.yaml"
    path.write_text(spec_text())
    return path


def invoke(*args: str) -> Any:
    return runner.invoke(cli.app, ["run", *args])


def run_request(fake: RunFake) -> dict[str, Any]:
    return next(params for op, params in fake.requests if op == "RunTask")


def test_the_container_exit_code_and_output(fake: RunFake, spec: Path) -> None:
    fake.scripts.append(Script(exit_code=3, lines=["migrating [bold] :secret:", "exiting 3"]))
    other = "ecs/api/0123456789abcdef0123456789abcdef"  # the service's own task
    logs = boto3.client("logs", region_name=REGION)
    logs.create_log_stream(logGroupName=GROUP, logStreamName=other)
    logs.put_log_events(
        logGroupName=GROUP,
        logStreamName=other,
        logEvents=[{"timestamp": int(time.time() * 1000), "message": "GET /api/health 200"}],
    )
    result = invoke(str(spec), "api", "--", "python", "-c", "import sys; sys.exit(3)")
    assert result.exit_code == 3, result.stderr
    assert "migrating [bold] :secret:" in result.stdout
    assert "exiting 3" in result.stdout
    assert "GET /api/health" not in result.stdout  # only the task's own lines
    assert "exited with code 3" in result.stderr
    request = run_request(fake)
    assert request["overrides"]["containerOverrides"] == [
        {"name": "api", "command": ["python", "-c", "import sys; sys.exit(3)"]}
    ]
    # the service's task definition, subnets and security groups, as deployed
    service = boto3.client("ecs", region_name=REGION).describe_services(
        cluster="mlapp-dev", services=["api"]
    )["services"][0]
    assert request["taskDefinition"] == service["taskDefinition"]
    assert request["networkConfiguration"] == service["networkConfiguration"]
    assert request["launchType"] == "FARGATE"
    assert request["startedBy"] == one_off.STARTED_BY
    assert fake.rejected == []
    for status in ("PROVISIONING", "RUNNING", "STOPPED"):
        assert status in result.stderr


def test_the_spec_defaults_to_ecsdeploy_yaml(
    fake: RunFake, spec: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (spec.parent / "ecsdeploy.yaml").write_text(spec.read_text())
    monkeypatch.chdir(spec.parent)
    fake.scripts.append(Script(exit_code=3, lines=["from the task"]))
    result = invoke("api", "--", "python", "-c", "import sys; sys.exit(3)")
    assert result.exit_code == 3, result.stderr
    assert "from the task" in result.stdout


def test_success_exits_0(fake: RunFake, spec: Path) -> None:
    # DescribeTasks does not see the new task at first (eventual consistency)
    fake.scripts.append(Script(exit_code=0, lines=["ok"], running_after=2, stop_after=6, unseen=2))
    result = invoke(str(spec), "api")
    assert result.exit_code == 0, result.stderr
    assert "ok" in result.stdout
    assert "command" not in run_request(fake)["overrides"]["containerOverrides"][0]


def test_an_image_that_cannot_be_pulled_exits_1_with_the_reason(fake: RunFake, spec: Path) -> None:
    fake.scripts.append(Script(pull_error=True))
    result = invoke(str(spec), "api", "--", "true")
    assert result.exit_code == 1, result.stderr
    assert "CannotPullContainerError" in result.stderr
    assert "stopped-task-errors" in result.stderr  # where AWS explains the reasons


def test_detach_prints_the_task_arn(fake: RunFake, spec: Path) -> None:
    result = invoke(str(spec), "api", "--detach", "--", "sleep", "600")
    assert result.exit_code == 0, result.stderr
    (task,) = fake.tasks
    assert result.stdout.strip() == task
    assert fake.calls["DescribeTasks"] == 0


def test_env_cpu_and_memory_are_overridden(fake: RunFake, spec: Path) -> None:
    result = invoke(
        str(spec), "api", "--env", "DRY_RUN=1", "--env", "NOTE=a=b", "--cpu", "1024",
        "--memory", "4096", "--", "python", "migrate.py",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    overrides = run_request(fake)["overrides"]
    assert overrides["containerOverrides"][0]["environment"] == [
        {"name": "DRY_RUN", "value": "1"},
        {"name": "NOTE", "value": "a=b"},
    ]
    assert (overrides["cpu"], overrides["memory"]) == ("1024", "4096")


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--env", "=x"], "is not NAME=VALUE"),
        (["--env", "1A=x"], "is not NAME=VALUE"),
        (["--env", "qa", "--env", "prod"], "one environment"),
        (["--cpu", "300"], "not a Fargate cpu"),
        (["--memory", "8192"], "does not go with cpu 512"),
        (["--timeout", "soon"], "invalid duration"),
    ],
)
def test_bad_options_exit_2(fake: RunFake, spec: Path, args: list[str], says: str) -> None:
    result = invoke(str(spec), "api", *args)
    assert result.exit_code == 2, result.stderr
    assert says in result.stderr
    assert fake.calls["RunTask"] == 0


def test_a_service_not_deployed_says_to_run_up(fake: RunFake, tmp_path: Path) -> None:
    boto3.client("ecs", region_name=REGION).create_cluster(clusterName="mlapp-dev")
    path = tmp_path / "app.yaml"
    path.write_text(spec_text())
    result = invoke(str(path), "ui")
    assert result.exit_code == 1
    assert "service ui is not deployed" in result.stderr
    assert "ecsdeploy up" in result.stderr


def test_the_timeout_stops_the_task(fake: RunFake, spec: Path) -> None:
    fake.scripts.append(Script(stop_after=None, lines=["working"]))
    result = invoke(str(spec), "api", "--timeout", "2m")
    assert result.exit_code == 1, result.stderr
    assert "did not stop within 2 minutes" in result.stderr
    assert "working" in result.stdout
    (stop,) = [params for op, params in fake.requests if op == "StopTask"]
    assert "--timeout 2m" in stop["reason"]
    # bounded: about one DescribeTasks per STATUS_EVERY seconds of the 2 minutes
    assert fake.calls["DescribeTasks"] <= 120 / one_off.STATUS_EVERY + 2


def interrupt_after_start(monkeypatch: pytest.MonkeyPatch) -> None:
    def follow(*args: Any, **kwargs: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(service_logs, "follow", follow)


def test_ctrl_c_without_a_terminal_stops_the_task(
    fake: RunFake, spec: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    interrupt_after_start(monkeypatch)
    result = invoke(str(spec), "api", "--", "sleep", "600")
    assert result.exit_code == 130
    (task,) = fake.tasks
    assert f"stopped task {task.rsplit('/', 1)[-1]}" in result.stderr
    (stop,) = [params for op, params in fake.requests if op == "StopTask"]
    assert stop["task"] == task and "interrupted" in stop["reason"]


def test_ctrl_c_on_a_terminal_asks_and_may_leave_it_running(
    fake: RunFake, spec: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    interrupt_after_start(monkeypatch)
    asked: list[str] = []
    monkeypatch.setattr(run_command, "stdin_is_interactive", lambda: True)

    def answer(question: str, **_: Any) -> bool:
        asked.append(question)
        return False

    monkeypatch.setattr(run_command.typer, "confirm", answer)
    result = invoke(str(spec), "api")
    assert result.exit_code == 130
    (task,) = fake.tasks
    assert task.rsplit("/", 1)[-1] in asked[0]
    assert "keeps running" in result.stderr and task in result.stderr
    assert fake.calls["StopTask"] == 0


def test_the_fake_follows_the_model(fake: RunFake, spec: Path) -> None:
    """The stand-in refuses what ECS refuses: an off-model request, an unknown container,
    a size Fargate does not offer."""
    from botocore.exceptions import ClientError, ParamValidationError

    ecs = boto3.client("ecs", region_name=REGION)
    fake.install(ecs)
    definition = ecs.describe_services(cluster="mlapp-dev", services=["api"])["services"][0]
    base = {
        "cluster": "mlapp-dev",
        "taskDefinition": definition["taskDefinition"],
        "launchType": "FARGATE",
        "networkConfiguration": definition["networkConfiguration"],
    }
    with pytest.raises(ParamValidationError):
        ecs.run_task(**base, overrides={"containerOverrides": [{"nom": "api"}]})
    with pytest.raises(ClientError, match="not a container"):
        ecs.run_task(**base, overrides={"containerOverrides": [{"name": "web"}]})
    with pytest.raises(ClientError, match="No Fargate configuration"):
        ecs.run_task(**base, overrides={"cpu": "256", "memory": "4096"})
    with pytest.raises(ClientError, match="ClusterNotFound"):
        ecs.describe_tasks(cluster="nope", tasks=["x"])
    assert ecs.describe_tasks(cluster="mlapp-dev", tasks=["x"])["failures"][0]["reason"] == (
        "MISSING"
    )
