"""spec -> Express Mode services: one resource each, for which AWS provisions the load
balancer, URL and scaling. Pure."""

from __future__ import annotations

from collections.abc import Mapping

from ecsdeploy.desired.env import artifacts_used, env_value
from ecsdeploy.images.artifacts import ArtifactRef
from ecsdeploy.images.refs import ImageRef
from ecsdeploy.resources import keys
from ecsdeploy.resources.base import Desired, Ref
from ecsdeploy.resources.express_service import ExpressServiceProps, Scaling
from ecsdeploy.spec.models import Service, Spec
from ecsdeploy.spec.naming import Owner
from ecsdeploy.spec.network_models import Network

EXPRESS_METRICS = {
    "cpu": "AVERAGE_CPU",
    "memory": "AVERAGE_MEMORY",
    "requests": "REQUEST_COUNT_PER_TARGET",
}


def express_services(
    spec: Spec,
    owner: Owner,
    net: Network | None,
    express: Mapping[str, Service],
    images: Mapping[str, ImageRef],
    artifacts: Mapping[str, ArtifactRef],
) -> list[Desired]:
    """Express Mode services: AWS provisions their load balancer, URL and scaling."""
    out: list[Desired] = []
    for name, svc in express.items():
        auto = svc.autoscaling
        scaling: Scaling | None = None
        if auto is not None:
            metric, target = next(
                (m, v) for m, v in (("cpu", auto.cpu), ("memory", auto.memory),
                                    ("requests", auto.requests)) if v is not None
            )  # fmt: skip
            scaling = {
                "metric": EXPRESS_METRICS[metric],
                "target": target,
                "min": auto.min,
                "max": auto.max,
            }
        out.append(
            Desired(
                "ecs.express_service",
                keys.express_service(name),
                name,
                ExpressServiceProps(
                    cluster=owner.prefix,
                    execution_role=Ref(keys.EXECUTION_ROLE, "arn"),
                    infrastructure_role=Ref(keys.INFRASTRUCTURE_ROLE, "arn"),
                    task_role=Ref(keys.task_role(name), "arn"),
                    image=images[name].uri,
                    port=svc.listening_port,
                    cpu=str(svc.cpu),
                    memory=str(svc.memory),
                    arch=svc.cpu_architecture,
                    health_path=svc.health_check.path,
                    env={k: env_value(spec, v, artifacts) for k, v in sorted(svc.env.items())},
                    secrets=dict(sorted(svc.secrets.items())),
                    log_group=owner.log_group(name),
                    # no network block: the account's default VPC, as Express Mode does
                    subnets=(
                        frozenset(Ref(keys.subnet("public", i)) for i in range(net.azs))
                        if net
                        else None
                    ),
                    security_groups=frozenset({Ref(keys.service_group(name))}) if net else None,
                    scaling=scaling,
                ),
                depends_on=(
                    keys.CLUSTER,
                    keys.log_group(name),
                    *((keys.image(name),) if images[name].built else ()),
                    *(keys.artifact(a) for a in sorted(artifacts_used(svc, artifacts))),
                ),
            )
        )
    return out
