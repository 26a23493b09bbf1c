"""Task definitions: one family per service, one container each.

A task definition cannot be changed, only given a new revision, so ``update`` registers a
revision, and only when the normalised content differs from the latest ACTIVE one: an
unchanged ``up`` registers nothing. Dependents refer to the revision ARN, which an update
changes (``volatile_attrs``), so the plan shows the service update that follows. A new
role may not be assumable by ECS yet when the first revision is registered: that error is
retried, bounded (see ecs_common).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ecsdeploy.aws.errors import AwsError
from ecsdeploy.resources.base import (
    OPTIONAL,
    Desired,
    Joined,
    Observed,
    Props,
    Ref,
    UpsertHandler,
    owned_key,
)
from ecsdeploy.resources.describe import Line, Names, container
from ecsdeploy.resources.ecs_common import ROLE_NOT_ASSUMABLE, ecs_tags, retry_until_propagated
from ecsdeploy.resources.reads import read_each
from ecsdeploy.spec.naming import tags_to_dict

STREAM_PREFIX = "ecs"  # awslogs streams are ecs/<container>/<task id>


def container_health(command: list[str] | None, grace: int) -> dict[str, int | list[str]] | None:
    if not command:
        return None
    return {"command": list(command), "interval": 15, "timeout": 5, "retries": 3,
            "startPeriod": min(grace, 300)}  # fmt: skip


def _port_mapping(port: int, name: str | None) -> dict[str, Any]:
    """The container's port; named, with its protocol, when Service Connect uses it
    (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_PortMapping.html)."""
    mapping: dict[str, Any] = {"containerPort": port, "protocol": "tcp"}
    if name is not None:
        mapping.update(name=name, appProtocol="http")
    return mapping


@dataclass(frozen=True, kw_only=True)
class TaskDefinitionProps(Props):
    cpu: str  # CPU units, as ECS takes them
    memory: str  # MiB
    execution_role: str | Ref  # ARNs
    task_role: str | Ref
    container: str  # the container's name (the service's)
    image: str
    port: int | None  # None: a worker, listening on no port
    env: Mapping[str, str | Joined]
    secrets: Mapping[str, str]  # name -> parameter or secret ARN
    log_group: str
    health: Mapping[str, int | list[str]] | None  # the container's health check
    arch: str = "X86_64"  # runtimePlatform.cpuArchitecture: X86_64 or ARM64
    # the port mapping's name (appProtocol http) that ECS Service Connect refers to by
    # portName; absent for a service outside a Service Connect namespace
    port_name: str | None = field(default=None, metadata=OPTIONAL)
    # the container's command (a job's); unset: the image's own
    command: tuple[str, ...] | None = field(default=None, metadata=OPTIONAL)


class TaskDefinitionHandler(UpsertHandler[TaskDefinitionProps]):
    """An update registers a new revision; the old ones stay for rollback."""

    kind: ClassVar[str] = "ecs.task_definition"
    props_class: ClassVar[type[Props]] = TaskDefinitionProps
    label: ClassVar[str] = "task definition"
    layer: ClassVar[str] = "services"
    rank: ClassVar[int] = 6
    services: ClassVar[tuple[str, ...]] = ("ecs",)
    volatile_attrs: ClassVar[frozenset[str]] = frozenset({"arn", "revision"})

    @classmethod
    def describe(cls, props: TaskDefinitionProps, names: Names) -> list[Line]:
        lines = container(props, names)
        if props.arch != "X86_64":  # the default says nothing new
            lines.append(("CPU", props.arch.lower()))
        return lines

    def observe(self, wants: Sequence[Desired]) -> list[Observed]:
        ecs = self.client("ecs")
        prefix = f"{self.ctx.owner.prefix}-"
        found = []
        families = ecs.pages(
            "ListTaskDefinitionFamilies", "families", familyPrefix=prefix, status="ACTIVE"
        )
        for out in read_each(self._latest, list(families)):  # one family per call
            if out is None:
                continue  # its last revision was deregistered between the two calls
            tags = tags_to_dict(out.get("tags"))
            key = owned_key(self.ctx.owner, tags)
            if key is not None:
                found.append(self._observed(key, out["taskDefinition"], tags))
        return found

    def observe_only(self, wants: Sequence[Desired]) -> list[Observed]:
        """The latest ACTIVE revision of each wanted family: one DescribeTaskDefinition
        each, read concurrently (a family with no ACTIVE revision is not found)."""
        found = []
        read = read_each(self._latest, [w.name for w in wants])
        for want, out in zip(wants, read, strict=True):
            tags = tags_to_dict(out.get("tags")) if out is not None else {}
            if out is not None and owned_key(self.ctx.owner, tags) == want.key:
                found.append(self._observed(want.key, out["taskDefinition"], tags))
        return found

    def _latest(self, family: str) -> dict[str, Any] | None:
        try:
            out: dict[str, Any] = self.client("ecs").describe_task_definition(
                taskDefinition=family, include=["TAGS"]
            )
        except AwsError:
            return None
        return out

    def _observed(self, key: str, td: dict[str, Any], tags: dict[str, str]) -> Observed:
        container = td["containerDefinitions"][0]
        log = container.get("logConfiguration", {}).get("options", {})
        ports = container.get("portMappings") or [{}]
        health = container.get("healthCheck")
        return Observed(
            kind=self.kind,
            key=key,
            id=td["family"],
            name=td["family"],
            props={
                "cpu": str(td.get("cpu")),
                "memory": str(td.get("memory")),
                "execution_role": td.get("executionRoleArn"),
                "task_role": td.get("taskRoleArn"),
                "container": container["name"],
                "image": container["image"],
                "port": ports[0].get("containerPort"),
                # named only in a Service Connect namespace
                **({"port_name": ports[0]["name"]} if ports[0].get("name") else {}),
                "env": {e["name"]: e["value"] for e in container.get("environment", [])},
                "secrets": {s["name"]: s["valueFrom"] for s in container.get("secrets", [])},
                "log_group": log.get("awslogs-group"),
                # before an architecture was set, ECS took X86_64
                "arch": (td.get("runtimePlatform") or {}).get("cpuArchitecture", "X86_64"),
                "command": tuple(container["command"]) if container.get("command") else None,
                "health": (
                    {
                        k: health[k]
                        for k in ("command", "interval", "timeout", "retries", "startPeriod")
                        if k in health
                    }
                    if health
                    else None
                ),
            },
            attrs={"arn": td["taskDefinitionArn"], "revision": td.get("revision")},
            tags=tags,
            state=f"revision {td.get('revision')}",
        )

    def create(self, want: Desired, props: TaskDefinitionProps) -> Observed:
        container: dict[str, Any] = {
            "name": props.container,
            "image": props.image,
            "essential": True,
            # a worker (no port) listens on none
            **(
                {"portMappings": [_port_mapping(props.port, props.port_name)]}
                if props.port is not None
                else {}
            ),
            "environment": [{"name": k, "value": v} for k, v in sorted(props.env.items())],
            "secrets": [{"name": k, "valueFrom": v} for k, v in sorted(props.secrets.items())],
            "logConfiguration": {
                "logDriver": "awslogs",
                "options": {
                    "awslogs-group": props.log_group,
                    "awslogs-region": self.ctx.aws.region,
                    "awslogs-stream-prefix": STREAM_PREFIX,
                },
            },
        }
        if props.health:
            container["healthCheck"] = dict(props.health)
        if props.command:
            container["command"] = list(props.command)
        args: dict[str, Any] = dict(
            family=want.name,
            taskRoleArn=props.task_role,
            executionRoleArn=props.execution_role,
            networkMode="awsvpc",
            requiresCompatibilities=["FARGATE"],
            cpu=props.cpu,
            memory=props.memory,
            runtimePlatform={"cpuArchitecture": props.arch, "operatingSystemFamily": "LINUX"},
            containerDefinitions=[container],
            tags=ecs_tags(self.tags(want)),
        )
        out = retry_until_propagated(
            self.ctx,
            "the new IAM roles to become assumable by ECS",
            ROLE_NOT_ASSUMABLE,
            lambda: self.client("ecs").register_task_definition(**args),
        )
        return self._observed(want.key, out["taskDefinition"], self.tags(want))

    def delete(self, have: Observed) -> None:
        ecs = self.client("ecs")
        arns = [
            arn
            for arn in ecs.pages(
                "ListTaskDefinitions", "taskDefinitionArns", familyPrefix=have.name
            )
            # familyPrefix matches by prefix: keep this exact family only
            if arn.rsplit("/", 1)[-1].rsplit(":", 1)[0] == have.name
        ]
        for arn in arns:
            ecs.deregister_task_definition(taskDefinition=arn)
        for i in range(0, len(arns), 10):  # DeleteTaskDefinitions takes at most 10
            ecs.delete_task_definitions(taskDefinitions=arns[i : i + 10])
