"""Artifacts (a trained model, say): local files uploaded to S3 under a content-addressed key.

The key holds the file's digest, so an unchanged file means an unchanged key: ``up``
finds it and uploads nothing, and the ``${artifacts.NAME.uri}`` a service gets does not
change either. A changed file gets a new key, hence a new task-definition revision.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from ecsdeploy.spec.models import Spec
from ecsdeploy.spec.naming import fit

MAX_BUCKET = 63


class ArtifactError(Exception):
    """An artifact's source file cannot be read."""


@dataclass(frozen=True)
class ArtifactRef:
    name: str
    path: Path
    bucket: str
    key: str
    sha256: str
    created_bucket: bool  # False when the spec names an existing bucket

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"

    @property
    def prefix(self) -> str:
        """The key prefix every version of this artifact lives under."""
        return self.key.rsplit("/", 2)[0]


def bucket_name(app: str, env: str, account: str) -> str:
    """The bucket ecsdeploy creates for an app's artifacts (names are global in S3)."""
    return fit(f"{app}-{env}-artifacts-{account}", MAX_BUCKET)


def digest(path: Path) -> str:
    sha = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                sha.update(block)
    except OSError as exc:
        raise ArtifactError(f"cannot read {path}: {exc.strerror}") from exc
    return sha.hexdigest()


def resolve(spec: Spec, base: Path, account: str | None) -> dict[str, ArtifactRef]:
    out = {}
    for name, artifact in spec.artifacts.items():
        path = (base / artifact.source).resolve()
        if not path.is_file():
            raise ArtifactError(f"artifacts.{name}.source: {path} is not a file")
        sha = digest(path)
        prefix = (artifact.prefix or name).strip("/")
        bucket = artifact.bucket or bucket_name(spec.app, spec.env, account or "")
        key = f"{prefix}/{sha[:16]}/{path.name}"
        out[name] = ArtifactRef(name, path, bucket, key, sha, artifact.bucket is None)
    return out
