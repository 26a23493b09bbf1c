"""Eventual consistency, in one table: the errors AWS answers while it catches up with a
resource made a moment ago, and how long it may take.

AWS documents that a resource just created can be unknown, for a while, to the next call
that names it ("Eventual consistency in the Amazon EC2 API": retry with exponential
backoff, from a couple of seconds up to a few minutes). Each ``Lag`` names the service,
the create/update operations it hits, AWS's error code and (when the code alone is too
broad) a phrase of its message, the window AWS may take, and what is waited for.

``CatchingUp`` (a client view that ``Handler.client`` hands the resource kinds) retries a
call that fails with an error of the table, with backoff and a progress line, until the
window has passed since the first refusal; then it raises ``NotCaughtUp``, which names the
operation, AWS's error, how long it waited and what to do. Only the operations listed
are retried: reads (the observe) never are, so an absent resource is absent, and an error
that is not in the table fails at once. The windows are bounded and stated in
docs/failures.md.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from ecsdeploy.aws.clients import Client
from ecsdeploy.aws.errors import AwsError

EC2_DOC = (
    "AWS: Eventual consistency in the Amazon EC2 API (ec2/latest/devguide/eventual-consistency)"
)


@dataclass(frozen=True)
class Lag:
    """One way AWS says "not yet": retried for up to ``window`` seconds."""

    service: str  # botocore's service name: "ec2", "wafv2"
    operations: frozenset[str]  # the calls it hits (botocore operation names)
    code: str  # AWS's error code, compared without case
    waits_for: str  # shown while waiting: "the new security group"
    window: float  # seconds AWS may take to catch up
    phrase: str = ""  # a phrase AWS's message must contain (lowercase), "" for any
    source: str = ""  # where AWS (or a tool that hit it) documents it

    def matches(self, service: str, operation: str, error: AwsError) -> bool:
        return (
            service == self.service
            and _plain(operation) in {_plain(o) for o in self.operations}
            and error.code.lower() == self.code.lower()
            and self.phrase in error.message.lower()
        )


def _plain(operation: str) -> str:
    """An operation's name as botocore's and the client's spellings share it:
    AssociateWebACL and associate_web_acl are both "associatewebacl"."""
    return operation.replace("_", "").lower()


def _ops(*names: str) -> frozenset[str]:
    return frozenset(names)


# The EC2 calls that name resources made earlier in the same run. Revokes and deletes are
# not here: they name what an observe found, and there "not found" means gone.
_SG_RULES = _ops("AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress")
_IN_VPC = _ops(
    "CreateSubnet",
    "CreateSecurityGroup",
    "CreateRouteTable",
    "CreateVpcEndpoint",
    "AttachInternetGateway",
    "ModifyVpcAttribute",
)
_ROUTES = _ops("CreateRoute", "ReplaceRoute")
_ENDPOINTS = _ops("CreateVpcEndpoint", "ModifyVpcEndpoint")
EC2_WINDOW = 120.0  # Terraform's AWS provider waits 2 minutes for EC2 ids to propagate

LAGS: tuple[Lag, ...] = (
    # --- EC2: an id made a moment ago is unknown to the next call that names it ---
    Lag("ec2", _SG_RULES | _ENDPOINTS | _ops("CreateTags"), "InvalidGroup.NotFound",
        "the new security group", EC2_WINDOW, source=EC2_DOC),
    Lag("ec2", _IN_VPC, "InvalidVpcID.NotFound", "the new VPC", EC2_WINDOW, source=EC2_DOC),
    Lag("ec2", _ops("CreateNatGateway", "AssociateRouteTable", "CreateVpcEndpoint",
                    "ModifyVpcEndpoint", "ModifySubnetAttribute"),
        "InvalidSubnetID.NotFound", "the new subnet", EC2_WINDOW, source=EC2_DOC),
    Lag("ec2", _ROUTES | _ENDPOINTS | _ops("AssociateRouteTable"), "InvalidRouteTableID.NotFound",
        "the new route table", EC2_WINDOW,
        source=EC2_DOC),
    Lag("ec2", _ROUTES | _ops("AttachInternetGateway"), "InvalidInternetGatewayID.NotFound",
        "the new internet gateway", EC2_WINDOW, source=EC2_DOC),
    Lag("ec2", _ROUTES, "InvalidGatewayID.NotFound", "the new internet gateway", EC2_WINDOW,
        source=EC2_DOC),
    Lag("ec2", _ROUTES, "InvalidNatGatewayID.NotFound", "the new NAT gateway", EC2_WINDOW,
        source=EC2_DOC),
    Lag("ec2", _ops("CreateNatGateway"), "InvalidAllocationID.NotFound",
        "the new Elastic IP", EC2_WINDOW, source=EC2_DOC),
    Lag("ec2", _ops("ModifyVpcEndpoint", "CreateTags"), "InvalidVpcEndpointId.NotFound",
        "the new VPC endpoint", EC2_WINDOW, source=EC2_DOC),
    # --- load balancers and ECS naming new network resources ---
    Lag("elbv2", _ops("CreateLoadBalancer", "SetSecurityGroups", "SetSubnets"),
        "InvalidSecurityGroup", "the new security group", EC2_WINDOW, source=EC2_DOC),
    Lag("elbv2", _ops("CreateLoadBalancer", "SetSubnets"), "InvalidSubnet", "the new subnets",
        EC2_WINDOW, source=EC2_DOC),
    Lag("ecs", _ops("CreateService", "UpdateService"), "InvalidParameterException",
        "the new security group", EC2_WINDOW, phrase="security group",
        source="ECS CreateService: 'Error retrieving security group information ... does "
        "not exist' right after CreateSecurityGroup"),
    # --- WAF: botocore's AssociateWebACL documentation: "If you've just created a web ACL,
    # the association can fail with WAFUnavailableEntityException ... retry"; Terraform's
    # AWS provider waits 5 minutes and users still hit it (hashicorp/terraform-provider-aws
    # #29080, #17527): 10 minutes here ---
    Lag("wafv2", _ops("AssociateWebACL"), "WAFUnavailableEntityException", "the new web ACL",
        600.0, source="botocore wafv2 AssociateWebACL; terraform-provider-aws#29080"),
    # --- Application Auto Scaling sees a new service / scalable target late ---
    Lag("application-autoscaling", _ops("RegisterScalableTarget"), "ValidationException",
        "ECS to report the new service to Application Auto Scaling", 120.0,
        phrase="service doesn't exist",
        source="RegisterScalableTarget right after CreateService: 'ECS service doesn't exist'"),
    Lag("application-autoscaling", _ops("PutScalingPolicy"), "ObjectNotFoundException",
        "the new scalable target", 120.0, phrase="no scalable target registered",
        source="PutScalingPolicy right after RegisterScalableTarget"),
    # --- ECS and its service-linked role on a fresh account: IAM makes the role, ECS may
    # not accept it for a while ---
    Lag("ecs", _ops("CreateCluster", "CreateService"), "InvalidParameterException",
        "ECS to accept its new service-linked role", 120.0, phrase="service linked role",
        source="ECS: 'Unable to assume the service linked role. Please verify that the ECS "
        "service linked role exists.'"),
    # --- EventBridge Scheduler checks that it may assume a job's new scheduler role; IAM
    # takes a while to let it ---
    Lag("scheduler", _ops("CreateSchedule", "UpdateSchedule"), "ValidationException",
        "EventBridge Scheduler to accept the job's new scheduler role", 120.0,
        phrase="assume the role",
        source="Scheduler CreateSchedule right after CreateRole: 'The execution role you "
        "provide must allow AWS EventBridge Scheduler to assume the role.'"),
)  # fmt: skip


def lag_of(service: str, operation: str, error: AwsError) -> Lag | None:
    """The table's entry for ``error`` answered to ``operation``, if AWS may be catching up."""
    return next((lag for lag in LAGS if lag.matches(service, operation, error)), None)


class NotCaughtUp(AwsError):
    """An error of the table still answered after its window: not a lag after all."""


@dataclass(frozen=True)
class Patience:
    """How waits for AWS to catch up are timed (tests shrink ``scale`` and fake time)."""

    scale: float = 1.0  # windows are multiplied by this
    first_delay: float = 1.0  # the first retry comes after this many seconds, then doubles
    max_delay: float = 15.0
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic


class CatchingUp(Client):
    """A client whose calls are retried while AWS answers an error of ``LAGS``; ``note``
    receives the progress line ("waiting for AWS to know the new security group ...")."""

    def __init__(
        self,
        client: Client,
        service: str,
        note: Callable[[str], None] = lambda message: None,
        patience: Patience | None = None,
    ) -> None:
        super().__init__(client.raw)
        self._client = client
        self._service = service
        self._note = note
        self._patience = patience or Patience()

    def __getattr__(self, operation: str) -> Any:
        method = getattr(self._client, operation)

        def call(**kwargs: Any) -> Any:
            return self.call(operation, lambda: method(**kwargs))

        return call

    def pages(self, operation: str, result_key: str, **kwargs: Any) -> Iterator[Any]:
        return self._client.pages(operation, result_key, **kwargs)

    def call(self, operation: str, attempt: Callable[[], Any]) -> Any:
        """``attempt()``, retried while it fails with an error of the table."""
        p = self._patience
        started: dict[Lag, float] = {}  # each lag's window runs from its first refusal
        delay = p.first_delay
        while True:
            try:
                return attempt()
            except AwsError as exc:
                lag = lag_of(self._service, operation, exc)
                if lag is None:
                    raise
                now = p.clock()
                waited, window = now - started.setdefault(lag, now), lag.window * p.scale
                if waited >= window:
                    raise NotCaughtUp(
                        f"AWS still answered {exc.code} after {waited:.0f}s ({exc.message}); "
                        f"it usually knows {lag.waits_for} within {window:.0f}s, so this "
                        "is likely a real problem: check that the resource exists and "
                        "belongs to this region and VPC, then run `ecsdeploy up` again",
                        code=exc.code,
                        operation=exc.operation or operation,
                    ) from exc
                self._note(
                    f"waiting for AWS to know {lag.waits_for} ({exc.code}, {waited:.0f}s "
                    f"of up to {window:.0f}s)"
                )
                p.sleep(min(delay, max(0.0, window - waited)))
                delay = min(delay * 2, p.max_delay)
