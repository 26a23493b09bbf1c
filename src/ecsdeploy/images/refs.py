"""Where each service's image comes from: given by ``image:``, or built from ``build:``.

A built image goes to the service's ECR repository (``APP/ENV/SERVICE``) under a content
tag. ``ECSDEPLOY_REGISTRY=host:port`` sends pushes to that registry instead of the ECR host
(still with ECR's credentials): that is how the demo and the tests push for real next to
an AWS emulator.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ecsdeploy.images.content_tag import content_tag, repository_name
from ecsdeploy.spec.models import Build, Job, Service, Spec

REGISTRY_ENV = "ECSDEPLOY_REGISTRY"
MUTABLE_TAGS = frozenset({"latest", "main", "master", "dev", "prod", "stable"})


@dataclass(frozen=True)
class ImageRef:
    """The image one service runs, and for built ones where it is built and pushed."""

    service: str
    uri: str  # what the task definition references
    repository: str | None = None  # ECR repository name, when ecsdeploy builds the image
    tag: str | None = None
    registry: str | None = None  # the host pushed to
    context: Path | None = None
    build: Build | None = None

    @property
    def built(self) -> bool:
        """Whether ecsdeploy builds and pushes it (a promoted image keeps its repository
        but is neither built nor pushed: ``tag`` is None)."""
        return self.repository is not None and self.tag is not None


def registry_override() -> str | None:
    value = os.environ.get(REGISTRY_ENV, "").strip()
    return value or None


def resolve(spec: Spec, base: Path, ecr_host: str | None) -> dict[str, ImageRef]:
    """ImageRefs of all services and jobs; ``ecr_host`` is needed only for built ones."""
    out: dict[str, ImageRef] = {}
    registry = registry_override() or ecr_host
    runs: list[tuple[str, Service | Job]] = [*spec.services.items(), *spec.jobs.items()]
    for name, svc in runs:
        if svc.image is not None:
            out[name] = ImageRef(name, svc.image)
            continue
        assert svc.build is not None and registry is not None
        context = (base / svc.build.context).resolve()
        tag = content_tag(context, svc.build)
        repo = repository_name(spec.app, spec.env, name)
        out[name] = ImageRef(
            name, f"{registry}/{repo}:{tag}", repo, tag, registry, context, svc.build
        )
    return out


def mutable_tag(image: str) -> bool:
    """Whether an ``image:`` reference can change under the same name (warn about it)."""
    if "@sha256:" in image:
        return False
    last = image.rsplit("/", 1)[-1]
    tag = last.split(":", 1)[1] if ":" in last else "latest"
    return tag in MUTABLE_TAGS
