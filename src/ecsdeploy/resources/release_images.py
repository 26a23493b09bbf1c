"""Keeping the images a kept release runs: each release tags the images it runs in the app's
own ECR repositories with ``release-NNNNNN``, and pruning a release from the ledger removes
its tag.

The repositories' lifecycle policy (``resources.ecr_repository.lifecycle_policy``) has, before
its "keep the newest N images" rule, a rule that selects the images tagged ``release-``:
"an image that matches the tagging requirements of a higher priority rule cannot be expired
by a rule with a lower priority" (Amazon ECR User Guide, "Lifecycle policy evaluation
rules"), so no image a kept release runs is expired, however many images are pushed after
it. That rule itself expires only beyond ``RELEASE_IMAGES`` such images, more than the
ledger's ``KEPT`` releases can tag in one repository.

A tag is added with PutImage of the image's own manifest (BatchGetImage reads it): the
image and its content tag stay as they are; the repositories' tags are immutable, and a new
tag on an existing image is allowed. Removing a tag is a BatchDeleteImage by that tag: it
removes the tag only while the image has another (its content tag always).

Images from elsewhere (``image:`` in the spec) are not ecsdeploy's to keep: only images in
the app's repositories (``APP/ENV/SERVICE``) are tagged.
"""

from __future__ import annotations

from collections.abc import Mapping

from ecsdeploy.aws.clients import Aws
from ecsdeploy.aws.errors import AwsError
from ecsdeploy.resources.releases import KEPT, Release, ServiceRelease
from ecsdeploy.spec.naming import Owner

RELEASE_TAG_PREFIX = "release-"
RELEASE_IMAGES = 2 * KEPT  # release-tagged images a repository keeps at most


def release_tag(number: int) -> str:
    return f"{RELEASE_TAG_PREFIX}{number:06d}"


def in_app_repository(owner: Owner, image: str) -> tuple[str, str] | None:
    """(repository, tag or digest) of an image in one of the app's ECR repositories."""
    host, _, rest = image.partition("/")
    if ".dkr.ecr." not in host or not rest.startswith(f"{owner.app}/{owner.env}/"):
        return None
    if "@" in rest:
        repository, _, ref = rest.partition("@")
        return repository, ref
    repository, _, tag = rest.rpartition(":")
    return (repository, tag) if repository else None


def tag(
    aws: Aws, owner: Owner, number: int, services: Mapping[str, ServiceRelease]
) -> tuple[dict[str, ServiceRelease], list[str]]:
    """Tag the images of ``services`` that are in the app's repositories as release
    ``number``; returns the services with the images' digests, and warnings."""
    ecr = aws.client("ecr")
    out = dict(services)
    warnings = []
    for name, svc in services.items():
        found = in_app_repository(owner, svc.image)
        if found is None:
            continue
        repository, ref = found
        image_id = {"imageDigest": ref} if ref.startswith("sha256:") else {"imageTag": ref}
        try:
            images = ecr.batch_get_image(repositoryName=repository, imageIds=[image_id])["images"]
            if not images:
                warnings.append(f"image of {name} not found in {repository} to keep it")
                continue
            image = images[0]
            digest = str(image["imageId"]["imageDigest"])
            out[name] = ServiceRelease(
                svc.task_definition, svc.image, digest, svc.deployment, svc.outcome
            )
            args = {
                "repositoryName": repository,
                "imageManifest": image["imageManifest"],
                "imageTag": release_tag(number),
            }
            if image.get("imageManifestMediaType"):
                args["imageManifestMediaType"] = image["imageManifestMediaType"]
            ecr.put_image(**args)
        except AwsError as exc:
            if exc.code == "ImageAlreadyExistsException":
                continue  # tagged already (the same image in two services)
            warnings.append(f"could not tag the image of {name} to keep it ({exc.message})")
    return out, warnings


def untag(aws: Aws, owner: Owner, release: Release) -> list[str]:
    """Remove ``release``'s tag from its images (the images stay, by their content tags);
    returns warnings."""
    ecr = aws.client("ecr")
    warnings = []
    repositories = {
        found[0]
        for svc in release.services.values()
        if (found := in_app_repository(owner, svc.image)) is not None
    }
    for repository in sorted(repositories):
        try:
            ecr.batch_delete_image(
                repositoryName=repository, imageIds=[{"imageTag": release_tag(release.number)}]
            )
        except AwsError as exc:  # a repository deleted since: nothing to keep
            if exc.code != "RepositoryNotFoundException":
                warnings.append(f"could not untag {repository} ({exc.message})")
    return warnings
