"""spec -> what ``up`` uploads: an ECR repository and the pushed image per built service,
and the artifacts' S3 bucket and objects. Pure: the images and artifacts come resolved."""

from __future__ import annotations

from collections.abc import Mapping

from ecsdeploy.images.artifacts import ArtifactRef
from ecsdeploy.images.refs import ImageRef
from ecsdeploy.resources import keys
from ecsdeploy.resources.base import Desired
from ecsdeploy.resources.ecr_image import ImageProps
from ecsdeploy.resources.ecr_repository import RepositoryProps
from ecsdeploy.resources.s3_bucket import BucketProps
from ecsdeploy.resources.s3_object import ObjectProps
from ecsdeploy.spec.naming import Owner

KEEP_IMAGES = 10  # the repository lifecycle policy keeps this many


def image_resources(owner: Owner, images: Mapping[str, ImageRef]) -> list[Desired]:
    """A repository and an image for each service ecsdeploy builds (none for ``image:``);
    a promoted image (``ops.promote``) keeps its repository but pushes nothing."""
    out = []
    for name, ref in images.items():
        if ref.repository is None:
            continue
        out.append(
            Desired(
                "ecr.repository",
                keys.repository(name),
                ref.repository,
                RepositoryProps(name=ref.repository, scan_on_push=True, keep=KEEP_IMAGES),
            )
        )
        if not ref.built:
            continue
        assert ref.tag and ref.registry
        out.append(
            Desired(
                "ecr.image",
                keys.image(name),
                f"{ref.repository}:{ref.tag}",
                ImageProps(registry=ref.registry, repository=ref.repository, tag=ref.tag),
                depends_on=(keys.repository(name),),
            )
        )
    return out


def artifact_resources(owner: Owner, artifacts: Mapping[str, ArtifactRef]) -> list[Desired]:
    """The bucket ecsdeploy creates for artifacts (if any), then one object per artifact."""
    out = []
    buckets = sorted({a.bucket for a in artifacts.values() if a.created_bucket})
    for bucket in buckets:
        out.append(
            Desired(
                "s3.bucket",
                keys.ARTIFACTS_BUCKET,
                bucket,
                BucketProps(name=bucket, private=True, encryption="AES256"),
            )
        )
    for name, ref in sorted(artifacts.items()):
        out.append(
            Desired(
                "s3.object",
                keys.artifact(name),
                ref.uri,
                ObjectProps(bucket=ref.bucket, key=ref.key, sha256=ref.sha256),
                depends_on=(keys.ARTIFACTS_BUCKET,) if ref.created_bucket else (),
                initial={"path": str(ref.path)},
            )
        )
    return out
