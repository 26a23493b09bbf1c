"""A stand-in for ECS running one-off tasks, which moto (5.2.5) never runs: its tasks stay
RUNNING unless its state manager moves them on, with exit code 0, and its RunTask fails on
ecsdeploy's task definitions (it sums the containers' own ``memory``, which Fargate does
not need and ecsdeploy does not set, and then an awsvpc task trips over its network
interface's ``private_dns_name``).

It lives on a botocore ECS client's event system, as tests/support/express_fake.py does:

* ``before-parameter-build.ecs.<Op>``: the request is checked against botocore's model of
  the operation (ParamValidationError on unknown names, wrong types, missing members);
* ``before-call.ecs.<Op>``: RunTask, DescribeTasks, StopTask and ListTasks are answered
  from memory;
  every response is checked against the operation's output shape and every error code
  against the errors the model lists for the operation.

The cluster, the task definition (and its containers and log configuration) and the
subnets are looked up in moto, so a missing one fails as on AWS.

What AWS does, as documented
(https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-lifecycle-explanation.html,
https://docs.aws.amazon.com/AmazonECS/latest/developerguide/stopped-task-errors.html):

* a task goes PROVISIONING -> PENDING -> ACTIVATING -> RUNNING -> DEACTIVATING -> STOPPING
  -> DEPROVISIONING -> STOPPED (the fake shows PROVISIONING, PENDING, RUNNING,
  STOPPED); DescribeTasks may not see a task RunTask returned a moment ago;
* the essential container exiting stops the task: ``stopCode`` EssentialContainerExited,
  ``stoppedReason`` "Essential container in task exited", the container's ``exitCode``;
* a task that cannot start (an image that cannot be pulled) stops with ``stopCode``
  TaskFailedToStart, the reason (``CannotPullContainerError: ...``) in ``stoppedReason``
  and in the container's ``reason``, and no exit code;
* StopTask: the task's desired status is STOPPED at once, it stops shortly after with
  ``stopCode`` UserInitiated and the caller's reason; a running container gets SIGTERM
  (exit code 143 when it obeys).

Each RunTask takes the next ``Script`` from ``scripts`` (or the default): after how many
DescribeTasks of it the task runs, writes its log lines (into moto's CloudWatch Logs, in
the stream ``PREFIX/<container>/<task id>`` of the task definition's awslogs group) and
stops. ``calls`` counts calls per operation; ``requests`` keeps their parameters.
"""

from __future__ import annotations

import copy
import itertools
import time
import uuid
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, ClassVar

import boto3
from botocore.exceptions import ClientError

from express_fake import FARGATE, Fault, ModelChecked

OPERATIONS = ("RunTask", "DescribeTasks", "StopTask", "ListTasks")
EPOCH = datetime(2026, 1, 1, tzinfo=timezone.utc)
PULL_ERROR = (
    "CannotPullContainerError: pull image manifest has been retried 7 time(s): failed to "
    "resolve ref {image}: not found"
)


@dataclass
class Script:
    """How one task goes: DescribeTasks polls until it runs, then until it stops."""

    exit_code: int | None = 0
    lines: list[str] = field(default_factory=list)
    running_after: int = 1  # polls PROVISIONING/PENDING before RUNNING
    stop_after: int = 3  # polls before STOPPED (never, with None: a task that hangs)
    pull_error: bool = False  # the image cannot be pulled: never runs
    unseen: int = 0  # DescribeTasks answers MISSING this many times first (just started)


@dataclass
class _Task:
    arn: str
    cluster_arn: str
    definition: dict[str, Any]
    container: str
    overrides: dict[str, Any]
    script: Script
    started_by: str
    group: str = ""  # the task group: RunTask's ``group``, else "family:FAMILY"
    polls: int = 0
    status: str = "PROVISIONING"
    desired: str = "RUNNING"
    stop_reason: str = ""
    stop_code: str = ""
    exit_code: int | None = None
    wrote_lines: bool = False
    user_stop_at: int | None = None


class RunFake(ModelChecked):
    params_key: ClassVar[str] = "run_fake_params"

    def __init__(self, region: str = "us-west-2") -> None:
        self.region = region
        self.scripts: list[Script] = []
        self.default = Script()
        self.tasks: dict[str, _Task] = {}
        self.calls: Counter[str] = Counter()
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.rejected: list[str] = []
        self._ids = itertools.count(1)
        self._ecs = boto3.client("ecs", region_name=region)
        self._ec2 = boto3.client("ec2", region_name=region)
        self._logs = boto3.client("logs", region_name=region)

    def install(self, raw_client: Any) -> RunFake:
        events = raw_client.meta.events
        for op in OPERATIONS:
            events.register(f"before-parameter-build.ecs.{op}", self._check_request)
            events.register(f"before-call.ecs.{op}", self._answer)
        return self

    def handlers(self) -> Mapping[str, Callable[[dict[str, Any]], dict[str, Any]]]:
        return {
            "RunTask": self._run,
            "DescribeTasks": self._describe,
            "StopTask": self._stop,
            "ListTasks": self._list,
        }

    # --- operations ----------------------------------------------------------------------
    def _run(self, p: dict[str, Any]) -> dict[str, Any]:
        cluster_arn = self._cluster_arn(p.get("cluster", "default"))
        try:
            definition = self._ecs.describe_task_definition(taskDefinition=p["taskDefinition"])[
                "taskDefinition"
            ]
        except ClientError as exc:
            raise Fault("ClientException", "Unable to describe task definition.") from exc
        if "launchType" in p and "capacityProviderStrategy" in p:
            raise Fault(
                "InvalidParameterException",
                "Specifying both a launch type and capacity provider strategy is not supported.",
            )
        network = p.get("networkConfiguration", {}).get("awsvpcConfiguration")
        if network is None:
            raise Fault(
                "InvalidParameterException",
                "Network Configuration must be provided when networkMode 'awsvpc' is specified.",
            )
        try:
            self._ec2.describe_subnets(SubnetIds=network["subnets"])
            if network.get("securityGroups"):
                self._ec2.describe_security_groups(GroupIds=network["securityGroups"])
        except ClientError as exc:
            raise Fault("InvalidParameterException", exc.response["Error"]["Message"]) from exc
        names = [c["name"] for c in definition["containerDefinitions"]]
        overrides = p.get("overrides", {})
        for box in overrides.get("containerOverrides", []):
            if box.get("name") not in names:
                raise Fault(
                    "InvalidParameterException",
                    f"Override for container named {box.get('name')} is not a container in "
                    "the TaskDefinition.",
                )
        cpu = overrides.get("cpu", definition.get("cpu", "256"))
        memory = overrides.get("memory", definition.get("memory", "512"))
        if int(memory) not in FARGATE.get(int(cpu), []):
            raise Fault(
                "ClientException",
                f"No Fargate configuration exists for given values: {cpu} CPU, {memory} memory.",
            )
        script = self.scripts.pop(0) if self.scripts else copy.deepcopy(self.default)
        cluster = cluster_arn.rsplit("/", 1)[-1]
        arn = f"{cluster_arn.rsplit(':', 1)[0]}:task/{cluster}/{uuid.uuid4().hex}"
        task = _Task(
            arn=arn,
            cluster_arn=cluster_arn,
            definition=definition,
            container=names[0],
            overrides=copy.deepcopy(overrides),
            script=script,
            started_by=p.get("startedBy", ""),
            # AWS: "The default value is the family name of the task definition."
            group=p.get("group") or f"family:{definition['family']}",
        )
        self.tasks[arn] = task
        return {"tasks": [self._render(task)], "failures": []}

    def _describe(self, p: dict[str, Any]) -> dict[str, Any]:
        self._cluster_arn(p.get("cluster", "default"))
        found, failures = [], []
        for ident in p["tasks"]:
            task = self._find(ident)
            if task is None or task.script.unseen > 0:
                if task is not None:
                    task.script.unseen -= 1
                failures.append({"arn": ident, "reason": "MISSING"})
                continue
            self._advance(task)
            found.append(self._render(task))
        return {"tasks": found, "failures": failures}

    def _list(self, p: dict[str, Any]) -> dict[str, Any]:
        """ListTasks: the tasks of the cluster, of ``family`` and ``startedBy`` when given,
        whose desired status is ``desiredStatus`` (default RUNNING; AWS: "Recently stopped
        tasks might appear in the returned results")."""
        cluster_arn = self._cluster_arn(p.get("cluster", "default"))
        wanted = p.get("desiredStatus", "RUNNING")
        return {
            "taskArns": [
                arn
                for arn, task in self.tasks.items()
                if task.cluster_arn == cluster_arn
                and task.desired == wanted
                and p.get("family") in (None, task.definition["family"])
                and p.get("startedBy") in (None, task.started_by)
            ]
        }

    def _stop(self, p: dict[str, Any]) -> dict[str, Any]:
        self._cluster_arn(p.get("cluster", "default"))
        task = self._find(p["task"])
        if task is None:
            raise Fault("InvalidParameterException", "The referenced task was not found.")
        if task.desired != "STOPPED":
            task.desired = "STOPPED"
            task.stop_code = "UserInitiated"
            task.stop_reason = p.get("reason", "Task stopped by user")
            task.user_stop_at = task.polls + 1
        return {"task": self._render(task)}

    # --- the task's life -----------------------------------------------------------------
    def _advance(self, task: _Task) -> None:
        if task.status == "STOPPED":
            return
        task.polls += 1
        script = task.script
        if task.user_stop_at is not None and task.polls >= task.user_stop_at:
            if task.status == "RUNNING":
                task.exit_code = 143  # SIGTERM
            self._stopped(task)
            return
        if script.pull_error:
            if task.polls > script.running_after:
                image = self._image(task)
                task.stop_code = "TaskFailedToStart"
                task.stop_reason = PULL_ERROR.format(image=image)
                self._stopped(task)
            else:
                task.status = "PENDING" if task.polls > 1 else "PROVISIONING"
            return
        if task.polls <= script.running_after:
            task.status = "PENDING" if task.polls > 1 else "PROVISIONING"
            return
        task.status = "RUNNING"
        if not task.wrote_lines:
            self._write_lines(task)
        if script.stop_after is not None and task.polls > script.stop_after:
            task.exit_code = script.exit_code
            task.stop_code = "EssentialContainerExited"
            task.stop_reason = "Essential container in task exited"
            self._stopped(task)

    def _stopped(self, task: _Task) -> None:
        task.status = "STOPPED"
        task.desired = "STOPPED"

    def _write_lines(self, task: _Task) -> None:
        task.wrote_lines = True
        box = task.definition["containerDefinitions"][0]
        options = box.get("logConfiguration", {}).get("options", {})
        group, prefix = options.get("awslogs-group"), options.get("awslogs-stream-prefix")
        if not group or not prefix or not task.script.lines:
            return
        stream = f"{prefix}/{task.container}/{task.arn.rsplit('/', 1)[-1]}"
        self._logs.create_log_stream(logGroupName=group, logStreamName=stream)
        now = int(time.time() * 1000)
        self._logs.put_log_events(
            logGroupName=group,
            logStreamName=stream,
            logEvents=[
                {"timestamp": now + i, "message": line} for i, line in enumerate(task.script.lines)
            ],
        )

    # --- rendering -----------------------------------------------------------------------
    def _render(self, task: _Task) -> dict[str, Any]:
        at = EPOCH + timedelta(seconds=task.polls)
        container: dict[str, Any] = {
            "containerArn": f"{task.arn.replace(':task/', ':container/', 1)}/{task.container}",
            "taskArn": task.arn,
            "name": task.container,
            "image": self._image(task),
            "lastStatus": task.status if task.status != "DEPROVISIONING" else "STOPPED",
        }
        if task.exit_code is not None:
            container["exitCode"] = task.exit_code
        if task.stop_code == "TaskFailedToStart":
            container["reason"] = task.stop_reason
        out: dict[str, Any] = {
            "taskArn": task.arn,
            "clusterArn": task.cluster_arn,
            "taskDefinitionArn": task.definition["taskDefinitionArn"],
            "lastStatus": task.status,
            "desiredStatus": task.desired,
            "launchType": "FARGATE",
            "cpu": task.overrides.get("cpu", task.definition.get("cpu", "256")),
            "memory": task.overrides.get("memory", task.definition.get("memory", "512")),
            "overrides": task.overrides,
            "containers": [container],
            "createdAt": EPOCH,
            "startedBy": task.started_by,
            "group": task.group,
            "version": task.polls + 1,
        }
        if task.status == "RUNNING" or task.exit_code is not None:
            out["startedAt"] = EPOCH + timedelta(seconds=task.script.running_after)
        if task.status == "STOPPED":
            out["stoppedAt"] = at
            out["stopCode"] = task.stop_code
            out["stoppedReason"] = task.stop_reason
        return out

    # --- lookups -------------------------------------------------------------------------
    def _image(self, task: _Task) -> str:
        return str(task.definition["containerDefinitions"][0]["image"])

    def _find(self, ident: str) -> _Task | None:
        for arn, task in self.tasks.items():
            if ident in (arn, arn.rsplit("/", 1)[-1]):
                return task
        return None

    def _cluster_arn(self, cluster: str) -> str:
        found = self._ecs.describe_clusters(clusters=[cluster])["clusters"]
        active = [c for c in found if c["status"] == "ACTIVE"]
        if not active:
            raise Fault("ClusterNotFoundException", "Cluster not found.")
        return str(active[0]["clusterArn"])


def install_on_every_deployment(monkeypatch: Any, fake: RunFake) -> RunFake:
    """``fake`` on every deployment the CLI connects, with fake time that passes when the
    code under test sleeps (``monkeypatch``: pytest's fixture)."""
    from ecsdeploy.ops.stages import Stages
    from ecsdeploy.resources.base import Timing

    clock = [0.0]
    connect = Stages.connect

    def sleep(seconds: float) -> None:
        clock[0] += seconds

    def connect_with_fake(
        target: Any, recorder: Any = None, timing: Any = None, kinds: Any = None
    ) -> Stages:
        dep = connect(target, recorder, Timing(sleep=sleep, clock=lambda: clock[0]), kinds)
        fake.install(dep.aws.client("ecs").raw)
        return dep

    monkeypatch.setattr(Stages, "connect", connect_with_fake)
    return fake
