"""Helpers shared by the ECS kinds: ECS tags are lowercase ``key``/``value`` pairs, and
ECS answers an error for a while after IAM roles or listener rules are created.

AWS quirk: ECS sees a new IAM role, and a target group's new listener rule, only after they
have propagated (seconds, sometimes a minute). Until then RegisterTaskDefinition,
CreateService, UpdateService and CreateExpressGatewayService fail with an error saying so;
``retry_until_propagated`` retries exactly those errors, bounded by
``Timing.iam_propagation``, and lets every other error through at once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from ecsdeploy.aws.clients import Client
from ecsdeploy.aws.errors import AccessDenied, InvalidRequest, NotFound
from ecsdeploy.resources.base import Context
from ecsdeploy.resources.reads import SharedReads, read_each, shared
from ecsdeploy.resources.waiting import retry_while
from ecsdeploy.spec.naming import Owner, tags_to_dict

T = TypeVar("T")

# the services one DescribeServices takes ("services: ... You may specify up to 10 services
# to describe", Amazon ECS API Reference, DescribeServices; more is an
# InvalidParameterException, which moto does not answer)
DESCRIBE_SERVICES = 10

# Wordings AWS uses when a role passed to ECS cannot be assumed (yet). Matched lowercase.
ROLE_NOT_ASSUMABLE = (
    "unable to assume",  # InvalidParameterException / ClientException: "ECS was unable to
    # assume the role '...'", "Unable to assume role and validate the specified ..."
    "cannot assume role",  # AccessDeniedException: "Cannot assume role arn:..."
    "not authorized to perform: sts:assumerole",
    "was not able to validate the provided access credentials",  # ClientException
)
# InvalidParameterException right after the listener rule that forwards to a target group
# was created: "The target group with targetGroupArn ... does not have an associated load
# balancer."
TARGET_GROUP_NOT_ATTACHED = ("does not have an associated load balancer",)


class NotPropagatedYet(InvalidRequest):
    """AWS does not see yet a role or rule created a moment ago."""


def retry_until_propagated(
    ctx: Context, what: str, phrases: tuple[str, ...], call: Callable[[], T]
) -> T:
    """``call``, retried while AWS's error message contains one of ``phrases``."""

    def guarded() -> T:
        try:
            return call()
        except (InvalidRequest, AccessDenied) as exc:
            if any(words in exc.message.lower() for words in phrases):
                raise NotPropagatedYet(exc.message, exc.code, exc.operation) from exc
            raise

    return retry_while(ctx, (NotPropagatedYet,), what, guarded, ctx.timing.iam_propagation)


def ecs_tags(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"key": k, "value": v} for k, v in sorted(tags.items())]


def cluster_name(owner: Owner) -> str:
    """One cluster per app and env; services are named after the spec's service names."""
    return owner.prefix


def owns_cluster(ecs: Client, owner: Owner, reads: SharedReads | None = None) -> bool:
    """Whether the cluster named for ``owner`` exists and carries its tags.

    Kinds addressed through the cluster (scaling targets and policies have no tags of their
    own in every API version) are owned only when the cluster is.
    """
    return shared(reads, ("ecs:owns_cluster", owner.prefix), lambda: _owns_cluster(ecs, owner))


def _owns_cluster(ecs: Client, owner: Owner) -> bool:
    try:
        out = ecs.describe_clusters(clusters=[cluster_name(owner)], include=["TAGS"])
    except NotFound:
        return False
    return any(
        c.get("status") == "ACTIVE" and owner.owns(tags_to_dict(c.get("tags")))
        for c in out.get("clusters", [])
    )


def describe_services(
    ecs: Client, cluster: str, reads: SharedReads | None = None
) -> tuple[list[str], list[dict[str, Any]]]:
    """The ARNs of ``cluster``'s services and their descriptions with tags (([], []) without
    the cluster): one ListServices and one DescribeServices per 10 services, the most
    DescribeServices takes, made concurrently; once per observe for the classic and Express
    kinds. A service can be listed yet not described (just deleted)."""
    return shared(reads, ("ecs:services", cluster), lambda: _describe_services(ecs, cluster))


def _describe_services(ecs: Client, cluster: str) -> tuple[list[str], list[dict[str, Any]]]:
    try:
        arns = list(ecs.pages("ListServices", "serviceArns", cluster=cluster))
    except NotFound:
        return [], []
    return arns, describe_named(ecs, cluster, arns)


def describe_named(ecs: Client, cluster: str, services: Sequence[str]) -> list[dict[str, Any]]:
    """DescribeServices, with tags, of ``services`` (names or ARNs): ``DESCRIBE_SERVICES``
    a call, made concurrently. A missing one comes back under ``failures``, not here; a
    missing cluster raises NotFound."""
    batches = [
        list(services[i : i + DESCRIBE_SERVICES])
        for i in range(0, len(services), DESCRIBE_SERVICES)
    ]
    described = read_each(
        lambda batch: ecs.describe_services(cluster=cluster, services=batch, include=["TAGS"]),
        batches,
    )
    return [svc for out in described for svc in out.get("services", [])]
