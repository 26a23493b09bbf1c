"""A faithful stand-in for the ECS Express Mode API, which moto (5.2.5) does not implement.

It lives on a botocore ECS client's event system, next to moto:

* ``before-parameter-build.ecs.<Op>``: the request is checked against botocore's model of
  the operation (unknown names, wrong types, missing required members raise
  ParamValidationError, as botocore does), even on a client with parameter validation off;
* ``before-call.ecs.<Op>``: the call is answered from memory. Every response is checked
  against the operation's output shape, and every error code against the errors the model
  lists for the operation, so the fake cannot drift from the API;
* ``after-call.ecs.ListServices``: moto's answer gains the fake's services of the same
  cluster (an Express service is an ordinary service of its cluster).

Answered: Create/Describe/Update/DeleteExpressGatewayService and DescribeServiceDeployments
(moto has none of them). The cluster, IAM roles, subnets and security groups are looked
up in moto, so a missing cluster or role fails as it would on AWS.

Time passes on ``clock`` (the tests' FakeClock, which the waits of the code under test
advance) plus ``advance()``:

* create: ACTIVE at once (the API has no "creating" status); the URL appears after
  ``endpoint_after`` s; the deployment goes PENDING -> IN_PROGRESS -> SUCCESSFUL in
  ``deploy_for`` s;
* update: a new revision; old and new are both active during the rollout, then only the
  new one (or, for a deployment told to fail, the old one again: ROLLBACK_SUCCESSFUL);
* delete: DRAINING for ``drain_for`` s, then INACTIVE.

Knobs: ``role_failures`` (the next K creates fail as if the infrastructure role were not
assumable yet, IAM propagation), ``rollbacks`` (the next K deployments roll back),
``listed`` (False: ListServices lags and does not show the services).
``calls`` counts the calls per operation; ``rejected`` lists the requests refused by the
model check.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, ClassVar

import boto3
from botocore.exceptions import ClientError, ParamValidationError
from botocore.validate import ParamValidator

OPERATIONS = (
    "CreateExpressGatewayService",
    "DescribeExpressGatewayService",
    "UpdateExpressGatewayService",
    "DeleteExpressGatewayService",
    "DescribeServiceDeployments",
)
# What AWS says when ECS cannot assume the infrastructure role (same wording as for the
# infrastructure role of EBS volumes on CreateService).
ROLE_ERROR = (
    "InvalidParameterException",
    "ECS was unable to assume the configured ECS Infrastructure Role '{role}'. Please verify "
    "that the role being passed has the proper trust relationship with Amazon ECS.",
)
# Fargate's cpu -> allowed memory (MiB)
FARGATE = {
    256: [512, 1024, 2048],
    512: list(range(1024, 4097, 1024)),
    1024: list(range(2048, 8193, 1024)),
    2048: list(range(4096, 16385, 1024)),
    4096: list(range(8192, 30721, 1024)),
    8192: list(range(16384, 61441, 4096)),
    16384: list(range(32768, 122881, 8192)),
}
EPOCH = datetime(2026, 1, 1, tzinfo=timezone.utc)
_CTX = "express_fake_params"


class Fault(Exception):
    """An AWS error answer: code and message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass
class _Http:
    status_code: int = 200
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class _Deployment:
    arn: str
    service: _Service
    target: dict[str, Any]  # configuration (without ingressPaths)
    source: dict[str, Any] | None
    started: float
    rollback: bool
    status: str = "PENDING"
    reason: str = ""
    finished: float | None = None


@dataclass
class _Service:
    arn: str
    name: str
    cluster_arn: str
    infrastructure_role: str
    tags: list[dict[str, str]]
    created: float
    host: str
    active: list[dict[str, Any]]  # active configurations (without ingressPaths)
    latest: dict[str, Any]  # what the next update starts from
    deployment: _Deployment | None = None
    deleted: float | None = None
    updated: float = 0.0


class ModelChecked:
    """Answers some operations of a botocore client from memory: each request is checked
    against botocore's model of its operation (ParamValidationError, as botocore raises),
    each response against the output shape, each error code against the errors the model
    lists. A subclass names its answers in ``handlers`` and keeps ``calls``, ``requests``
    and ``rejected``."""

    params_key: ClassVar[str]  # where a checked request waits in botocore's call context
    calls: Counter[str]
    requests: list[tuple[str, dict[str, Any]]]
    rejected: list[str]

    def handlers(self) -> Mapping[str, Callable[[dict[str, Any]], dict[str, Any]]]:
        raise NotImplementedError

    def _check_request(self, params: dict[str, Any], model: Any, context: Any, **_: Any) -> None:
        report = ParamValidator().validate(params, model.input_shape)
        if report.has_errors():
            self.rejected.append(f"{model.name}: {report.generate_report()}")
            raise ParamValidationError(report=report.generate_report())
        context[self.params_key] = copy.deepcopy(params)

    def _answer(self, model: Any, context: Any, **_: Any) -> tuple[_Http, dict[str, Any]]:
        op = model.name
        params: dict[str, Any] = context[self.params_key]
        self.calls[op] += 1
        self.requests.append((op, params))
        try:
            body = self.handlers()[op](params)
        except Fault as fault:
            errors = {shape.name for shape in model.error_shapes}
            assert fault.code in errors, (
                f"{op} cannot answer {fault.code}; the model lists {errors}"
            )
            return _Http(400), {
                "Error": {"Code": fault.code, "Message": fault.message},
                "ResponseMetadata": {"HTTPStatusCode": 400},
            }
        check_output(model, body)
        return _Http(200), {**body, "ResponseMetadata": {"HTTPStatusCode": 200}}


class ExpressFake(ModelChecked):
    params_key: ClassVar[str] = _CTX

    def __init__(
        self,
        region: str = "us-west-2",
        clock: Callable[[], float] | None = None,
        endpoint_after: float = 20.0,
        deploy_for: float = 90.0,
        drain_for: float = 45.0,
        role_failures: int = 0,
        role_error: tuple[str, str] = ROLE_ERROR,
    ) -> None:
        self.region = region
        self.clock = clock or (lambda: 0.0)
        self.offset = 0.0
        self.endpoint_after = endpoint_after
        self.deploy_for = deploy_for
        self.drain_for = drain_for
        self.role_failures = role_failures
        self.role_error = role_error
        self.rollbacks = 0
        self.listed = True  # False: ListServices does not show the services yet (lag)
        self.calls: Counter[str] = Counter()
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.rejected: list[str] = []
        self.services: dict[str, _Service] = {}
        self.deployments: dict[str, _Deployment] = {}
        self._ids = itertools.count(1)
        self._model: Any = None
        # moto, asked directly (not through the client under test, whose calls are counted)
        self._ecs = boto3.client("ecs", region_name=region)
        self._iam = boto3.client("iam", region_name=region)
        self._ec2 = boto3.client("ec2", region_name=region)

    # --- wiring ------------------------------------------------------------------------
    def install(self, raw_client: Any) -> ExpressFake:
        """Answer the Express calls of ``raw_client`` (a boto3 ECS client)."""
        self._model = raw_client.meta.service_model
        events = raw_client.meta.events
        for op in (*OPERATIONS, "ListServices"):
            events.register(f"before-parameter-build.ecs.{op}", self._check_request)
        for op in OPERATIONS:
            events.register(f"before-call.ecs.{op}", self._answer)
        events.register("after-call.ecs.ListServices", self._add_to_list)
        return self

    def advance(self, seconds: float) -> None:
        self.offset += seconds

    def now(self) -> float:
        return self.clock() + self.offset

    def handlers(self) -> Mapping[str, Callable[[dict[str, Any]], dict[str, Any]]]:
        return {
            "CreateExpressGatewayService": self._create,
            "DescribeExpressGatewayService": self._describe,
            "UpdateExpressGatewayService": self._update,
            "DeleteExpressGatewayService": self._delete,
            "DescribeServiceDeployments": self._describe_deployments,
        }

    def _add_to_list(self, parsed: dict[str, Any], context: Any, **_: Any) -> None:
        if "Error" in parsed or parsed.get("nextToken") or not self.listed:
            return  # failed, not the last page, or lagging
        cluster = _short(context.get(_CTX, {}).get("cluster", "default"))
        self.calls["ListServices"] += 1
        arns = parsed.setdefault("serviceArns", [])
        for svc in self.services.values():
            # ListServices lists ACTIVE and DRAINING services, not INACTIVE ones
            listed = _short(svc.cluster_arn) == cluster and self._status(svc) != "INACTIVE"
            if listed and svc.arn not in arns:
                arns.append(svc.arn)

    # --- operations --------------------------------------------------------------------
    def _create(self, p: dict[str, Any]) -> dict[str, Any]:
        cluster_arn = self._cluster_arn(p.get("cluster", "default"))
        if "taskDefinitionArn" in p:
            clash = {"primaryContainer", "executionRoleArn", "taskRoleArn", "cpu", "memory"} & set(
                p
            )
            if clash:
                raise Fault(
                    "InvalidParameterException",
                    "If you provide a task definition ARN, you cannot also specify "
                    f"{', '.join(sorted(clash))}.",
                )
        else:
            for member in ("primaryContainer", "executionRoleArn"):
                if member not in p:
                    raise Fault(
                        "InvalidParameterException",
                        f"{member} is required when taskDefinitionArn is not specified.",
                    )
        account, partition = cluster_arn.split(":")[4], cluster_arn.split(":")[1]
        name = p.get("serviceName") or f"express-{next(self._ids):06d}"
        cluster = _short(cluster_arn)
        arn = f"arn:{partition}:ecs:{self.region}:{account}:service/{cluster}/{name}"
        live = self.services.get(arn)
        if (live is not None and self._status(live) != "INACTIVE") or self._moto_has(cluster, name):
            raise Fault("InvalidParameterException", "Creation of service was not idempotent.")
        if len(p.get("tags", [])) > 50:
            raise Fault("InvalidParameterException", "Too many tags: at most 50.")
        if any(t.get("key", "").lower().startswith("aws:") for t in p.get("tags", [])):
            raise Fault("InvalidParameterException", "Tag keys may not begin with 'aws:'.")
        config = self._configuration(p, None, cluster, name)
        role = p["infrastructureRoleArn"]
        if self.role_failures > 0 or not self._role_exists(role):
            # IAM propagation: a new role is not assumable by ECS for a few seconds
            self.role_failures = max(0, self.role_failures - 1)
            raise Fault(self.role_error[0], self.role_error[1].format(role=role))
        now = self.now()
        host = (
            f"{name[:2]}-{hashlib.sha256(arn.encode()).hexdigest()[:32]}.ecs.{self.region}.on.aws"
        )
        svc = _Service(
            arn=arn,
            name=name,
            cluster_arn=cluster_arn,
            infrastructure_role=role,
            tags=copy.deepcopy(p.get("tags", [])),
            created=now,
            host=host,
            active=[config],
            latest=config,
            updated=now,
        )
        self.services[arn] = svc
        self._deploy(svc, config, None)
        return {"service": self._render(svc, tags=True)}

    def _describe(self, p: dict[str, Any]) -> dict[str, Any]:
        svc = self.services.get(p["serviceArn"])
        if svc is None:
            if self._moto_has(*_cluster_and_name(p["serviceArn"])):
                raise Fault("InvalidParameterException", "The service is not an Express service.")
            raise Fault("ResourceNotFoundException", "Resource not found.")
        return {"service": self._render(svc, tags="TAGS" in p.get("include", []))}

    def _update(self, p: dict[str, Any]) -> dict[str, Any]:
        svc = self._live(p["serviceArn"])
        if "taskDefinitionArn" in p and {"primaryContainer", "cpu", "memory"} & set(p):
            raise Fault(
                "InvalidParameterException",
                "If you provide a task definition ARN, you cannot also specify "
                "primaryContainer, cpu or memory.",
            )
        config = self._configuration(p, svc.latest, _short(svc.cluster_arn), svc.name)
        svc.updated = self.now()
        self._deploy(svc, config, svc.active[-1] if svc.active else None)
        return {
            "service": {
                "serviceArn": svc.arn,
                "cluster": svc.cluster_arn,
                "serviceName": svc.name,
                "status": {"statusCode": self._status(svc)},
                "targetConfiguration": self._render_config(svc, config),
                "createdAt": _at(svc.created),
                "updatedAt": _at(svc.updated),
            }
        }

    def _delete(self, p: dict[str, Any]) -> dict[str, Any]:
        svc = self._live(p["serviceArn"])
        svc.deleted = svc.updated = self.now()
        return {"service": self._render(svc, tags=True)}

    def _describe_deployments(self, p: dict[str, Any]) -> dict[str, Any]:
        found, failures = [], []
        for arn in p["serviceDeploymentArns"]:
            deployment = self.deployments.get(arn)
            if deployment is None:
                failures.append({"arn": arn, "reason": "MISSING"})
                continue
            self._settle(deployment.service)
            found.append(self._render_deployment(deployment))
        return {"serviceDeployments": found, "failures": failures}

    # --- state -------------------------------------------------------------------------
    def _configuration(
        self, p: dict[str, Any], base: dict[str, Any] | None, cluster: str, name: str
    ) -> dict[str, Any]:
        """The configuration a create (base None) or update (base = the latest) asks for."""
        n = next(self._ids)
        config: dict[str, Any] = (
            copy.deepcopy(base)
            if base
            else {
                "cpu": "256",
                "memory": "512",
                "cpuArchitecture": "X86_64",
                "healthCheckPath": "/ping",
                "networkConfiguration": self._default_network(),
                "scalingTarget": {
                    "minTaskCount": 1,
                    "maxTaskCount": 20,
                    "autoScalingMetric": "AVERAGE_CPU",
                    "autoScalingTargetValue": 60,
                },
            }
        )
        for member in ("executionRoleArn", "taskRoleArn", "healthCheckPath", "cpu", "memory",
                       "cpuArchitecture", "taskDefinitionArn"):  # fmt: skip
            if member in p:
                config[member] = p[member]
        if "primaryContainer" in p:
            container = copy.deepcopy(p["primaryContainer"])
            container.setdefault("containerPort", 80)
            container.setdefault(
                "awsLogsConfiguration",
                {"logGroup": f"/aws/ecs/{cluster}/{name}", "logStreamPrefix": "ecs"},
            )
            config["primaryContainer"] = container
        if "networkConfiguration" in p:
            network = copy.deepcopy(p["networkConfiguration"])
            self._check_network(network)
            if "securityGroups" not in network:  # Express creates one for the service
                network["securityGroups"] = [f"sg-{n:017x}"]
            config["networkConfiguration"] = network
        if "scalingTarget" in p:
            config["scalingTarget"] = {**config.get("scalingTarget", {}), **p["scalingTarget"]}
            scaling = config["scalingTarget"]
            if scaling.get("minTaskCount", 1) > scaling.get("maxTaskCount", 20):
                raise Fault(
                    "InvalidParameterException", "minTaskCount must not exceed maxTaskCount."
                )
        self._check_size(config)
        path = config.get("healthCheckPath", "/")
        if not path.startswith("/"):
            raise Fault("InvalidParameterException", "The health check path must start with '/'.")
        port = config.get("primaryContainer", {}).get("containerPort", 80)
        if not 1 <= port <= 65535:
            raise Fault("InvalidParameterException", f"Invalid containerPort: {port}.")
        account_part = self._cluster_arn(cluster).rsplit(":", 1)[0]
        config["serviceRevisionArn"] = f"{account_part}:service-revision/{cluster}/{name}/{n}"
        config["taskDefinitionArn"] = p.get(
            "taskDefinitionArn", f"{account_part}:task-definition/{cluster}-{name}:{n}"
        )
        config["createdAt"] = _at(self.now())
        return config

    def _deploy(self, svc: _Service, target: dict[str, Any], source: dict[str, Any] | None) -> None:
        previous = svc.deployment
        if previous is not None and previous.status in ("PENDING", "IN_PROGRESS"):
            previous.status, previous.reason = "STOPPED", "Superseded by a newer deployment."
            previous.finished = self.now()
        arn = f"{svc.arn.replace(':service/', ':service-deployment/', 1)}/{next(self._ids):020d}"
        rollback = self.rollbacks > 0 and source is not None  # a first deployment cannot
        if rollback:
            self.rollbacks -= 1
        deployment = _Deployment(arn, svc, target, source, self.now(), rollback)
        svc.deployment = self.deployments[arn] = deployment
        svc.latest = target
        svc.active = [source, target] if source is not None else [target]

    def _settle(self, svc: _Service) -> None:
        """Move the deployment on, as time has passed."""
        d = svc.deployment
        if d is None or d.status not in ("PENDING", "IN_PROGRESS"):
            return
        elapsed = self.now() - d.started
        if elapsed < self.deploy_for:
            d.status = "IN_PROGRESS" if elapsed > 0 else "PENDING"
            return
        d.finished = d.started + self.deploy_for
        if d.rollback and d.source is not None:  # the circuit breaker brings the old one back
            d.status = "ROLLBACK_SUCCESSFUL"
            d.reason = (
                "Service deployment rolled back because the circuit breaker threshold was exceeded."
            )
            svc.active = [d.source]
            svc.latest = d.source
        else:
            d.status = "SUCCESSFUL"
            svc.active = [d.target]

    def _status(self, svc: _Service) -> str:
        if svc.deleted is None:
            return "ACTIVE"
        return "DRAINING" if self.now() - svc.deleted < self.drain_for else "INACTIVE"

    def _live(self, arn: str) -> _Service:
        svc = self.services.get(arn)
        if svc is None:
            raise Fault("ServiceNotFoundException", "Service not found.")
        self._settle(svc)
        status = self._status(svc)
        if status == "DRAINING":
            raise Fault("ServiceNotActiveException", "Service is in DRAINING status.")
        if status == "INACTIVE":
            raise Fault(
                "ServiceNotActiveException",
                "Cannot perform this operation on a service in INACTIVE status.",
            )
        return svc

    # --- rendering ---------------------------------------------------------------------
    def _render(self, svc: _Service, tags: bool) -> dict[str, Any]:
        self._settle(svc)
        out: dict[str, Any] = {
            "cluster": svc.cluster_arn,
            "serviceName": svc.name,
            "serviceArn": svc.arn,
            "infrastructureRoleArn": svc.infrastructure_role,
            "status": {"statusCode": self._status(svc)},
            "activeConfigurations": [self._render_config(svc, c) for c in svc.active],
            "createdAt": _at(svc.created),
            "updatedAt": _at(svc.updated),
        }
        if svc.deployment is not None:
            out["currentDeployment"] = svc.deployment.arn
        if svc.deleted is not None:
            out["status"]["statusReason"] = "Service is being deleted."
        if tags:
            out["tags"] = copy.deepcopy(svc.tags)
        return out

    def _render_config(self, svc: _Service, config: dict[str, Any]) -> dict[str, Any]:
        out = copy.deepcopy(config)
        if self.now() - svc.created >= self.endpoint_after:
            out["ingressPaths"] = [{"accessType": "PUBLIC", "endpoint": svc.host}]
        return out

    def _render_deployment(self, d: _Deployment) -> dict[str, Any]:
        def revision(config: dict[str, Any], count: int) -> dict[str, Any]:
            return {
                "arn": config["serviceRevisionArn"],
                "requestedTaskCount": count,
                "runningTaskCount": count,
                "pendingTaskCount": 0,
            }

        done = d.status == "SUCCESSFUL"
        out: dict[str, Any] = {
            "serviceDeploymentArn": d.arn,
            "serviceArn": d.service.arn,
            "clusterArn": d.service.cluster_arn,
            "createdAt": _at(d.started),
            "startedAt": _at(d.started),
            "updatedAt": _at(d.finished if d.finished is not None else self.now()),
            "sourceServiceRevisions": [revision(d.source, 0 if done else 1)] if d.source else [],
            "targetServiceRevision": revision(d.target, 1 if done else 0),
            "status": d.status,
        }
        if d.finished is not None:
            out["finishedAt"] = _at(d.finished)
        if d.reason:
            out["statusReason"] = d.reason
        return out

    # --- moto lookups ------------------------------------------------------------------
    def _cluster_arn(self, cluster: str) -> str:
        found = self._ecs.describe_clusters(clusters=[cluster])["clusters"]
        active = [c for c in found if c["status"] == "ACTIVE"]
        if not active:
            raise Fault("ClusterNotFoundException", "Cluster not found.")
        return str(active[0]["clusterArn"])

    def _moto_has(self, cluster: str, name: str) -> bool:
        try:
            found = self._ecs.describe_services(cluster=cluster, services=[name])["services"]
        except ClientError:
            return False
        return any(s["status"] != "INACTIVE" for s in found)

    def _role_exists(self, arn: str) -> bool:
        try:
            self._iam.get_role(RoleName=arn.rsplit("/", 1)[-1])
        except ClientError:
            return False
        return True

    def _default_network(self) -> dict[str, Any]:
        """The default VPC's subnets and a security group Express creates in it."""
        subnets = self._ec2.describe_subnets(
            Filters=[{"Name": "default-for-az", "Values": ["true"]}]
        )["Subnets"]
        return {
            "securityGroups": [f"sg-{next(self._ids):017x}"],
            "subnets": sorted(s["SubnetId"] for s in subnets),
        }

    def _check_network(self, network: dict[str, Any]) -> None:
        try:
            if network.get("subnets"):
                self._ec2.describe_subnets(SubnetIds=network["subnets"])
            if network.get("securityGroups"):
                self._ec2.describe_security_groups(GroupIds=network["securityGroups"])
        except ClientError as exc:
            raise Fault("InvalidParameterException", exc.response["Error"]["Message"]) from exc

    @staticmethod
    def _check_size(config: dict[str, Any]) -> None:
        cpu, memory = config.get("cpu", "256"), config.get("memory", "512")
        if not (cpu.isdigit() and memory.isdigit() and int(memory) in FARGATE.get(int(cpu), [])):
            raise Fault(
                "ClientException",
                f"No Fargate configuration exists for given values: {cpu} CPU, {memory} memory.",
            )


def check_output(model: Any, body: dict[str, Any]) -> None:
    """Fail (AssertionError) when ``body`` does not fit the output shape of ``model``."""
    report = ParamValidator().validate(body, model.output_shape)
    assert not report.has_errors(), f"{model.name} response off-model: {report.generate_report()}"


def _short(cluster: str) -> str:
    return cluster.rsplit("/", 1)[-1]


def _cluster_and_name(service_arn: str) -> tuple[str, str]:
    parts = service_arn.split(":", 5)[-1].split("/")  # service/<cluster>/<name>
    return (parts[1], parts[2]) if len(parts) == 3 else ("default", parts[-1])


def _at(seconds: float) -> datetime:
    return EPOCH + timedelta(seconds=seconds)


def install_on_every_deployment(monkeypatch: Any) -> ExpressFake:
    """One fake AWS-side Express state, installed on every deployment the CLI connects,
    with fake time that passes when the code under test sleeps (``monkeypatch``: pytest's
    fixture, undone at the end of the test)."""
    from ecsdeploy.ops.stages import Stages
    from ecsdeploy.resources.base import Timing

    clock = [0.0]
    express = ExpressFake(clock=lambda: clock[0])
    connect = Stages.connect

    def sleep(seconds: float) -> None:
        clock[0] += seconds  # Express services take minutes: let fake time pass

    def connect_with_fake(
        target: Any, recorder: Any = None, timing: Any = None, kinds: Any = None
    ) -> Stages:
        dep = connect(target, recorder, Timing(sleep=sleep, clock=lambda: clock[0]), kinds)
        express.install(dep.aws.client("ecs").raw)
        return dep

    monkeypatch.setattr(Stages, "connect", connect_with_fake)
    return express
