"""Helpers shared by the ECS kinds: ECS tags are lowercase ``key``/``value`` pairs."""

from __future__ import annotations

from typing import Any

from ecsdeploy.aws.clients import Client
from ecsdeploy.aws.errors import NotFound
from ecsdeploy.resources.reads import SharedReads, read_each, shared
from ecsdeploy.spec.naming import Owner, tags_to_dict


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
    batches = [arns[i : i + 10] for i in range(0, len(arns), 10)]
    described = read_each(
        lambda batch: ecs.describe_services(cluster=cluster, services=batch, include=["TAGS"]),
        batches,
    )
    return arns, [svc for out in described for svc in out.get("services", [])]
