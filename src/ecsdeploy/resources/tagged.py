"""The apps and environments ecsdeploy manages in a region, found by their tags.

One paginated Resource Groups Tagging API ``GetResources`` call (100 resources a page)
with a tag filter on ``ecsdeploy:app`` (and its value, for one app) finds every tagged
resource of every service the API covers (EC2, ELB, ECS, CloudWatch Logs, SSM, ...), with
its tags: enough to tell which app/env pairs exist and what each marks on its resources
(the expiry of a preview env, ``ecsdeploy:expires``). IAM roles are not covered by the
API, but an env never has roles alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ecsdeploy.aws.clients import Aws
from ecsdeploy.spec.naming import TAG_APP, TAG_ENV, Owner

TAG_EXPIRES = "ecsdeploy:expires"  # ISO 8601 UTC: the env may be removed after it (``gc``)


@dataclass
class Tagged:
    """What the tags say of one app/env: its resources' ARNs and its expiry, if any."""

    owner: Owner
    arns: list[str] = field(default_factory=list)
    expires: str = ""

    def of_kind(self, service: str, resource: str) -> list[str]:
        """The ARNs of one kind: ``("ecs", "service")``, ``("elasticloadbalancing",
        "loadbalancer")`` ..."""
        found = []
        for arn in self.arns:
            parts = arn.split(":", 5)
            if len(parts) == 6 and parts[2] == service and parts[5].startswith(resource + "/"):
                found.append(arn)
        return found


def tagged(aws: Aws, app: str | None = None) -> dict[Owner, Tagged]:
    """Every app/env with a tagged resource in the region (of ``app`` only, if given)."""
    tag_filter: dict[str, object] = {"Key": TAG_APP}
    if app is not None:
        tag_filter["Values"] = [app]
    found: dict[Owner, Tagged] = {}
    for mapping in aws.client("resourcegroupstaggingapi").pages(
        "GetResources", "ResourceTagMappingList", TagFilters=[tag_filter], ResourcesPerPage=100
    ):
        tags = {t["Key"]: t["Value"] for t in mapping.get("Tags", [])}
        if not tags.get(TAG_APP) or not tags.get(TAG_ENV):
            continue
        owner = Owner(tags[TAG_APP], tags[TAG_ENV])
        entry = found.setdefault(owner, Tagged(owner))
        entry.arns.append(str(mapping["ResourceARN"]))
        if tags.get(TAG_EXPIRES):
            entry.expires = max(entry.expires, tags[TAG_EXPIRES])
    return found
