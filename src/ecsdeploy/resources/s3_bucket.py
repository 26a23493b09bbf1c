"""The S3 bucket for the app's artifacts: private (public access blocked), encrypted.

Kept by ``down`` unless ``--purge-data``: it holds data (models), not just configuration.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from ecsdeploy.aws.errors import AwsError, NotFound
from ecsdeploy.resources.base import Change, Desired, Handler, Observed, owned_key
from ecsdeploy.spec.naming import dict_to_tags, tags_to_dict

PRIVATE = {
    "BlockPublicAcls": True,
    "IgnorePublicAcls": True,
    "BlockPublicPolicy": True,
    "RestrictPublicBuckets": True,
}


class BucketHandler(Handler):
    kind: ClassVar[str] = "s3.bucket"
    layer: ClassVar[str] = "data"
    rank: ClassVar[int] = 0
    services: ClassVar[tuple[str, ...]] = ("s3",)
    replace_on: ClassVar[frozenset[str]] = frozenset({"name"})
    held_by_dependents: ClassVar[bool] = True

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
        return {
            "name": name,
            "private": all(block.get(k) for k in PRIVATE),
            "encryption": algorithm,
        }

    def create(self, want: Desired, props: Mapping[str, Any]) -> Observed:
        s3 = self.client("s3")
        tags = dict_to_tags(self.tags(want))
        config: dict[str, Any] = {"Tags": tags}  # tagged at creation
        if self.ctx.aws.region != "us-east-1":  # us-east-1 refuses its own LocationConstraint
            config["LocationConstraint"] = self.ctx.aws.region
        s3.create_bucket(Bucket=props["name"], CreateBucketConfiguration=config)
        try:
            tagged = bool(s3.get_bucket_tagging(Bucket=props["name"]).get("TagSet"))
        except NotFound:  # NoSuchTagSet
            tagged = False
        if not tagged:  # emulators that ignore tags at creation (moto): tag before all else
            s3.put_bucket_tagging(Bucket=props["name"], Tagging={"TagSet": tags})
        have = Observed(
            self.kind,
            want.key,
            props["name"],
            props["name"],
            {"name": props["name"], "private": False, "encryption": None},
            attrs={"name": props["name"]},
            tags=self.tags(want),
        )
        return self.update(want, props, have, self.diff(props, have))

    def update(
        self, want: Desired, props: Mapping[str, Any], have: Observed, changes: list[Change]
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
            have.props[change.field] = change.after
        return have

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
