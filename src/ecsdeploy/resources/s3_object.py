"""An artifact in S3 under its content-addressed key: uploaded only when not there yet.

Objects are never deleted one by one: old keys stay for rollback, and ``down
--purge-data`` deletes the bucket with its contents.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from ecsdeploy.aws.errors import AwsError, NotFound
from ecsdeploy.resources.base import Desired, Handler, Observed, Props
from ecsdeploy.resources.describe import Line, Names


@dataclass(frozen=True, kw_only=True)
class ObjectProps(Props):
    bucket: str
    key: str
    sha256: str  # of the file's content, kept in the object's metadata


class ObjectHandler(Handler[ObjectProps]):
    kind: ClassVar[str] = "s3.object"
    props_class: ClassVar[type[Props]] = ObjectProps
    label: ClassVar[str] = "artifact upload"
    layer: ClassVar[str] = "data"
    rank: ClassVar[int] = 1
    services: ClassVar[tuple[str, ...]] = ("s3",)
    replace_on: ClassVar[frozenset[str]] = frozenset({"bucket", "key", "sha256"})

    @classmethod
    def describe(cls, props: ObjectProps, names: Names) -> list[Line]:
        return [("upload to", f"s3://{props.bucket}/{props.key}")]

    def observe(self, wants: Sequence[Desired]) -> list[Observed]:
        s3 = self.client("s3")
        found = []
        for want in wants:
            props = want.props
            assert isinstance(props, ObjectProps)
            try:
                head = s3.head_object(Bucket=props.bucket, Key=props.key)
            except NotFound:
                continue
            except AwsError as exc:
                if exc.code in ("404", "NoSuchBucket"):  # HEAD errors carry only the status
                    continue
                raise
            sha = head.get("Metadata", {}).get("sha256")
            found.append(self._observed(want, props, sha))
        return found

    def _observed(self, want: Desired, props: ObjectProps, sha256: str | None) -> Observed:
        """The object, with the content digest its metadata holds (None: none)."""
        uri = f"s3://{props.bucket}/{props.key}"
        fields = {**props.as_mapping(), "sha256": sha256}
        return Observed(self.kind, want.key, uri, want.name, fields, attrs={"uri": uri})

    def create(self, want: Desired, props: ObjectProps) -> Observed:
        path = Path(want.initial["path"])
        self.ctx.note(f"uploading {path.name} ({path.stat().st_size:,} bytes)")
        with path.open("rb") as body:
            self.client("s3").put_object(
                Bucket=props.bucket,
                Key=props.key,
                Body=body,
                ServerSideEncryption="AES256",
                Metadata={"sha256": props.sha256},
            )
        return self._observed(want, props, props.sha256)

    def delete(self, have: Observed) -> None:
        return None  # see the module docstring
