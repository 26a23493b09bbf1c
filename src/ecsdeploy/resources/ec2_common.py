"""Helpers shared by the EC2 resource kinds: owner tag filters and TagSpecifications."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from ecsdeploy.resources.base import Handler, Observed, P, owned_key
from ecsdeploy.spec.naming import TAG_APP, TAG_ENV, Owner, dict_to_tags, tags_to_dict


def owner_filters(owner: Owner) -> list[dict[str, Any]]:
    """Filters that select only resources tagged for this app and env."""
    return [
        {"Name": f"tag:{TAG_APP}", "Values": [owner.app]},
        {"Name": f"tag:{TAG_ENV}", "Values": [owner.env]},
    ]


def tag_spec(resource_type: str, tags: dict[str, str]) -> list[dict[str, Any]]:
    """TagSpecifications, so a resource is never, even for a moment, untagged."""
    return [{"ResourceType": resource_type, "Tags": dict_to_tags(tags)}]


def client_token(owner: Owner, key: str, request: Mapping[str, Any]) -> str:
    """An idempotency token for a create: the same request (a retry, a re-run after a
    crash) gets the same token, and so the same resource; a different request gets another.

    AWS refuses a token it has seen with other parameters (EC2's
    IdempotentParameterMismatch) or answers with the resource it made then, which may be
    gone by now (a service deleted by ``down`` or by hand): so the request's arguments are
    part of the token, not only the resource's app/env/key."""
    args = json.dumps(request, sort_keys=True, default=str, separators=(",", ":"))
    raw = "/".join((owner.app, owner.env, key, args))
    return hashlib.sha256(raw.encode()).hexdigest()[:64]


class Ec2Handler(Handler[P]):
    """Base for EC2 kinds: lists this owner's resources of one kind in one paginated call."""

    services: ClassVar[tuple[str, ...]] = ("ec2",)
    layer: ClassVar[str] = "network"
    retags: ClassVar[bool] = True

    def retag(self, have: Observed, tags: dict[str, str]) -> None:
        self.client("ec2").create_tags(Resources=[have.id], Tags=dict_to_tags(tags))
        have.tags.update(tags)

    def owned_items(
        self,
        operation: str,
        result_key: str,
        extra_filters: list[dict[str, Any]] | None = None,
        filter_param: str = "Filters",
    ) -> Iterator[tuple[str, dict[str, Any], dict[str, str]]]:
        """(logical key, item, tags) of each item tagged for this owner."""
        filters = [*owner_filters(self.ctx.owner), *(extra_filters or [])]
        for item in self.client("ec2").pages(operation, result_key, **{filter_param: filters}):
            tags = tags_to_dict(item.get("Tags"))
            key = owned_key(self.ctx.owner, tags)
            if key is not None:
                yield key, item, tags
