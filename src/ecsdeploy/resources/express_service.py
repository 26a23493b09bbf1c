"""ECS Express Mode services: one API call gives a Fargate service with an HTTPS URL.

AWS provisions and owns the load balancer, listener rule, target group, certificate,
security groups and autoscaling of an Express service; ecsdeploy gives it the image, the
roles, the sizes and (optionally) the network, and reads back the URL. An Express service is
also an ordinary ECS service of the app's cluster, so ``observe`` finds candidates with
ListServices and asks DescribeExpressGatewayService about each.

AWS quirks handled here:

* ``ListServices`` is eventually consistent: a service created a moment ago may be missing,
  so the ARN of each wanted name is also built and described directly.
* An IAM role created seconds earlier may not yet be assumable by ECS; the create answers
  an error saying so ("ECS was unable to assume the configured ECS Infrastructure Role ...",
  or AccessDeniedException "Cannot assume role ..."). Only that error is retried, bounded
  by ``Timing.iam_propagation``.
* The status of an Express service is only ACTIVE / DRAINING / INACTIVE: ACTIVE comes at
  once, the URL and the rollout later. Ready = ACTIVE, a URL, and the service's current
  deployment (DescribeServiceDeployments) SUCCESSFUL for the revision we asked for.
* What the spec leaves to AWS (the default VPC's subnets, the security groups Express
  creates, its default scaling) is reported back filled in; that is not drift.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, TypedDict, TypeVar

from ecsdeploy.aws.errors import AwsError, InvalidRequest, NotFound
from ecsdeploy.resources import keys
from ecsdeploy.resources.base import (
    Change,
    Desired,
    Handler,
    Joined,
    Observed,
    Props,
    Ref,
    owned_key,
)
from ecsdeploy.resources.describe import Line, Names, container
from ecsdeploy.resources.ecs_common import (
    ROLE_NOT_ASSUMABLE,
    cluster_name,
    describe_services,
    ecs_tags,
    retry_until_propagated,
)
from ecsdeploy.resources.waiting import wait_for
from ecsdeploy.spec.naming import TAG_KEY, tags_to_dict

T = TypeVar("T")

# A deployment in one of these states will not bring up the revision that was asked for.
DEPLOYMENT_FAILED = frozenset(
    {"STOPPED", "STOP_REQUESTED", "ROLLBACK_REQUESTED", "ROLLBACK_IN_PROGRESS",
     "ROLLBACK_SUCCESSFUL", "ROLLBACK_FAILED"}
)  # fmt: skip
# Props that, left as None, mean "let AWS choose": AWS then reports what it chose.
LEFT_TO_AWS = frozenset({"subnets", "security_groups", "scaling", "log_group"})
CONTAINER_FIELDS = frozenset({"image", "port", "env", "secrets", "log_group"})


class ExpressServiceFailed(AwsError):
    """The service went inactive, or its deployment stopped or rolled back."""


class Scaling(TypedDict):
    """An Express Mode service's autoscaling."""

    metric: str  # AVERAGE_CPU | AVERAGE_MEMORY | REQUEST_COUNT_PER_TARGET
    target: float
    min: int
    max: int


@dataclass(frozen=True, kw_only=True)
class ExpressServiceProps(Props):
    """None (for the fields of ``LEFT_TO_AWS``): let AWS choose."""

    cluster: str  # a name or an ARN
    execution_role: str | Ref  # ARNs
    infrastructure_role: str | Ref
    task_role: str | Ref | None
    image: str
    port: int
    cpu: str
    memory: str
    health_path: str
    env: Mapping[str, str | Joined]
    secrets: Mapping[str, str]  # name -> parameter or secret ARN
    log_group: str | None
    subnets: frozenset[str | Ref] | None  # None: the account's default VPC
    security_groups: frozenset[str | Ref] | None
    scaling: Scaling | None
    arch: str = "X86_64"  # cpuArchitecture: X86_64 or ARM64


class ExpressServiceHandler(Handler[ExpressServiceProps]):
    kind: ClassVar[str] = "ecs.express_service"
    props_class: ClassVar[type[Props]] = ExpressServiceProps
    label: ClassVar[str] = "ECS Express Mode service"
    delete_note: ClassVar[str] = "stops its tasks and its URL"
    layer: ClassVar[str] = "services"
    rank: ClassVar[int] = 8
    services: ClassVar[tuple[str, ...]] = ("ecs",)
    # The infrastructure role "cannot be modified after service creation" (API reference of
    # UpdateExpressGatewayService): a new one needs a new service.
    replace_on: ClassVar[frozenset[str]] = frozenset({"cluster", "infrastructure_role"})
    downtime: ClassVar[str] = "its tasks and URL go before the new service starts"

    # --- reading -----------------------------------------------------------------------
    @classmethod
    def describe(cls, props: ExpressServiceProps, names: Names) -> list[Line]:
        lines = container(props, names)
        lines.append(("health check", f"GET {props.health_path}"))
        scaling = props.scaling
        if scaling:
            lines.append(
                ("scaling", f"{scaling['min']}-{scaling['max']} tasks at {scaling['metric']} "
                            f"{scaling['target']}")
            )  # fmt: skip
        return lines

    def observe(self, wants: Sequence[Desired]) -> list[Observed]:
        cluster = cluster_name(self.ctx.owner)
        wanted = {w.name: w for w in wants}
        arns = self._express_candidates(cluster, set(wanted))
        listed = {arn.rsplit("/", 1)[-1] for arn in arns}
        missing = [name for name in wanted if name not in listed]
        if missing:
            base = self._service_arn_base(arns, cluster)
            arns += [f"{base}{name}" for name in missing] if base else []
        found: list[Observed] = []
        for arn in arns:
            try:
                svc = self._describe(arn, tags=True)
            except (NotFound, InvalidRequest):
                # not an Express service (a classic one answers an error), or gone
                continue
            if svc.get("status", {}).get("statusCode") != "ACTIVE":
                continue  # DRAINING / INACTIVE: on its way out
            tags = tags_to_dict(svc.get("tags"))
            key = owned_key(self.ctx.owner, tags)
            if key is None:
                found += self.taken(wanted, svc.get("serviceName", ""), arn, tags)
                continue
            found.append(self._observed(key, svc, tags))
        return found

    def _express_candidates(self, cluster: str, wanted: set[str]) -> list[str]:
        """The services that may be Express ones, so that no classic service is asked about
        with DescribeExpressGatewayService: DescribeServices shows every ECS service with
        its tags, and ecsdeploy keys its Express services ``express/NAME``. A service it
        cannot describe (an emulator that does not know Express services) stays a
        candidate."""
        arns, described = describe_services(self.client("ecs"), cluster, self.ctx.reads)
        classic = {
            svc["serviceArn"]
            for svc in described
            if not keys.is_express_service(tags_to_dict(svc.get("tags")).get(TAG_KEY, ""))
            and svc.get("serviceName") not in wanted
        }
        return [arn for arn in arns if arn not in classic]

    def _service_arn_base(self, arns: list[str], cluster: str) -> str | None:
        """``arn:...:service/<cluster>/``, from a listed ARN or else the cluster's ARN."""
        if arns:
            return arns[0].rsplit("/", 1)[0] + "/"
        try:
            out = self.client("ecs").describe_clusters(clusters=[cluster])
        except NotFound:
            return None
        for found in out.get("clusters", []):
            arn = str(found.get("clusterArn", ""))
            if ":cluster/" in arn:
                return arn.replace(":cluster/", ":service/", 1) + "/"
        return None

    def _describe(self, arn: str, tags: bool = False) -> dict[str, Any]:
        args: dict[str, Any] = {"serviceArn": arn}
        if tags:
            args["include"] = ["TAGS"]
        svc: dict[str, Any] = self.client("ecs").describe_express_gateway_service(**args)["service"]
        return svc

    def _observed(self, key: str, svc: dict[str, Any], tags: dict[str, str]) -> Observed:
        return Observed(
            kind=self.kind,
            key=key,
            id=svc["serviceArn"],
            name=svc.get("serviceName", ""),
            props=_props(svc),
            attrs={"arn": svc["serviceArn"], "url": _url(svc)},
            tags=tags,
            state=str(svc.get("status", {}).get("statusCode", "")).lower(),
        )

    def diff(self, want: ExpressServiceProps, have: Observed) -> list[Change]:
        fields = want.as_mapping()
        if isinstance(fields.get("cluster"), str):
            fields["cluster"] = _short_cluster(fields["cluster"])  # a name or an ARN
        return [
            c
            for c in self.compare(fields, have)
            if not (c.after is None and c.field in LEFT_TO_AWS)
        ]

    # --- acting ------------------------------------------------------------------------
    def create(self, want: Desired, props: ExpressServiceProps) -> Observed:
        args: dict[str, Any] = {
            "serviceName": want.name,
            "cluster": props.cluster,
            "executionRoleArn": props.execution_role,
            "infrastructureRoleArn": props.infrastructure_role,
            "healthCheckPath": props.health_path,
            "primaryContainer": _container(props),
            "cpu": props.cpu,
            "memory": props.memory,
            "cpuArchitecture": props.arch,
            "tags": ecs_tags(self.tags(want)),
        }
        if props.task_role:
            args["taskRoleArn"] = props.task_role
        network = _network(props)
        if network is not None:  # None: the account's default VPC, as Express Mode does
            args["networkConfiguration"] = network
        if props.scaling:
            args["scalingTarget"] = _scaling(props.scaling)
        ecs = self.client("ecs")
        svc: dict[str, Any] = self._retry_role(
            lambda: ecs.create_express_gateway_service(**args)["service"]
        )
        configs = svc.get("activeConfigurations") or [{}]
        target = configs[0].get("serviceRevisionArn")
        ready = self._wait_ready(svc["serviceArn"], want.name, target)
        return self._observed(want.key, ready, self.tags(want))

    def update(
        self, want: Desired, props: ExpressServiceProps, have: Observed, changes: list[Change]
    ) -> Observed:
        fields = {c.field for c in changes}
        args: dict[str, Any] = {"serviceArn": have.id}
        if "execution_role" in fields:
            args["executionRoleArn"] = props.execution_role
        if "task_role" in fields and props.task_role:
            args["taskRoleArn"] = props.task_role
        if "health_path" in fields:
            args["healthCheckPath"] = props.health_path
        if fields & CONTAINER_FIELDS:
            # the container is one structure (image required): sent whole
            args["primaryContainer"] = _container(props)
        if fields & {"cpu", "memory"}:
            # Fargate accepts only some cpu/memory pairs: send the pair
            args["cpu"], args["memory"] = props.cpu, props.memory
        if "arch" in fields:
            args["cpuArchitecture"] = props.arch
        network = _network(props)
        if fields & {"subnets", "security_groups"} and network is not None:
            args["networkConfiguration"] = network
        if "scaling" in fields and props.scaling:
            args["scalingTarget"] = _scaling(props.scaling)
        if len(args) == 1:
            return have  # nothing the API can change in place
        ecs = self.client("ecs")
        out: dict[str, Any] = self._retry_role(
            lambda: ecs.update_express_gateway_service(**args)["service"]
        )
        target = out.get("targetConfiguration", {}).get("serviceRevisionArn")
        ready = self._wait_ready(have.id, have.name, target)
        return self._observed(have.key, ready, have.tags)

    def delete(self, have: Observed) -> None:
        try:
            self.client("ecs").delete_express_gateway_service(serviceArn=have.id)
        except NotFound:
            return
        except InvalidRequest as exc:
            # ServiceNotActiveException: already DRAINING or INACTIVE, i.e. being deleted
            if exc.code != "ServiceNotActiveException":
                raise
        wait_for(
            self.ctx,
            f"Express service {have.name} to drain and become inactive",
            lambda: self._gone(have.id),
            self.ctx.timing.resource_ready,
        )

    # --- helpers -----------------------------------------------------------------------
    def _retry_role(self, call: Callable[[], T]) -> T:
        """``call``, retried while AWS says a role cannot be assumed (IAM propagation)."""
        return retry_until_propagated(
            self.ctx, "the new IAM roles to become assumable by ECS", ROLE_NOT_ASSUMABLE, call
        )

    def _wait_ready(self, arn: str, name: str, target: str | None) -> dict[str, Any]:
        """Wait until the service is ACTIVE with a URL and revision ``target`` rolled out."""

        def probe() -> dict[str, Any] | None:
            try:
                svc = self._describe(arn)
            except NotFound:
                return None  # created a moment ago: not readable everywhere yet
            status = svc.get("status", {})
            code = status.get("statusCode")
            if code != "ACTIVE":
                raise ExpressServiceFailed(
                    f"Express service {name} is {code}: {status.get('statusReason', '')}",
                    code=str(code),
                )
            if not _url(svc):
                return None
            return svc if self._rolled_out(svc, name, target) else None

        return wait_for(
            self.ctx,
            f"Express service {name} to be ACTIVE with a URL and its deployment done",
            probe,
            self.ctx.timing.resource_ready,
        )

    def _rolled_out(self, svc: dict[str, Any], name: str, target: str | None) -> bool:
        deployment_arn = svc.get("currentDeployment")
        if not deployment_arn:
            # no deployment to ask about: done when only the wanted revision is active
            configs = svc.get("activeConfigurations", [])
            return len(configs) == 1 and target in (None, configs[0].get("serviceRevisionArn"))
        out = self.client("ecs").describe_service_deployments(
            serviceDeploymentArns=[deployment_arn]
        )
        deployments = out.get("serviceDeployments", [])
        if not deployments:
            return False
        deployment = deployments[0]
        revision = deployment.get("targetServiceRevision", {}).get("arn")
        if target is not None and revision != target:
            return False  # the deployment of this change is not the current one yet
        state = deployment.get("status", "")
        if state in DEPLOYMENT_FAILED:
            raise ExpressServiceFailed(
                f"the deployment of Express service {name} ended {state}: "
                f"{deployment.get('statusReason', 'no reason given')}",
                code=state,
                operation="DescribeServiceDeployments",
            )
        return bool(state == "SUCCESSFUL")

    def _gone(self, arn: str) -> bool | None:
        try:
            svc = self._describe(arn)
        except NotFound:
            return True
        except InvalidRequest as exc:
            if "INACTIVE" in exc.message:  # ServiceNotActiveException on an inactive service
                return True
            raise
        return True if svc.get("status", {}).get("statusCode") == "INACTIVE" else None


def _container(props: ExpressServiceProps) -> dict[str, Any]:
    container: dict[str, Any] = {
        "image": props.image,
        "containerPort": props.port,
        # sent even when empty, so that an update clears what the spec no longer has
        "environment": [{"name": k, "value": v} for k, v in sorted(props.env.items())],
        "secrets": [{"name": k, "valueFrom": v} for k, v in sorted(props.secrets.items())],
    }
    if props.log_group:
        container["awsLogsConfiguration"] = {
            "logGroup": props.log_group,
            "logStreamPrefix": "ecs",
        }
    return container


def _network(props: ExpressServiceProps) -> dict[str, Any] | None:
    if props.subnets is None:
        return None
    network: dict[str, Any] = {"subnets": sorted(props.subnets)}
    if props.security_groups is not None:
        network["securityGroups"] = sorted(props.security_groups)
    return network


def _scaling(scaling: Scaling) -> dict[str, Any]:
    return {
        "autoScalingMetric": scaling["metric"],
        "autoScalingTargetValue": scaling["target"],
        "minTaskCount": scaling["min"],
        "maxTaskCount": scaling["max"],
    }


def _short_cluster(cluster: str) -> str:
    """The cluster name, from a name or an ARN (DescribeExpressGatewayService gives either)."""
    return cluster.rsplit("/", 1)[-1] if cluster.startswith("arn:") else cluster


def _configuration(svc: Mapping[str, Any]) -> dict[str, Any]:
    """The newest active configuration: during a rollout, the one being rolled out."""
    configs: list[dict[str, Any]] = list(svc.get("activeConfigurations") or [])
    if not configs:
        return {}
    if all("createdAt" in c for c in configs):
        return max(configs, key=lambda c: c["createdAt"])
    return configs[-1]


def _url(svc: Mapping[str, Any]) -> str:
    """``https://`` + the PUBLIC ingress endpoint of the service (AWS gives a bare host)."""
    paths = _configuration(svc).get("ingressPaths", [])
    public = [p for p in paths if p.get("accessType") == "PUBLIC"] or paths
    endpoint = str(public[0].get("endpoint", "")) if public else ""
    if not endpoint or endpoint.startswith(("https://", "http://")):
        return endpoint
    return f"https://{endpoint}"


def _props(svc: Mapping[str, Any]) -> dict[str, Any]:
    config = _configuration(svc)
    container = config.get("primaryContainer", {})
    network = config.get("networkConfiguration")
    scaling = config.get("scalingTarget")
    return {
        "cluster": _short_cluster(str(svc.get("cluster", ""))),
        "execution_role": config.get("executionRoleArn"),
        "infrastructure_role": svc.get("infrastructureRoleArn"),
        "task_role": config.get("taskRoleArn"),
        "image": container.get("image"),
        "port": container.get("containerPort"),
        "cpu": config.get("cpu"),
        "memory": config.get("memory"),
        "arch": config.get("cpuArchitecture", "X86_64"),
        "health_path": config.get("healthCheckPath"),
        "env": {
            e["name"]: e.get("value", "") for e in container.get("environment", []) if "name" in e
        },
        "secrets": {s["name"]: s["valueFrom"] for s in container.get("secrets", [])},
        "log_group": container.get("awsLogsConfiguration", {}).get("logGroup"),
        "subnets": frozenset(network.get("subnets", [])) if network else None,
        "security_groups": frozenset(network.get("securityGroups", [])) if network else None,
        "scaling": {
            "metric": scaling.get("autoScalingMetric"),
            "target": scaling.get("autoScalingTargetValue"),
            "min": scaling.get("minTaskCount"),
            "max": scaling.get("maxTaskCount"),
        }
        if scaling
        else None,
    }
