"""The images check: each `image:` in ECR exists; other registries cannot be checked."""

from __future__ import annotations

import re

from ecsdeploy.aws.errors import AwsError, NotFound
from ecsdeploy.images.refs import mutable_tag
from ecsdeploy.plan.preflight.base import (
    IMAGES,
    Check,
    Facts,
)
from ecsdeploy.spec.models import Spec

ECR_URI_RE = re.compile(
    r"^(?P<account>\d{12})\.dkr\.ecr(?:-fips)?\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?"
    r"/(?P<repo>[^:@]+)(?::(?P<tag>[^@]+))?(?:@(?P<digest>sha256:[0-9a-fA-F]{64}))?$"
)


def check_images(spec: Spec, ctx: Facts) -> list[Check]:
    """Each ``image:`` in ECR exists (ECR DescribeImages); other registries can't be checked."""
    given = {name: svc.image for name, svc in spec.services.items() if svc.image is not None}
    if not given:
        return [Check(IMAGES, "SKIP", "no `image:` in the spec (built images are pushed by up)")]
    out: list[Check] = []
    for name, image in given.items():
        out.append(_image(spec, ctx, name, image))
    return out


def _image(spec: Spec, ctx: Facts, service: str, image: str) -> Check:
    mutable = (
        f"tag '{_tag_of(image)}' is mutable: a new push changes what runs on the next task "
        "start; pin a version tag or an @sha256: digest"
        if mutable_tag(image)
        else ""
    )
    where = f"{service}: {image}"
    found = ECR_URI_RE.match(image)
    if found is None:
        if mutable:
            return Check(IMAGES, "WARN", f"{where}: not in ECR, not checked; {mutable}")
        return Check(IMAGES, "SKIP", f"{where}: not in ECR: cannot check")
    if found["region"] != spec.region:
        if mutable:
            return Check(
                IMAGES, "WARN", f"{where}: ECR in {found['region']}, not checked; {mutable}"
            )
        return Check(
            IMAGES,
            "SKIP",
            f"{where}: ECR in {found['region']}, not the spec's region {spec.region}: cannot check",
        )
    aws = ctx.require()
    repo = found["repo"]
    image_id = (
        {"imageDigest": found["digest"]}
        if found["digest"]
        else {"imageTag": found["tag"] or "latest"}
    )
    try:
        aws.client("ecr").describe_images(
            registryId=found["account"], repositoryName=repo, imageIds=[image_id]
        )
    except NotFound as exc:
        if "Repository" in exc.code:
            return Check(
                IMAGES,
                "FAIL",
                f"{where}: ECR repository {repo} does not exist in account {found['account']}",
            )
        return Check(IMAGES, "FAIL", f"{where}: not found in ECR repository {repo} (push it first)")
    except AwsError as exc:
        return Check(IMAGES, "SKIP", f"{where}: could not check: {exc}")
    if mutable:
        return Check(IMAGES, "WARN", f"{where}: exists, but {mutable}")
    return Check(IMAGES, "OK", f"{where}: exists")


def _tag_of(image: str) -> str:
    last = image.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else "latest"
