"""Every AWS name and tag ecsdeploy uses, derived deterministically from app, env and service.

Names must fit AWS limits (load balancers and target groups: 32 characters; IAM roles: 64);
a name that would be too long is cut and given a short hash of the full name, so that two
long names never collide and the same spec always gives the same name.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

NAME_RE = re.compile(r"^[a-z](?:[a-z0-9-]*[a-z0-9])?$")
MAX_APP = 32
MAX_ENV = 16
MAX_SERVICE = 32

# Tag keys every resource carries; ownership is decided by these, never by name alone.
TAG_APP = "ecsdeploy:app"
TAG_ENV = "ecsdeploy:env"
TAG_KEY = "ecsdeploy:key"  # the resource's logical key within the app, e.g. "subnet/public-0"

LIMITS = {
    "alb": 32,
    "target_group": 32,
    "iam_role": 64,
    "security_group": 255,
    "log_group": 512,
}


def fit(name: str, limit: int) -> str:
    """Return ``name`` if it fits ``limit``, else a cut-down name ending in a stable hash."""
    if len(name) <= limit:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:7]
    head = name[: limit - len(digest) - 1].rstrip("-")
    return f"{head}-{digest}"


def name_problem(value: str, limit: int) -> str | None:
    """Why ``value`` is not a valid app/env/service name, or None."""
    if not value:
        return "must not be empty"
    if len(value) > limit:
        return f"is {len(value)} characters; use at most {limit}"
    if not NAME_RE.match(value):
        return (
            "must be lowercase letters, digits and hyphens, start with a letter and not end "
            "with a hyphen (e.g. 'ml-api')"
        )
    if "--" in value:
        return "must not contain '--'"
    return None


@dataclass(frozen=True)
class Owner:
    """The app and env that own a set of resources."""

    app: str
    env: str

    @property
    def prefix(self) -> str:
        return f"{self.app}-{self.env}"

    def tags(self, key: str, name: str | None = None) -> dict[str, str]:
        tags = {TAG_APP: self.app, TAG_ENV: self.env, TAG_KEY: key}
        if name:
            tags["Name"] = name
        return tags

    def owns(self, tags: dict[str, str]) -> bool:
        return tags.get(TAG_APP) == self.app and tags.get(TAG_ENV) == self.env

    # --- names -------------------------------------------------------------------------
    def name(self, *parts: str) -> str:
        return "-".join((self.prefix, *parts))

    def iam_path(self) -> str:
        """IAM path under which all of this app's roles live: one ListRoles finds them."""
        return f"/ecsdeploy/{self.app}/{self.env}/"

    def role_name(self, *parts: str) -> str:
        return fit(self.name(*parts), LIMITS["iam_role"])

    def log_group(self, service: str) -> str:
        return f"/ecsdeploy/{self.app}/{self.env}/{service}"

    def applied_record(self) -> str:
        """The SSM parameter of the applied record (reconcile/applied.py)."""
        return f"/ecsdeploy/{self.app}/{self.env}/applied"

    def expiry_parameter(self) -> str:
        """The SSM parameter of the env's `up --ttl` expiry (resources/expiry.py)."""
        return f"/ecsdeploy/{self.app}/{self.env}/expires"

    def log_group_prefix(self) -> str:
        return f"/ecsdeploy/{self.app}/{self.env}/"

    def alb_name(self) -> str:
        return fit(self.prefix, LIMITS["alb"])

    def target_group_name(self, service: str) -> str:
        return fit(self.name(service), LIMITS["target_group"])


def tags_to_dict(tags: list[dict[str, str]] | None) -> dict[str, str]:
    """AWS tag lists come as [{'Key': k, 'Value': v}]; some APIs use lowercase keys."""
    out: dict[str, str] = {}
    for tag in tags or []:
        key = tag.get("Key", tag.get("key"))
        value = tag.get("Value", tag.get("value", ""))
        if key is not None:
            out[key] = value
    return out


def dict_to_tags(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in sorted(tags.items())]
