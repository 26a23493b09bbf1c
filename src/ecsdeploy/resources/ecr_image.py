"""A built image in its registry, by content tag.

``observe`` asks the registry whether the tag is there; ``create`` pushes the image that
``up`` built before changing anything. Unchanged sources mean an unchanged tag, found in
the registry: no build, no push. Images are never deleted one by one: the repository's
lifecycle policy expires old ones and ``down`` deletes the repository.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from ecsdeploy.resources import keys
from ecsdeploy.resources.base import Desired, Handler, Observed, Props
from ecsdeploy.resources.describe import Line, Names


@dataclass(frozen=True, kw_only=True)
class ImageProps(Props):
    registry: str
    repository: str
    tag: str


class ImageHandler(Handler[ImageProps]):
    kind: ClassVar[str] = "ecr.image"
    props_class: ClassVar[type[Props]] = ImageProps
    label: ClassVar[str] = "image push"
    layer: ClassVar[str] = "images"
    rank: ClassVar[int] = 1
    services: ClassVar[tuple[str, ...]] = ("ecr",)
    replace_on: ClassVar[frozenset[str]] = frozenset({"registry", "repository", "tag"})

    @classmethod
    def describe(cls, props: ImageProps, names: Names) -> list[Line]:
        return [("push to", f"{props.registry}/{props.repository}:{props.tag}")]

    def observe(self, wants: Sequence[Desired]) -> list[Observed]:
        images = self.ctx.images
        if images is None:
            return []
        found = []
        for want in wants:
            props = want.props
            assert isinstance(props, ImageProps)
            if images.registry.has(props.registry, props.repository, props.tag):
                found.append(self._observed(want, props))
        return found

    def _observed(self, want: Desired, props: ImageProps) -> Observed:
        uri = f"{props.registry}/{props.repository}:{props.tag}"
        return Observed(self.kind, want.key, uri, want.name, props.as_mapping(), attrs={"uri": uri})

    def create(self, want: Desired, props: ImageProps) -> Observed:
        images = self.ctx.images
        if images is None or images.pusher is None:
            raise ImageMissing(
                f"{want.name} is not in the registry, and this command builds no images"
            )
        images.pusher(keys.image_service(want.key), self.ctx.note)
        return self._observed(want, props)

    def delete(self, have: Observed) -> None:
        return None  # see the module docstring


class ImageMissing(Exception):
    """An image the plan needs is neither in the registry nor built by this run."""
