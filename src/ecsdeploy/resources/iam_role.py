"""IAM roles: the task execution role and one task role per service.

All of an app's roles live under the IAM path ``/ecsdeploy/APP/ENV/``, so one paginated
ListRoles finds them; ownership is still decided by their tags. Policies are compared as
canonical JSON so that key order or whitespace never shows as a change.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import unquote

from ecsdeploy.aws.errors import NotFound
from ecsdeploy.resources.base import Change, Desired, Handler, Observed, Props, owned_key
from ecsdeploy.resources.describe import Line, Names
from ecsdeploy.resources.reads import read_each
from ecsdeploy.spec.naming import dict_to_tags, tags_to_dict


def canonical(document: Any) -> str:
    """Policy documents as sorted, compact JSON; AWS may return them URL-encoded."""
    if isinstance(document, str):
        document = json.loads(unquote(document))
    return json.dumps(_normalise(document), sort_keys=True, separators=(",", ":"))


def _normalise(value: Any) -> Any:
    # IAM returns a one-element list as a plain string and vice versa; compare as lists.
    if isinstance(value, dict):
        return {k: _normalise(v) for k, v in value.items()}
    if isinstance(value, list):
        items = [_normalise(v) for v in value]
        if all(isinstance(i, str) for i in items):
            return sorted(items)
        return items
    return value


def trust_policy(service: str) -> str:
    return canonical(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
            ],
        }
    )


@dataclass(frozen=True, kw_only=True)
class RoleProps(Props):
    path: str  # /ecsdeploy/APP/ENV/
    trust: str  # who may assume it: canonical JSON
    managed: frozenset[str]  # managed policy ARNs
    inline: Mapping[str, str]  # inline policy name -> canonical JSON


class IamRoleHandler(Handler[RoleProps]):
    kind: ClassVar[str] = "iam.role"
    props_class: ClassVar[type[Props]] = RoleProps
    label: ClassVar[str] = "IAM role"
    layer: ClassVar[str] = "iam"
    rank: ClassVar[int] = 0
    services: ClassVar[tuple[str, ...]] = ("iam",)
    replace_on: ClassVar[frozenset[str]] = frozenset({"path"})

    @classmethod
    def describe(cls, props: RoleProps, names: Names) -> list[Line]:
        lines = [("used by", _trust(str(props.trust)))]
        managed = sorted(str(m).rsplit("/", 1)[-1] for m in props.managed or ())
        if managed:
            lines.append(("AWS policies", ", ".join(managed)))
        for name, doc in sorted((props.inline or {}).items()):
            lines.append((f"allows ({name})", _policy_actions(str(doc))))
        return lines

    def observe(self, wants: Sequence[Desired]) -> list[Observed]:
        iam = self.client("iam")
        found: list[Observed] = []
        seen: set[str] = set()
        listed = iam.pages("ListRoles", "Roles", PathPrefix=self.ctx.owner.iam_path())
        # IAM has no batch read of roles with their policies: one role at a time, concurrently
        for observed in read_each(self._read, [role["RoleName"] for role in listed]):
            if observed is not None:
                found.append(observed)
                seen.add(observed.name)
        # A wanted name outside our path (or untagged) is someone else's role. On a first
        # up every name is unseen: one GetRole each, concurrently.
        unseen = [want for want in wants if want.name not in seen]
        for want, role in zip(unseen, read_each(self._role, unseen), strict=True):
            if role is not None:
                tags = tags_to_dict(role.get("Tags"))
                found.append(
                    Observed(
                        self.kind, want.key, role["Arn"], want.name, {}, tags=tags, owned=False
                    )
                )
        return found

    def _role(self, want: Desired) -> dict[str, Any] | None:
        try:
            role: dict[str, Any] = self.client("iam").get_role(RoleName=want.name)["Role"]
        except NotFound:
            return None
        return role

    def _read(self, name: str) -> Observed | None:
        iam = self.client("iam")

        def role_of() -> dict[str, Any] | None:
            try:
                found: dict[str, Any] = iam.get_role(RoleName=name)["Role"]
            except NotFound:
                return None
            return found

        def listed(operation: str, field: str) -> Callable[[], list[Any]]:
            def read() -> list[Any]:
                try:
                    return list(iam.pages(operation, field, RoleName=name))
                except NotFound:  # deleted meanwhile: GetRole says so too
                    return []

            return read

        # the role (for its tags) and its policy lists need only the name: one round trip
        # together; a role under our path that is not ours (rare) costs two reads too many
        reads: list[Callable[[], Any]] = [
            role_of,
            listed("ListAttachedRolePolicies", "AttachedPolicies"),
            listed("ListRolePolicies", "PolicyNames"),
        ]
        results: list[Any] = read_each(lambda read: read(), reads)
        role, attached, inline_names = results
        if role is None:
            return None
        tags = tags_to_dict(role.get("Tags"))
        key = owned_key(self.ctx.owner, tags)
        if key is None:
            return None
        managed = frozenset(p["PolicyArn"] for p in attached)
        inline = {
            policy: canonical(
                iam.get_role_policy(RoleName=name, PolicyName=policy)["PolicyDocument"]
            )
            for policy in inline_names
        }
        return Observed(
            kind=self.kind,
            key=key,
            id=role["RoleName"],
            name=role["RoleName"],
            props={
                "path": role["Path"],
                "trust": canonical(role["AssumeRolePolicyDocument"]),
                "managed": managed,
                "inline": inline,
            },
            attrs={"arn": role["Arn"]},
            tags=tags,
        )

    def create(self, want: Desired, props: RoleProps) -> Observed:
        role = self.client("iam").create_role(
            RoleName=want.name,
            Path=props.path,
            AssumeRolePolicyDocument=props.trust,
            Description=f"ecsdeploy {self.ctx.owner.prefix} {want.key}",
            Tags=dict_to_tags(self.tags(want)),
        )["Role"]
        have = Observed(
            kind=self.kind,
            key=want.key,
            id=role["RoleName"],
            name=role["RoleName"],
            props={
                "path": props.path,
                "trust": props.trust,
                "managed": frozenset(),
                "inline": {},
            },
            attrs={"arn": role["Arn"]},
            tags=self.tags(want),
        )
        return self.update(want, props, have, self.diff(props, have))

    def update(
        self, want: Desired, props: RoleProps, have: Observed, changes: list[Change]
    ) -> Observed:
        iam = self.client("iam")
        fields = {c.field for c in changes}
        name = have.name
        if "trust" in fields:
            iam.update_assume_role_policy(RoleName=name, PolicyDocument=props.trust)
        if "managed" in fields:
            old: frozenset[str] = have.props.get("managed") or frozenset()
            new = frozenset(props.managed)
            for arn in sorted(new - old):
                iam.attach_role_policy(RoleName=name, PolicyArn=arn)
            for arn in sorted(old - new):
                try:
                    iam.detach_role_policy(RoleName=name, PolicyArn=arn)
                except NotFound:
                    pass
        if "inline" in fields:
            old_inline: dict[str, str] = have.props.get("inline") or {}
            new_inline: dict[str, str] = dict(props.inline)
            for policy, document in sorted(new_inline.items()):
                if old_inline.get(policy) != document:
                    iam.put_role_policy(RoleName=name, PolicyName=policy, PolicyDocument=document)
            for policy in sorted(set(old_inline) - set(new_inline)):
                try:
                    iam.delete_role_policy(RoleName=name, PolicyName=policy)
                except NotFound:
                    pass
        have.props.update({c.field: c.after for c in changes})
        return have

    def delete(self, have: Observed) -> None:
        iam = self.client("iam")
        for arn in sorted(have.props.get("managed") or ()):
            try:
                iam.detach_role_policy(RoleName=have.name, PolicyArn=arn)
            except NotFound:
                pass
        for policy in sorted(have.props.get("inline") or {}):
            try:
                iam.delete_role_policy(RoleName=have.name, PolicyName=policy)
            except NotFound:
                pass
        iam.delete_role(RoleName=have.name)


def _policy_actions(doc: str) -> str:
    """The actions an IAM policy document allows, on what (Allow statements only)."""
    try:
        statements = json.loads(doc).get("Statement", [])
    except ValueError:
        return doc
    parts = []
    for st in statements if isinstance(statements, list) else [statements]:
        actions = st.get("Action", [])
        resources = st.get("Resource", [])
        actions = [actions] if isinstance(actions, str) else actions
        resources = [resources] if isinstance(resources, str) else resources
        parts.append(f"{', '.join(actions)} on {', '.join(resources)}")
    return "; ".join(parts)


def _trust(doc: str) -> str:
    try:
        statements = json.loads(doc).get("Statement", [])
    except ValueError:
        return doc
    found: list[str] = []
    for st in statements:
        service = st.get("Principal", {}).get("Service", [])
        found += [service] if isinstance(service, str) else service
    return ", ".join(found)
