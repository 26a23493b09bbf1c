"""S3 buckets: private (public access blocked), encrypted; optionally a bucket policy and
an expiry lifecycle rule (the load balancer's access-log bucket has both).

The artifacts bucket is kept by ``down`` unless ``--purge-data``: it holds data (models),
not just configuration. ``policy`` and ``expire_days`` are compared only for buckets
whose desired props name them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ecsdeploy.aws.errors import AwsError, NotFound
from ecsdeploy.resources.base import (
    OPTIONAL,
    Change,
    Desired,
    DownKeeps,
    Handler,
    Observed,
    Props,
    owned_key,
)
from ecsdeploy.resources.describe import Line, Names, value
from ecsdeploy.resources.iam_role import canonical
from ecsdeploy.spec.naming import dict_to_tags, tags_to_dict

EXPIRY_RULE = "ecsdeploy-expire"
PRIVATE = {
    "BlockPublicAcls": True,
    "IgnorePublicAcls": True,
    "BlockPublicPolicy": True,
    "RestrictPublicBuckets": True,
}


DATA_BUCKETS = frozenset({"bucket/artifacts"})  # hold data (models): kept by ``down``
KEEP_DATA = DownKeeps(
    "--purge-data",
    by_default=True,
    note="Keeping bucket {name}: it holds data. `down --purge-data` deletes it.",
)


@dataclass(frozen=True, kw_only=True)
class BucketProps(Props):
    """``expire_days`` and ``policy`` are set for the access-log bucket only (absent
    otherwise: the artifacts bucket's are not compared)."""

    name: str
    private: bool
    encryption: str
    expire_days: int | None = field(default=None, metadata=OPTIONAL)
    policy: str | None = field(default=None, metadata=OPTIONAL)  # canonical JSON


class BucketHandler(Handler[BucketProps]):
    kind: ClassVar[str] = "s3.bucket"
    props_class: ClassVar[type[Props]] = BucketProps
    label: ClassVar[str] = "S3 bucket"
    delete_note: ClassVar[str] = "with every object in it"
    layer: ClassVar[str] = "data"
    rank: ClassVar[int] = 0
    services: ClassVar[tuple[str, ...]] = ("s3",)
    replace_on: ClassVar[frozenset[str]] = frozenset({"name"})
    held_by_dependents: ClassVar[bool] = True

    @classmethod
    def describe(cls, props: BucketProps, names: Names) -> list[Line]:
        return [
            ("private", value(props.private, names)),
            ("encryption", str(props.encryption)),
        ]

    @classmethod
    def down_keeps(cls, have: Observed) -> DownKeeps | None:
        # the access-log bucket goes with the load balancer: its logs expire anyway
        return KEEP_DATA if have.key in DATA_BUCKETS else None

    def observe(self, wants: Sequence[Desired]) -> list[Observed]:
        s3 = self.client("s3")
        prefix = f"{self.ctx.owner.app}-{self.ctx.owner.env}-"
        wanted = {w.name: w for w in wants}
        found: list[Observed] = []
        for bucket in s3.list_buckets().get("Buckets", []):
            name = bucket["Name"]
            if not name.startswith(prefix) and name not in wanted:
                continue
            try:
                tags = tags_to_dict(s3.get_bucket_tagging(Bucket=name).get("TagSet"))
            except NotFound:  # NoSuchTagSet
                tags = {}
            except AwsError:
                continue  # another account's bucket or no access: not ours to read
            key = owned_key(self.ctx.owner, tags)
            if key is None:
                found += self.taken(wanted, name, name, tags)
                continue
            found.append(
                Observed(
                    self.kind, key, name, name, self._props(name), attrs={"name": name}, tags=tags
                )
            )
        return found

    def _props(self, name: str) -> dict[str, Any]:
        s3 = self.client("s3")
        try:
            block = s3.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"]
        except NotFound:
            block = {}
        try:
            rules = s3.get_bucket_encryption(Bucket=name)["ServerSideEncryptionConfiguration"]
            algorithm = rules["Rules"][0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"]
        except (NotFound, KeyError, IndexError):
            algorithm = None
        try:
            policy: str | None = canonical(s3.get_bucket_policy(Bucket=name)["Policy"])
        except NotFound:  # NoSuchBucketPolicy
            policy = None
        return {
            "name": name,
            "private": all(block.get(k) for k in PRIVATE),
            "encryption": algorithm,
            "expire_days": self._expiry(name),
            "policy": policy,
        }

    def _expiry(self, name: str) -> int | None:
        try:
            rules = self.client("s3").get_bucket_lifecycle_configuration(Bucket=name)["Rules"]
        except NotFound:  # NoSuchLifecycleConfiguration
            return None
        for rule in rules:
            days = rule.get("Expiration", {}).get("Days")
            if rule.get("Status") == "Enabled" and days is not None:
                return int(days)
        return None

    def create(self, want: Desired, props: BucketProps) -> Observed:
        s3 = self.client("s3")
        tags = dict_to_tags(self.tags(want))
        config: dict[str, Any] = {"Tags": tags}  # tagged at creation
        if self.ctx.aws.region != "us-east-1":  # us-east-1 refuses its own LocationConstraint
            config["LocationConstraint"] = self.ctx.aws.region
        s3.create_bucket(Bucket=props.name, CreateBucketConfiguration=config)
        try:
            tagged = bool(s3.get_bucket_tagging(Bucket=props.name).get("TagSet"))
        except NotFound:  # NoSuchTagSet
            tagged = False
        if not tagged:  # emulators that ignore tags at creation (moto): tag before all else
            s3.put_bucket_tagging(Bucket=props.name, Tagging={"TagSet": tags})
        have = Observed(
            self.kind,
            want.key,
            props.name,
            props.name,
            {
                "name": props.name,
                "private": False,
                "encryption": None,
                "expire_days": None,
                "policy": None,
            },
            attrs={"name": props.name},
            tags=self.tags(want),
        )
        return self.update(want, props, have, self.diff(props, have))

    def update(
        self, want: Desired, props: BucketProps, have: Observed, changes: list[Change]
    ) -> Observed:
        s3 = self.client("s3")
        for change in changes:
            if change.field == "private" and change.after:
                s3.put_public_access_block(Bucket=have.name, PublicAccessBlockConfiguration=PRIVATE)
            elif change.field == "encryption" and change.after:
                s3.put_bucket_encryption(
                    Bucket=have.name,
                    ServerSideEncryptionConfiguration={
                        "Rules": [
                            {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": change.after}}
                        ]
                    },
                )
            elif change.field == "expire_days":
                self._set_expiry(have.name, change.after)
            elif change.field == "policy":
                if change.after:
                    s3.put_bucket_policy(Bucket=have.name, Policy=change.after)
                else:
                    s3.delete_bucket_policy(Bucket=have.name)
            have.props[change.field] = change.after
        return have

    def _set_expiry(self, name: str, days: int | None) -> None:
        s3 = self.client("s3")
        if days is None:
            s3.delete_bucket_lifecycle(Bucket=name)
            return
        rule = {
            "ID": EXPIRY_RULE,
            "Status": "Enabled",
            "Filter": {"Prefix": ""},
            "Expiration": {"Days": int(days)},
            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
        }
        s3.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={"Rules": [rule]})

    def delete(self, have: Observed) -> None:
        s3 = self.client("s3")
        # a bucket must be empty first: every object version and delete marker
        while True:
            out = s3.list_object_versions(Bucket=have.name, MaxKeys=1000)
            objects = [
                {"Key": v["Key"], "VersionId": v["VersionId"]}
                for v in out.get("Versions", []) + out.get("DeleteMarkers", [])
            ]
            if not objects:
                break
            s3.delete_objects(Bucket=have.name, Delete={"Objects": objects, "Quiet": True})
        s3.delete_bucket(Bucket=have.name)
