"""An artifact in S3 under its content-addressed key: uploaded only when not there yet.

Objects are never deleted one by one: old keys stay for rollback, and ``down
--purge-data`` deletes the bucket with its contents.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

from ecsdeploy.aws.errors import AwsError, NotFound
from ecsdeploy.resources.base import Desired, Handler, Observed
from ecsdeploy.resources.describe import Line, Names


class ObjectHandler(Handler):
    kind: ClassVar[str] = "s3.object"
    label: ClassVar[str] = "artifact upload"
    layer: ClassVar[str] = "data"
    rank: ClassVar[int] = 1
    services: ClassVar[tuple[str, ...]] = ("s3",)
    replace_on: ClassVar[frozenset[str]] = frozenset({"bucket", "key", "sha256"})

    @classmethod
    def describe(cls, props: Mapping[str, Any], names: Names) -> list[Line]:
        return [("upload to", f"s3://{props['bucket']}/{props['key']}")]

    def observe(self, wants: Sequence[Desired]) -> list[Observed]:
        s3 = self.client("s3")
        found = []
        for want in wants:
            props = want.props
            try:
                head = s3.head_object(Bucket=props["bucket"], Key=props["key"])
            except NotFound:
                continue
            except AwsError as exc:
                if exc.code in ("404", "NoSuchBucket"):  # HEAD errors carry only the status
                    continue
                raise
            sha = head.get("Metadata", {}).get("sha256")
            found.append(self._observed(want, {**props, "sha256": sha}))
        return found

    def _observed(self, want: Desired, props: Mapping[str, Any]) -> Observed:
        uri = f"s3://{props['bucket']}/{props['key']}"
        return Observed(self.kind, want.key, uri, want.name, dict(props), attrs={"uri": uri})

    def create(self, want: Desired, props: Mapping[str, Any]) -> Observed:
        path = Path(want.initial["path"])
        self.ctx.note(f"uploading {path.name} ({path.stat().st_size:,} bytes)")
        with path.open("rb") as body:
            self.client("s3").put_object(
                Bucket=props["bucket"],
                Key=props["key"],
                Body=body,
                ServerSideEncryption="AES256",
                Metadata={"sha256": props["sha256"]},
            )
        return self._observed(want, props)

    def delete(self, have: Observed) -> None:
        return None  # see the module docstring
