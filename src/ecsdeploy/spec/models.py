"""Pydantic models of the spec file: the shape of every key, its type and its default.

Shape and per-field rules live here; rules that span several fields (Fargate cpu/memory
pairs, routes, references between services) live in ``spec.checks`` so that each problem
can be reported against the key that holds it.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from ecsdeploy.spec.deploy import Deploy
from ecsdeploy.spec.network_models import LoadBalancer, Network, SubnetKind, on_shorthand

# Every model refuses unknown keys: a typo must not be silently ignored.
_STRICT = ConfigDict(extra="forbid", frozen=True)

Mode = Literal["classic", "express"]


class Permission(BaseModel):
    """One IAM policy statement granted to a service's task role."""

    model_config = _STRICT

    actions: list[str] = Field(description="IAM actions, e.g. s3:GetObject.")
    resources: list[str] = Field(default_factory=lambda: ["*"], description="Resource ARNs or *.")
    effect: Literal["Allow", "Deny"] = "Allow"


class Thresholds(BaseModel):
    """When a service's alarms fire; each unset value takes the app-wide one."""

    model_config = _STRICT

    cpu: int | None = Field(None, description="Average CPU percent over 5 minutes (default 80).")
    memory: int | None = Field(
        None, description="Average memory percent over 5 minutes (default 80)."
    )
    p95_ms: int | None = Field(
        None, description="95th-percentile target response time in ms (default 2000)."
    )
    unhealthy_minutes: int | None = Field(
        None, description="Minutes with an unhealthy target before alarming (default 5)."
    )


class Alarms(Thresholds):
    """CloudWatch alarms for the app, and who hears about them."""

    email: list[str] = Field(
        default_factory=list,
        description="Addresses subscribed to an SNS topic ecsdeploy creates (each must "
        "confirm by clicking the link AWS mails).",
    )
    sns_topic_arn: str | None = Field(
        None, description="An existing SNS topic to notify instead of one ecsdeploy creates."
    )
    error_rate: float | None = Field(
        None, description="Load balancer 5xx responses, percent of requests (default 5)."
    )


def _email_shorthand(value: Any) -> Any:
    """``alarms: true`` = every default, ``false`` = off; ``email: a@b`` = a list of one."""
    value = on_shorthand(value)
    if isinstance(value, dict) and isinstance(value.get("email"), str):
        value = {**value, "email": [value["email"]]}
    return value


AlarmsField = Annotated[
    Alarms | None,
    BeforeValidator(_email_shorthand, json_schema_input_type=bool | Alarms | None),
]
ThresholdsField = Annotated[
    Thresholds | None,
    BeforeValidator(on_shorthand, json_schema_input_type=bool | Thresholds | None),
]


class Autoscaling(BaseModel):
    """Target-tracking autoscaling of a service's task count."""

    model_config = _STRICT

    min: int = Field(1, description="Fewest tasks.")
    max: int = Field(description="Most tasks.")
    cpu: int | None = Field(None, description="Target average CPU utilisation, percent.")
    memory: int | None = Field(None, description="Target average memory utilisation, percent.")
    requests: int | None = Field(None, description="Target ALB requests per task per minute.")


class Build(BaseModel):
    """A Docker build: context directory plus optional Dockerfile, target, args, platform."""

    model_config = _STRICT

    context: str = Field(description="Build context directory, relative to the spec file.")
    dockerfile: str | None = None
    target: str | None = None
    args: dict[str, str] = Field(default_factory=dict)
    platform: str = "linux/amd64"


class Route(BaseModel):
    """A listener rule: a path pattern, a host name, or both."""

    model_config = _STRICT

    path: str | None = Field(None, description="Path pattern such as /api/*.")
    host: str | None = Field(None, description="Host name such as api.example.com.")


class HealthCheck(BaseModel):
    """How the load balancer (and optionally the container runtime) checks a service."""

    model_config = _STRICT

    path: str = Field("/", description="HTTP path the load balancer checks.")
    # Limits: Elastic Load Balancing, "Health checks for Application Load Balancer target
    # groups" (interval 5-300 s, timeout 2-120 s and less than the interval, thresholds
    # 2-10). A new task is healthy after interval x healthy_threshold: 10 s by default.
    interval: int = Field(
        5,
        description="Seconds between checks (5-300; AWS default 30). 5, ALB's shortest: a "
        "new task is healthy 10 s after it starts answering.",
    )
    timeout: int = Field(
        4,
        description="Seconds before a check fails; less than interval (2-120). 4: the "
        "longest a 5 s interval allows.",
    )
    healthy_threshold: int = Field(
        2, description="Passes before a target is healthy (2-10; 2, the fewest AWS allows)."
    )
    unhealthy_threshold: int = Field(
        3,
        description="Failures before unhealthy (2-10). 3, not 2: one slow answer does not "
        "take a task out of service (15 s of failures do).",
    )
    matcher: str = Field("200-399", description="HTTP codes that count as healthy.")
    grace_period: int = Field(
        60, description="Seconds ECS ignores failing checks after a task starts (model loading)."
    )
    command: list[str] | None = Field(
        None,
        description="Container health check run by ECS, e.g. [CMD-SHELL, curl -f localhost/]; "
        "off when absent.",
    )

    @model_validator(mode="before")
    @classmethod
    def _interval_above_timeout(cls, data: Any) -> Any:
        """A timeout given without an interval gets the shortest interval above it (AWS
        wants the timeout below the interval): `timeout: 10` alone, valid when the default
        interval was 30 s, stays valid with the 5 s default."""
        if isinstance(data, dict) and "interval" not in data:
            timeout = data.get("timeout")
            if isinstance(timeout, int) and not isinstance(timeout, bool) and timeout >= 5:
                return {**data, "interval": min(timeout + 1, 300)}
        return data


def _health_shorthand(value: Any) -> Any:
    """``health_check: /health`` is short for ``health_check: {path: /health}``."""
    return {"path": value} if isinstance(value, str) else value


def _build_shorthand(value: Any) -> Any:
    """``build: ../dir`` is short for ``build: {context: ../dir}``."""
    return {"context": value} if isinstance(value, str) else value


def _route_shorthand(value: Any) -> Any:
    """``route: /api/*`` is short for ``route: {path: /api/*}``."""
    return {"path": value} if isinstance(value, str) else value


# A service's keys that take a text shorthand for a block (``spec.extends`` expands them
# before merging, so that an overlay's `health_check: /x` changes only the base's path).
SERVICE_SHORTHANDS = {
    "build": _build_shorthand,
    "route": _route_shorthand,
    "health_check": _health_shorthand,
}

BuildField = Annotated[Build, BeforeValidator(_build_shorthand, json_schema_input_type=str | Build)]
RouteField = Annotated[Route, BeforeValidator(_route_shorthand, json_schema_input_type=str | Route)]
HealthField = Annotated[
    HealthCheck, BeforeValidator(_health_shorthand, json_schema_input_type=str | HealthCheck)
]
EnvName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]


class Service(BaseModel):
    """One container service: where its image comes from, its size, network and routing."""

    model_config = _STRICT

    mode: Mode = Field(
        "classic", description="classic (ALB + ECS service) or express (ECS Express)."
    )
    build: BuildField | None = Field(None, description="Docker build context, or a build block.")
    image: str | None = Field(None, description="A prebuilt image reference instead of build.")
    arch: Literal["x86_64", "arm64"] | None = Field(
        None,
        description="The CPU a prebuilt image is built for (default x86_64); with build:, "
        "build.platform decides.",
    )
    port: int | None = Field(
        None,
        description="Container port the service listens on; without port and route the "
        "service is a worker (no load balancer, no port open).",
    )
    cpu: int = Field(256, description="Fargate CPU units (256 = 0.25 vCPU).")
    memory: int = Field(512, description="Fargate memory in MiB, valid for the cpu.")
    count: int | None = Field(
        None, description="Desired task count (default 1, or autoscaling.min)."
    )
    subnets: SubnetKind = Field("private", description="private (no public IP) or public.")
    health_check: HealthField = Field(
        default_factory=HealthCheck, description="Health-check path, or a block of settings."
    )
    deregistration_delay: int = Field(
        15,
        description="Seconds the load balancer drains a stopping task (0-3600; AWS default "
        "300): its requests in flight get that long to finish. `up` does not wait for it.",
    )
    route: RouteField | None = Field(None, description="Listener route: a path pattern or a block.")
    env: dict[EnvName, str] = Field(default_factory=dict, description="Environment variables.")
    secrets: dict[EnvName, str] = Field(
        default_factory=dict, description="Environment variables read from SSM or Secrets Manager."
    )
    permissions: list[Permission] = Field(default_factory=list, description="Task-role policy.")
    autoscaling: Autoscaling | None = None
    alarms: ThresholdsField = Field(
        default_factory=Thresholds,
        description="This service's alarm thresholds, or false for no alarms on it.",
    )
    exec: bool = Field(
        False, description="Allow `ecsdeploy exec` (ECS Exec) into this service's tasks."
    )
    deploy: Deploy | None = Field(
        None,
        description="How a new revision rolls out (strategy, bake time, pause...); keys "
        "left out take the app-wide `deploy:`.",
    )
    public: bool = Field(
        True,
        description="false: no load balancer route, reachable only by the other services "
        "at ${services.NAME.internal_url} (Service Connect).",
    )

    @property
    def desired_count(self) -> int:
        if self.count is not None:
            return self.count
        return self.autoscaling.min if self.autoscaling else 1

    @property
    def routed(self) -> bool:
        return self.route is not None

    @property
    def cpu_architecture(self) -> str:
        """ECS's name of the CPU the image is built for: ARM64 for ``arch: arm64`` or a
        ``linux/arm64`` build, else X86_64 (a task definition that says X86_64 for an arm64
        image dies with "exec format error")."""
        built_arm = self.build is not None and self.build.platform == "linux/arm64"
        return "ARM64" if self.arch == "arm64" or built_arm else "X86_64"

    @property
    def listening_port(self) -> int:
        """The port of a routed or Express Mode service: validate refuses one without."""
        if self.port is None:
            raise ValueError("a routed or Express Mode service without a port")
        return self.port


class Artifact(BaseModel):
    """A local file (e.g. a trained model) uploaded to S3 for the services to read."""

    model_config = _STRICT

    source: str = Field(description="Local file, relative to the spec file.")
    bucket: str | None = Field(
        None, description="An existing bucket to upload to (default: one ecsdeploy creates)."
    )
    prefix: str | None = Field(None, description="Key prefix (default: the artifact's name).")


def _command_shorthand(value: Any) -> Any:
    """``command: python train.py`` is short for ``[sh, -c, "python train.py"]``."""
    return ["sh", "-c", value] if isinstance(value, str) else value


CommandField = Annotated[
    list[str] | None,
    BeforeValidator(_command_shorthand, json_schema_input_type=str | list[str] | None),
]


class Job(BaseModel):
    """A task run on a schedule (EventBridge Scheduler), on Fargate in the private subnets."""

    model_config = _STRICT

    build: BuildField | None = Field(None, description="Docker build context, or a build block.")
    image: str | None = Field(None, description="A prebuilt image reference instead of build.")
    arch: Literal["x86_64", "arm64"] | None = Field(
        None, description="The CPU a prebuilt image is built for (default x86_64)."
    )
    command: CommandField = Field(
        None,
        description="The command (a list, or a string run by sh -c); default: the image's.",
    )
    cpu: int = Field(256, description="Fargate CPU units (256 = 0.25 vCPU).")
    memory: int = Field(512, description="Fargate memory in MiB, valid for the cpu.")
    schedule: str = Field(
        description='When it runs: "cron(0 3 * * ? *)" (min hour day month weekday year) '
        'or "rate(6 hours)", EventBridge Scheduler syntax.'
    )
    timezone: str = Field("UTC", description="IANA time zone a cron schedule is read in.")
    env: dict[EnvName, str] = Field(default_factory=dict, description="Environment variables.")
    secrets: dict[EnvName, str] = Field(
        default_factory=dict, description="Environment variables read from SSM or Secrets Manager."
    )
    permissions: list[Permission] = Field(default_factory=list, description="Task-role policy.")
    timeout_minutes: int = Field(
        60,
        description="Minutes a run may take: `run --job` stops the task then; scheduled "
        "runs get it as ECSDEPLOY_TIMEOUT_SECONDS for the program to honour (ECS has no "
        "task timeout).",
    )

    @property
    def cpu_architecture(self) -> str:
        """ECS's name of the CPU the image is built for (see ``Service.cpu_architecture``)."""
        built_arm = self.build is not None and self.build.platform == "linux/arm64"
        return "ARM64" if self.arch == "arm64" or built_arm else "X86_64"


class Logs(BaseModel):
    """CloudWatch log groups, one per service."""

    model_config = _STRICT

    retention_days: int = Field(
        default=30, description="Days CloudWatch keeps each service's logs."
    )


class ReleasePolicy(BaseModel):
    """How a release that changes several services behaves when one of them fails."""

    model_config = _STRICT

    atomic: bool = Field(
        default=True,
        description="When one service of a release fails to roll out (and goes back to the "
        "revision it ran before), put the release's other services back too, even those "
        "already rolled out, so the app never runs half a release. false: each service "
        "stands alone.",
    )


def _document_extends(schema: dict[str, Any]) -> None:
    """``extends`` is read (and removed) before validation, by ``spec.extends``; the JSON
    Schema still lists it for editors, and a file that extends another needs no key."""
    schema["properties"] = {
        "extends": {
            "type": "string",
            "description": "A base spec file, relative to this one: mappings merge, lists "
            "and values replace, null removes a key. The merged spec is what is validated.",
        },
        **schema["properties"],
    }
    required = schema.pop("required", [])
    schema["if"] = {"required": ["extends"]}
    schema["else"] = {"required": required}


class Spec(BaseModel):
    """A whole app in one environment: the root of the spec file."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, title="ecsdeploy spec", json_schema_extra=_document_extends
    )

    app: str = Field(description="App name: lowercase letters, digits and hyphens.")
    env: str = Field("dev", description="Environment name, e.g. dev or prod.")
    region: str = Field("us-east-1", description="AWS region.")
    network: Network | None = Field(None, description="The VPC to build (default VPC if absent).")
    load_balancer: LoadBalancer | None = None
    logs: Logs = Field(default_factory=Logs)
    alarms: AlarmsField = Field(
        default_factory=Alarms,
        description="CloudWatch alarms (on by default): false, or {email: ..., thresholds}.",
    )
    dashboard: bool = Field(True, description="A CloudWatch dashboard for the app and env.")
    artifacts: dict[str, Artifact] = Field(
        default_factory=dict,
        description="Files uploaded to S3 by content hash; use ${artifacts.NAME.uri} in env.",
    )
    services: dict[str, Service] = Field(description="The app's services, by name.")
    deploy: Deploy | None = Field(
        None,
        description="The app-wide default of every service's `deploy:` (default: rolling, "
        "circuit breaker with rollback).",
    )
    release: ReleasePolicy = Field(
        default_factory=ReleasePolicy,
        description="Releases: {atomic: true} (the default) puts every service of a failed "
        "release back together.",
    )
    jobs: dict[str, Job] = Field(
        default_factory=dict,
        description="Tasks run on a schedule (EventBridge Scheduler), by name.",
    )
