"""Pydantic models of the spec's network and load balancer keys: the VPC (``network:``),
and the shared application load balancer with its WAF and access logs (``load_balancer:``).
``spec.models`` holds the rest of the spec and re-exports these."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

# Every model refuses unknown keys: a typo must not be silently ignored.
_STRICT = ConfigDict(extra="forbid", frozen=True)

Nat = Literal["none", "single", "per_az"]
SubnetKind = Literal["private", "public"]


class Network(BaseModel):
    """The VPC ecsdeploy builds: subnets in ``azs`` zones, optional NAT, VPC endpoints."""

    model_config = _STRICT

    cidr: str = Field(
        "10.0.0.0/16",
        description="VPC CIDR block, /16 to /24, split into 16 subnets: a load balancer "
        "needs /23 or larger, and every subnet room for its tasks.",
    )
    azs: int = Field(2, description="Availability zones; one public and one private subnet each.")
    nat: Nat = Field("single", description="NAT gateways: none, single (cheapest) or per_az.")
    endpoints: list[str] = Field(
        default_factory=list,
        description=(
            "VPC endpoints for the private subnets: s3 (gateway), ecr.api, ecr.dkr, logs..."
        ),
    )
    service_connect: bool | None = Field(
        None,
        description="ECS Service Connect: the services reach each other at "
        "${services.NAME.internal_url} inside the VPC (default: on when a service's env "
        "refers to one).",
    )


class Waf(BaseModel):
    """A regional WAF web ACL: AWS managed rule groups and a per-IP rate limit."""

    model_config = _STRICT

    rate_limit: int = Field(
        2000, description="Requests one IP may send in 5 minutes before it is blocked."
    )
    large_bodies: Literal["count", "block"] = Field(
        "count",
        description="Request bodies over 8 KB (the common rule set's SizeRestrictions_BODY): "
        "count lets them through (an image or embedding posted to a model API), block "
        "answers 403.",
    )


class AccessLogs(BaseModel):
    """Load-balancer access logs, kept in a private bucket for ``retention_days``."""

    model_config = _STRICT

    retention_days: int = Field(90, description="Days the log files are kept (S3 lifecycle).")


def on_shorthand(value: Any) -> Any:
    """``key: true`` is short for ``key: {}`` (every default), ``key: false`` for off."""
    if value is True:
        return {}
    if value is False:
        return None
    return value


WafField = Annotated[
    Waf | None, BeforeValidator(on_shorthand, json_schema_input_type=bool | Waf | None)
]
AccessLogsField = Annotated[
    AccessLogs | None,
    BeforeValidator(on_shorthand, json_schema_input_type=bool | AccessLogs | None),
]


class LoadBalancer(BaseModel):
    """The application load balancer shared by every routed service."""

    model_config = _STRICT

    public: bool = Field(
        True, description="Internet-facing in the public subnets; false = internal."
    )
    certificate_arn: str | None = Field(
        None, description="ACM certificate ARN: serve HTTPS on 443 and redirect 80 to it."
    )
    idle_timeout: int = Field(60, description="Seconds an idle connection stays open (1-4000).")
    waf: WafField = Field(
        None,
        description="A WAF web ACL in front of the load balancer: true, or {rate_limit: N} "
        "(requests per IP per 5 minutes; AWS managed rule groups included).",
    )
    access_logs: AccessLogsField = Field(
        None,
        description="Access logs to an S3 bucket ecsdeploy creates: true, or {retention_days: N}.",
    )
    deletion_protection: bool = Field(
        False,
        description="AWS refuses to delete the load balancer; `down` then needs "
        "--disable-deletion-protection.",
    )
    domain: str | None = Field(
        None,
        description="Serve HTTPS at this name: ecsdeploy requests an ACM certificate, "
        "validates it in Route 53 and points the name at the load balancer (classic mode).",
    )
    aliases: list[str] = Field(
        default_factory=list, description="More names on the certificate, each pointed too."
    )
    zone: str | None = Field(
        None,
        description="The Route 53 public hosted zone of the names; default: the longest "
        "matching one in the account.",
    )

    def https(self) -> bool:
        """Whether the load balancer serves HTTPS (a certificate given or requested)."""
        return bool(self.certificate_arn or self.domain)
