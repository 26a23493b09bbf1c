"""A promoted image (``ops.promote``) keeps its service's ECR repository but is neither built
nor pushed: the repository stays wanted (the env's own images stay where they are), no image
step is planned, and the task definition runs the pinned image."""

from __future__ import annotations

from pathlib import Path

from ecsdeploy.desired.uploads import image_resources
from ecsdeploy.images.refs import ImageRef
from ecsdeploy.spec.naming import Owner

PINNED = "123456789012.dkr.ecr.us-west-2.amazonaws.com/mlapp/dev/api@sha256:abc"


def test_a_promoted_image_keeps_its_repository_and_pushes_nothing() -> None:
    built = ImageRef("api", "host/mlapp/prod/api:c-1", "mlapp/prod/api", "c-1", "host", Path("."))
    promoted = ImageRef("api", PINNED, "mlapp/prod/api")
    assert built.built and not promoted.built
    owner = Owner("mlapp", "prod")
    assert [d.kind for d in image_resources(owner, {"api": built})] == [
        "ecr.repository",
        "ecr.image",
    ]
    wanted = image_resources(owner, {"api": promoted})
    assert [(d.kind, d.name) for d in wanted] == [("ecr.repository", "mlapp/prod/api")]
    assert image_resources(owner, {"web": ImageRef("web", "nginx:1.27")}) == []
