"""spec -> the ECS layer of classic services: the cluster, a log group per service, and
per classic service its task definition, service and autoscaling. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ecsdeploy.desired.common import default_service
from ecsdeploy.desired.env import artifacts_used, env_value
from ecsdeploy.desired.load_balancer import main_listener
from ecsdeploy.desired.network import task_network
from ecsdeploy.desired.service_connect import connect_of, port_name
from ecsdeploy.images.artifacts import ArtifactRef
from ecsdeploy.images.refs import ImageRef
from ecsdeploy.resources import keys
from ecsdeploy.resources.base import Desired, Joined, Ref
from ecsdeploy.resources.ecs_cluster import ClusterProps
from ecsdeploy.resources.ecs_service import ServiceProps
from ecsdeploy.resources.ecs_task_definition import TaskDefinitionProps, container_health
from ecsdeploy.resources.log_group import LogGroupProps
from ecsdeploy.resources.scaling_policy import ScalingPolicyProps
from ecsdeploy.resources.scaling_target import ScalingTargetProps, resource_id
from ecsdeploy.spec.models import Service, Spec
from ecsdeploy.spec.naming import Owner
from ecsdeploy.spec.network_models import Network


def cluster(owner: Owner) -> Desired:
    """The app's ECS cluster, Container Insights on."""
    return Desired(
        "ecs.cluster",
        keys.CLUSTER,
        owner.prefix,
        ClusterProps(name=owner.prefix, insights="enabled"),
    )


def log_groups(spec: Spec, owner: Owner) -> list[Desired]:
    """A CloudWatch log group per service, classic or Express."""
    return [
        Desired(
            "logs.log_group",
            keys.log_group(name),
            owner.log_group(name),
            LogGroupProps(retention_days=spec.logs.retention_days),
        )
        for name in spec.services
    ]


def classic_services(
    spec: Spec,
    owner: Owner,
    net: Network,
    classic: Mapping[str, Service],
    images: Mapping[str, ImageRef],
    artifacts: Mapping[str, ArtifactRef],
) -> list[Desired]:
    """Per classic service: its task definition, its service and its autoscaling."""
    out: list[Desired] = []
    fallback = default_service(spec)
    main = main_listener(spec)
    for name, svc in classic.items():
        hc = svc.health_check
        out.append(
            Desired(
                "ecs.task_definition",
                keys.task_definition(name),
                owner.name(name),
                TaskDefinitionProps(
                    cpu=str(svc.cpu),
                    memory=str(svc.memory),
                    execution_role=Ref(keys.EXECUTION_ROLE, "arn"),
                    task_role=Ref(keys.task_role(name), "arn"),
                    container=name,
                    image=images[name].uri,
                    port=svc.port,
                    env={k: env_value(spec, v, artifacts) for k, v in sorted(svc.env.items())},
                    secrets=dict(sorted(svc.secrets.items())),
                    log_group=owner.log_group(name),
                    health=container_health(hc.command, hc.grace_period),
                    arch=svc.cpu_architecture,
                    port_name=port_name(spec, name),
                ),
                # awslogs needs the group to exist first; a built image must be pushed
                depends_on=(
                    keys.log_group(name),
                    *((keys.image(name),) if images[name].built else ()),
                    *(keys.artifact(a) for a in sorted(artifacts_used(svc, artifacts))),
                ),
            )
        )
        # ECS starts the tasks at once, and they pull their image and write their logs
        # through their subnets' routes (to the NAT or internet gateway) and the VPC
        # endpoints: those must be in place first, or the tasks fail to start
        depends: tuple[str, ...] = task_network(svc, net)
        load_balancers: frozenset[tuple[str | Ref, str, int]] = frozenset()
        grace_period = None
        if svc.route is not None:
            load_balancers = frozenset(
                {(Ref(keys.target_group(name), "arn"), name, svc.listening_port)}
            )
            grace_period = hc.grace_period
            # AWS refuses a target group that no listener or rule forwards to yet
            depends += (main,) if name == fallback else (keys.listener_rule(name),)
        initial: dict[str, Any] = {}
        if svc.autoscaling is not None:
            initial["desired_count"] = svc.desired_count
        props = ServiceProps(
            cluster=Ref(keys.CLUSTER, "arn"),
            launch_type="FARGATE",
            task_definition=Ref(keys.task_definition(name), "arn"),
            subnets=frozenset(Ref(keys.subnet(svc.subnets, i)) for i in range(net.azs)),
            security_groups=frozenset({Ref(keys.service_group(name))}),
            public_ip=svc.subnets == "public",
            load_balancers=load_balancers,
            grace_period=grace_period,
            circuit_breaker=True,
            min_healthy=100,
            max_percent=200,
            exec=svc.exec,
            # absent when autoscaling owns the count
            desired_count=svc.desired_count if svc.autoscaling is None else None,
            service_connect=connect_of(spec, name),
        )
        out.append(
            Desired("ecs.service", keys.ecs_service(name), name, props, depends, initial=initial)
        )
        if svc.autoscaling is not None:
            out += _scaling(owner, name, svc)
    return out


def _scaling(owner: Owner, name: str, svc: Service) -> list[Desired]:
    auto = svc.autoscaling
    assert auto is not None
    rid = resource_id(owner.prefix, name)
    out = [
        Desired(
            "autoscaling.target",
            keys.scaling_target(name),
            rid,
            ScalingTargetProps(resource_id=rid, min=auto.min, max=auto.max),
            depends_on=(keys.ecs_service(name),),
        )
    ]
    targets = {"cpu": auto.cpu, "memory": auto.memory, "requests": auto.requests}
    metrics = {
        "cpu": "ECSServiceAverageCPUUtilization",
        "memory": "ECSServiceAverageMemoryUtilization",
        "requests": "ALBRequestCountPerTarget",
    }
    for metric, value in targets.items():
        if value is None:
            continue
        label: Joined | None = None
        if metric == "requests":
            label = Joined(
                (
                    Ref(keys.LOAD_BALANCER, "full_name"),
                    "/",
                    Ref(keys.target_group(name), "full_name"),
                )
            )
        out.append(
            Desired(
                "autoscaling.policy",
                keys.scaling_policy(name, metric),
                owner.name(name, metric),
                ScalingPolicyProps(
                    resource_id=rid,
                    policy_name=owner.name(name, metric),
                    metric=metrics[metric],
                    resource_label=label,
                    target=float(value),
                ),
                depends_on=(keys.scaling_target(name),),
                # Application Auto Scaling checks the target group's load balancer behind
                # a request-count label; whether it accepts one still provisioning is not
                # documented, so that policy waits for it to be active
                needs_ready=(keys.LOAD_BALANCER,) if metric == "requests" else (),
            )
        )
    return out
