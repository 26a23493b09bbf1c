"""Helpers shared by the ECS kinds: ECS tags are lowercase ``key``/``value`` pairs."""

from __future__ import annotations

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
