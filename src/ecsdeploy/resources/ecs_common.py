"""Helpers shared by the ECS kinds: ECS tags are lowercase ``key``/``value`` pairs."""

from __future__ import annotations

from typing import Any

from ecsdeploy.aws.clients import Client
from ecsdeploy.aws.errors import NotFound
from ecsdeploy.spec.naming import Owner, tags_to_dict


def ecs_tags(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"key": k, "value": v} for k, v in sorted(tags.items())]


def cluster_name(owner: Owner) -> str:
    """One cluster per app and env; services are named after the spec's service names."""
    return owner.prefix


def owns_cluster(ecs: Client, owner: Owner) -> bool:
    """Whether the cluster named for ``owner`` exists and carries its tags.

    Kinds addressed through the cluster (scaling targets and policies have no tags of their
    own in every API version) are owned only when the cluster is.
    """
    try:
        out = ecs.describe_clusters(clusters=[cluster_name(owner)], include=["TAGS"])
    except NotFound:
        return False
    return any(
        c.get("status") == "ACTIVE" and owner.owns(tags_to_dict(c.get("tags")))
        for c in out.get("clusters", [])
    )


def describe_services(ecs: Client, cluster: str) -> tuple[list[str], list[dict[str, Any]]]:
    """The ARNs of ``cluster``'s services and their descriptions with tags (([], []) without
    the cluster): one ListServices and one DescribeServices per 10 services, the most
    DescribeServices takes. A service can be listed yet not described (just deleted)."""
    try:
        arns = list(ecs.pages("ListServices", "serviceArns", cluster=cluster))
    except NotFound:
        return [], []
    found: list[dict[str, Any]] = []
    for i in range(0, len(arns), 10):
        out = ecs.describe_services(cluster=cluster, services=arns[i : i + 10], include=["TAGS"])
        found += out.get("services", [])
    return arns, found
