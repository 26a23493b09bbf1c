"""ECS Fargate services: one per spec service, in its subnets, behind its target group.

Deployments use the circuit breaker with rollback, so a crash-looping revision is rolled
back by ECS instead of retried for hours; ``reconcile.rollout`` reports such a rollback as
the failure it is. When autoscaling owns the task count, ``desired_count`` is not part of
the props, so scaling activity is never seen as drift.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from ecsdeploy.aws.errors import NotFound
from ecsdeploy.resources import ecs_strategy, keys
from ecsdeploy.resources.base import (
    OPTIONAL,
    Change,
    Desired,
    Handler,
    Observed,
    Props,
    Ref,
    owned_key,
)
from ecsdeploy.resources.billing import Bill, Meter, Tasks, Usage
from ecsdeploy.resources.describe import Line, Names, value
from ecsdeploy.resources.ec2_common import client_token
from ecsdeploy.resources.ecs_common import (
    ROLE_NOT_ASSUMABLE,
    TARGET_GROUP_NOT_ATTACHED,
    cluster_name,
    describe_named,
    describe_services,
    ecs_tags,
    retry_until_propagated,
)
from ecsdeploy.resources.service_connect import (
    Connect,
    connect_request,
    connect_text,
    observed_connect,
)
from ecsdeploy.resources.waiting import wait_for
from ecsdeploy.spec.naming import tags_to_dict

T = TypeVar("T")
LoadBalancer = tuple[str, str, int]  # (target group ARN, container name, container port)


@dataclass(frozen=True, kw_only=True)
class ServiceProps(Props):
    """``desired_count`` is absent when autoscaling owns the count (then only the first
    create sets it, from ``Desired.initial``)."""

    cluster: str | Ref  # its ARN
    launch_type: str
    task_definition: str | Ref  # the revision's ARN
    subnets: frozenset[str | Ref]
    security_groups: frozenset[str | Ref]
    public_ip: bool
    load_balancers: frozenset[tuple[str | Ref, str, int]]  # (target group, container, port)
    grace_period: int | None  # health checks ignored after start (None: no load balancer)
    circuit_breaker: bool
    min_healthy: int
    max_percent: int
    exec: bool  # ECS Exec
    desired_count: int | None = dataclasses.field(default=None, metadata=OPTIONAL)
    # the deployment strategy (resources.ecs_strategy); all absent: rolling, as without one
    strategy: str | None = dataclasses.field(default=None, metadata=OPTIONAL)  # ECS's name
    bake_minutes: int | None = dataclasses.field(default=None, metadata=OPTIONAL)
    # canary: (percent first, minutes before the rest); linear: (percent a step, minutes)
    steps: tuple[float, int] | None = dataclasses.field(default=None, metadata=OPTIONAL)
    pause_at: str | None = dataclasses.field(default=None, metadata=OPTIONAL)  # PAUSE hook
    alarms: frozenset[str] | None = dataclasses.field(default=None, metadata=OPTIONAL)
    # (alternate target group, production rule, test rule or None, role ECS assumes)
    traffic: tuple[str | Ref, str | Ref, str | Ref | None, str | Ref] | None = dataclasses.field(
        default=None, metadata=OPTIONAL
    )
    # ECS Service Connect: (namespace, what it answers as); absent when off
    service_connect: Connect | None = dataclasses.field(default=None, metadata=OPTIONAL)


class ServiceHandler(Handler[ServiceProps]):
    kind: ClassVar[str] = "ecs.service"
    props_class: ClassVar[type[Props]] = ServiceProps
    label: ClassVar[str] = "ECS service"
    delete_note: ClassVar[str] = "stops its running tasks"
    layer: ClassVar[str] = "services"
    rank: ClassVar[int] = 8
    services: ClassVar[tuple[str, ...]] = ("ecs",)
    replace_on: ClassVar[frozenset[str]] = frozenset({"cluster", "launch_type"})
    downtime: ClassVar[str] = "its tasks stop before the new service starts any"

    @classmethod
    def describe(cls, props: ServiceProps, names: Names) -> list[Line]:
        lines = [
            (
                "tasks",
                str(
                    props.desired_count if props.desired_count is not None else "set by autoscaling"
                ),
            )
        ]
        lines.append(("runs", value(props.task_definition, names)))
        lines.append(("subnets", value(props.subnets, names)))
        if props.strategy is not None or props.alarms:
            lines.append(("deploys", ecs_strategy.summary(props)))
        for target_group, container, port in sorted(props.load_balancers or (), key=str):
            lines.append(("behind", f"{value(target_group, names)} ({container}:{port})"))
        if props.service_connect is not None:
            lines.append(("service connect", connect_text(props.service_connect, names)))
        return lines

    @classmethod
    def bills(cls, have: Observed, observed: Mapping[str, Observed]) -> list[Bill]:
        """Its tasks, at the size of its task definition; a public IPv4 address for each
        task when they get one."""
        count = int(have.attrs.get("desired", have.props.get("desired_count") or 0))
        out: list[Bill] = []
        task = observed.get(f"taskdef/{have.name}")
        if task is not None:
            arm = task.props.get("arch") == "ARM64"
            out.append(Tasks(int(task.props["cpu"]), int(task.props["memory"]), count, arm))
        if have.props.get("public_ip"):
            out.append(Usage(Meter.PUBLIC_IPV4, count))
        return out

    def observe(self, wants: Sequence[Desired]) -> list[Observed]:
        found = []
        _, described = describe_services(
            self.client("ecs"), cluster_name(self.ctx.owner), self.ctx.reads
        )
        for svc in described:
            if svc.get("status") != "ACTIVE":
                continue  # DRAINING / INACTIVE: on its way out
            tags = tags_to_dict(svc.get("tags"))
            key = owned_key(self.ctx.owner, tags)
            # an Express Mode service is an ECS service too: ecs.express_service owns it
            if key is not None and not keys.is_express_service(key):
                found.append(self._observed(key, svc, tags))
        return found

    def observe_only(self, wants: Sequence[Desired]) -> list[Observed]:
        """The wanted services by name (``describe_named``), with no ListServices."""
        cluster = cluster_name(self.ctx.owner)
        try:
            described = describe_named(self.client("ecs"), cluster, [w.name for w in wants])
        except NotFound:  # no cluster: no service
            return []
        wanted = {w.key for w in wants}
        found = []
        for svc in described:
            tags = tags_to_dict(svc.get("tags"))
            key = owned_key(self.ctx.owner, tags)
            if svc.get("status") == "ACTIVE" and key in wanted:
                found.append(self._observed(key, svc, tags))
        return found

    def _observed(self, key: str, svc: dict[str, Any], tags: dict[str, str]) -> Observed:
        vpc = svc.get("networkConfiguration", {}).get("awsvpcConfiguration", {})
        deployment = svc.get("deploymentConfiguration", {})
        breaker = deployment.get("deploymentCircuitBreaker", {})
        primary: dict[str, Any] = next(
            (d for d in svc.get("deployments", []) if d.get("status") == "PRIMARY"), {}
        )
        props: dict[str, Any] = {
            "cluster": svc.get("clusterArn"),
            "launch_type": svc.get("launchType"),
            "task_definition": svc.get("taskDefinition"),
            "desired_count": svc.get("desiredCount"),
            "subnets": frozenset(vpc.get("subnets", [])),
            "security_groups": frozenset(vpc.get("securityGroups", [])),
            "public_ip": vpc.get("assignPublicIp") == "ENABLED",
            "load_balancers": frozenset(
                (lb["targetGroupArn"], lb["containerName"], lb["containerPort"])
                for lb in svc.get("loadBalancers", [])
            ),
            "exec": bool(svc.get("enableExecuteCommand", False)),
        }
        # AWS always returns deploymentConfiguration (and the grace period of a service
        # behind a load balancer); moto omits both. A field that was not reported is left
        # out, and diff() does not compare it.
        if "healthCheckGracePeriodSeconds" in svc:
            props["grace_period"] = svc["healthCheckGracePeriodSeconds"]
        if "deploymentConfiguration" in svc:
            props["circuit_breaker"] = bool(breaker.get("enable") and breaker.get("rollback"))
            props["min_healthy"] = deployment.get("minimumHealthyPercent")
            props["max_percent"] = deployment.get("maximumPercent")
        props.update(ecs_strategy.observed(svc))
        reported, connect = observed_connect(svc)
        if reported:
            props["service_connect"] = connect
        return Observed(
            kind=self.kind,
            key=key,
            id=svc["serviceArn"],
            name=svc["serviceName"],
            props=props,
            attrs={
                "arn": svc["serviceArn"],
                "name": svc["serviceName"],
                # for status: what runs now
                "running": svc.get("runningCount", 0),
                "pending": svc.get("pendingCount", 0),
                "desired": svc.get("desiredCount", 0),
                "rollout": primary.get("rolloutState", ""),
                "rollout_reason": primary.get("rolloutStateReason", ""),
                "deployments": len(svc.get("deployments", [])),
                "deployment": primary.get("id", ""),  # the newest, for the release ledger
                "events": [e.get("message", "") for e in svc.get("events", [])[:3]],
            },
            tags=tags,
            state=f"{svc.get('runningCount', 0)}/{svc.get('desiredCount', 0)} running, "
            f"{primary.get('rolloutState', 'no rollout')}".lower(),
        )

    @staticmethod
    def unsettled(have: Observed) -> tuple[str, str] | None:
        """Whether the service's current rollout is not done: ("in progress" | "failed",
        what ECS says of it), or None when it is done. ECS's rolloutState of the PRIMARY
        deployment says so (set with the circuit breaker); without one, a service with
        more than one deployment, or fewer tasks running than wanted, is still rolling out.
        A rollback to another revision shows as the service running another task
        definition than the spec's: the plan updates it."""
        state = str(have.attrs.get("rollout") or "")
        reason = str(have.attrs.get("rollout_reason") or "")
        if state == "FAILED":
            return "failed", reason
        if state == "IN_PROGRESS":
            return "in progress", reason
        if not state and (
            int(have.attrs.get("deployments") or 0) > 1
            or int(have.attrs.get("running") or 0) < int(have.attrs.get("desired") or 0)
        ):
            return "in progress", reason
        return None

    def diff(self, want: ServiceProps, have: Observed) -> list[Change]:
        changes = super().diff(want, have)
        optional = {
            "circuit_breaker",
            "min_healthy",
            "max_percent",
            "grace_period",
            "service_connect",
        }
        optional |= set(ecs_strategy.FIELDS)
        changes = [c for c in changes if c.field not in optional - set(have.props)]
        wanted = want.as_mapping()
        if ecs_strategy.same_pair(wanted, have.props):
            changes = [c for c in changes if c.field not in ("load_balancers", "traffic")]
        if want.service_connect is None and have.props.get("service_connect") is not None:
            # turned off: an unset optional prop is not compared, so say it here
            changes.append(Change("service_connect", have.props["service_connect"], None))
        return changes + ecs_strategy.cleared(wanted, have.props)

    @staticmethod
    def _args(props: ServiceProps, clearing: bool = False) -> dict[str, Any]:
        args: dict[str, Any] = {
            "taskDefinition": props.task_definition,
            "networkConfiguration": {
                "awsvpcConfiguration": {
                    "subnets": sorted(props.subnets),
                    "securityGroups": sorted(props.security_groups),
                    "assignPublicIp": "ENABLED" if props.public_ip else "DISABLED",
                }
            },
            "deploymentConfiguration": {
                "deploymentCircuitBreaker": {
                    "enable": props.circuit_breaker,
                    "rollback": props.circuit_breaker,
                },
                "minimumHealthyPercent": props.min_healthy,
                "maximumPercent": props.max_percent,
                **ecs_strategy.deployment_args(props, clearing),
            },
            "enableExecuteCommand": bool(props.exec),
        }
        if props.desired_count is not None:
            args["desiredCount"] = props.desired_count
        if props.load_balancers:
            args["loadBalancers"] = [
                {"targetGroupArn": tg, "containerName": name, "containerPort": port}
                for tg, name, port in sorted(props.load_balancers)
            ]
            traffic = ecs_strategy.advanced(props.traffic)
            if traffic is not None:  # one load balancer: the service's target group
                args["loadBalancers"][0]["advancedConfiguration"] = traffic
            args["healthCheckGracePeriodSeconds"] = props.grace_period
        if props.service_connect is not None:
            args["serviceConnectConfiguration"] = connect_request(props.service_connect)
        return args

    def create(self, want: Desired, props: ServiceProps) -> Observed:
        args = {
            **self._args(props),
            "cluster": props.cluster,
            "serviceName": want.name,
            "launchType": props.launch_type,
            "propagateTags": "SERVICE",
            "enableECSManagedTags": True,
            "tags": ecs_tags(self.tags(want)),
        }
        args.setdefault("desiredCount", want.initial.get("desired_count", 1))
        # a create re-run after a crash returns the same service instead of failing; another
        # request (after `down`, or a service deleted by hand) gets another token
        args["clientToken"] = client_token(self.ctx.owner, want.key, args)[:36]

        def attempt() -> dict[str, Any]:
            out: dict[str, Any] = self.client("ecs").create_service(**args)["service"]
            return out

        svc = self._retry_propagation(attempt)
        if bool(svc.get("enableExecuteCommand", False)) != args["enableExecuteCommand"]:
            # emulators that ignore the flag on create (moto): set it as an update does
            svc = self.client("ecs").update_service(
                cluster=props.cluster,
                service=want.name,
                enableExecuteCommand=args["enableExecuteCommand"],
            )["service"]
        return self._observed(want.key, svc, self.tags(want))

    def _retry_propagation(self, attempt: Callable[[], T]) -> T:
        # Right after its roles and listener rule are created, AWS may still say it cannot
        # assume a role, or that the target group "does not have an associated load
        # balancer": retry those, bounded (see ecs_common).
        return retry_until_propagated(
            self.ctx,
            "ECS to see the new IAM roles and the target group's listener rule",
            ROLE_NOT_ASSUMABLE + TARGET_GROUP_NOT_ATTACHED,
            attempt,
        )

    def update(
        self, want: Desired, props: ServiceProps, have: Observed, changes: list[Change]
    ) -> Observed:
        fields = {c.field for c in changes}
        wanted = self._args(props, clearing=bool(fields & set(ecs_strategy.FIELDS)))
        args: dict[str, Any] = {"cluster": props.cluster, "service": have.name}
        mapping = {
            "task_definition": ["taskDefinition"],
            "desired_count": ["desiredCount"],
            "subnets": ["networkConfiguration"],
            "security_groups": ["networkConfiguration"],
            "public_ip": ["networkConfiguration"],
            "load_balancers": ["loadBalancers", "healthCheckGracePeriodSeconds"],
            "grace_period": ["healthCheckGracePeriodSeconds"],
            "circuit_breaker": ["deploymentConfiguration"],
            "min_healthy": ["deploymentConfiguration"],
            "max_percent": ["deploymentConfiguration"],
            "exec": ["enableExecuteCommand"],
            **{name: ["deploymentConfiguration"] for name in ecs_strategy.FIELDS},
            "traffic": ["loadBalancers"],
            "service_connect": ["serviceConnectConfiguration"],
        }
        for field in fields:
            for arg in mapping.get(field, []):
                if arg in wanted:
                    args[arg] = wanted[arg]
        if "service_connect" in fields and props.service_connect is None:
            args["serviceConnectConfiguration"] = connect_request(None)
        if "exec" in fields:
            # running tasks keep the old setting: only new tasks get (or lose) the agent
            args["forceNewDeployment"] = True
        svc = self._retry_propagation(lambda: self.client("ecs").update_service(**args)["service"])
        return self._observed(have.key, svc, have.tags)

    def delete(self, have: Observed) -> None:
        ecs = self.client("ecs")
        cluster = have.props.get("cluster") or cluster_name(self.ctx.owner)
        try:
            ecs.update_service(cluster=cluster, service=have.name, desiredCount=0)
            ecs.delete_service(cluster=cluster, service=have.name, force=True)
        except NotFound:
            return
        wait_for(
            self.ctx,
            f"ECS service {have.name} to drain and become inactive",
            lambda: self._gone(cluster, have.name),
            self.ctx.timing.resource_ready,
        )

    def _gone(self, cluster: str, name: str) -> bool | None:
        try:
            out = self.client("ecs").describe_services(cluster=cluster, services=[name])
        except NotFound:
            return True
        services = out.get("services", [])
        return True if not services or services[0].get("status") == "INACTIVE" else None
