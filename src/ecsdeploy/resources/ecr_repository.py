"""ECR repositories for the images ecsdeploy builds: scan on push, immutable tags, and a
lifecycle policy that keeps the newest images and those of the releases kept."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from ecsdeploy.aws.errors import NotFound
from ecsdeploy.resources.base import Change, Desired, Handler, Observed, Props
from ecsdeploy.resources.describe import Line, Names, value
from ecsdeploy.resources.reads import read_each
from ecsdeploy.resources.release_images import RELEASE_IMAGES, RELEASE_TAG_PREFIX
from ecsdeploy.spec.naming import dict_to_tags, tags_to_dict


def lifecycle_policy(keep: int) -> str:
    """Keep the newest ``keep`` images, and every image a kept release runs: the first
    rule selects the images tagged by a release (see ``resources.release_images``), which
    no lower-priority rule may then expire; it expires only beyond ``RELEASE_IMAGES`` of
    them, more than the ledger's kept releases tag."""
    return json.dumps(
        {
            "rules": [
                {
                    "rulePriority": 1,
                    "description": "keep the images of the releases kept",
                    "selection": {
                        "tagStatus": "tagged",
                        "tagPrefixList": [RELEASE_TAG_PREFIX],
                        "countType": "imageCountMoreThan",
                        "countNumber": RELEASE_IMAGES,
                    },
                    "action": {"type": "expire"},
                },
                {
                    "rulePriority": 2,
                    "description": f"keep the newest {keep} images",
                    "selection": {
                        "tagStatus": "any",
                        "countType": "imageCountMoreThan",
                        "countNumber": keep,
                    },
                    "action": {"type": "expire"},
                },
            ]
        },
        sort_keys=True,
        separators=(",", ":"),
    )


def keep_of_policy(text: str) -> int | None:
    """The ``keep`` of a policy ``lifecycle_policy`` wrote; None for any other policy (one
    written before releases were kept, or by hand): ``up`` puts its own."""
    try:
        found = json.loads(text)
        rules = found["rules"]
        keep = int(
            next(r for r in rules if r["selection"]["tagStatus"] == "any")["selection"][
                "countNumber"
            ]
        )
    except (KeyError, TypeError, ValueError, StopIteration):
        return None
    # compared as data: AWS may give the text back formatted otherwise
    return keep if found == json.loads(lifecycle_policy(keep)) else None


@dataclass(frozen=True, kw_only=True)
class RepositoryProps(Props):
    name: str
    scan_on_push: bool
    keep: int  # images the lifecycle policy keeps


class RepositoryHandler(Handler[RepositoryProps]):
    kind: ClassVar[str] = "ecr.repository"
    props_class: ClassVar[type[Props]] = RepositoryProps
    label: ClassVar[str] = "image repository"
    delete_note: ClassVar[str] = "with every image in it"
    layer: ClassVar[str] = "images"
    rank: ClassVar[int] = 0
    services: ClassVar[tuple[str, ...]] = ("ecr",)
    replace_on: ClassVar[frozenset[str]] = frozenset({"name"})

    @classmethod
    def describe(cls, props: RepositoryProps, names: Names) -> list[Line]:
        return [
            ("scan on push", value(props.scan_on_push, names)),
            ("keeps", f"{props.keep} images, and those of the releases kept"),
        ]

    def observe(self, wants: Sequence[Desired]) -> list[Observed]:
        ecr = self.client("ecr")
        prefix = f"{self.ctx.owner.app}/{self.ctx.owner.env}/"
        wanted = {w.name: w for w in wants}
        found = []
        repos = {
            repo["repositoryName"]: repo
            for repo in ecr.pages("DescribeRepositories", "repositories")
            if repo["repositoryName"].startswith(prefix)
        }

        def read_tags(repo: dict[str, Any]) -> dict[str, str]:
            listed = ecr.list_tags_for_resource(resourceArn=repo["repositoryArn"])
            return tags_to_dict(listed.get("tags"))

        def keep_of(repo: dict[str, Any]) -> Any:
            try:
                text = ecr.get_lifecycle_policy(repositoryName=repo["repositoryName"])[
                    "lifecyclePolicyText"
                ]
            except NotFound:
                return None
            return keep_of_policy(str(text))

        # whose each repository is (its tags: a call each) and its lifecycle policy (a call
        # each) are read side by side, each concurrently (a policy read for a repository
        # that is not ours is one read too many, and rare)
        reads: list[Callable[[], Any]] = [
            lambda: self.ownership(wanted, repos, read_tags),
            lambda: dict(zip(repos, read_each(keep_of, list(repos.values())), strict=True)),
        ]
        owned, keeps = read_each(lambda read: read(), reads)
        for name, repo in repos.items():
            key, tags = owned[name]
            keep = keeps[name]
            if key is None:
                found += self.taken(wanted, name, repo["repositoryArn"], tags)
                continue
            found.append(
                Observed(
                    kind=self.kind,
                    key=key,
                    id=repo["repositoryArn"],
                    name=name,
                    props={
                        "name": name,
                        "scan_on_push": repo.get("imageScanningConfiguration", {}).get(
                            "scanOnPush", False
                        ),
                        "keep": keep,
                    },
                    attrs={"name": name, "uri": repo.get("repositoryUri", "")},
                    tags=tags,
                )
            )
        return found

    def create(self, want: Desired, props: RepositoryProps) -> Observed:
        repo = self.client("ecr").create_repository(
            repositoryName=props.name,
            imageScanningConfiguration={"scanOnPush": props.scan_on_push},
            imageTagMutability="IMMUTABLE",  # a content tag always names the same image
            tags=dict_to_tags(self.tags(want)),
        )["repository"]
        have = Observed(
            self.kind,
            want.key,
            repo["repositoryArn"],
            props.name,
            {"name": props.name, "scan_on_push": props.scan_on_push, "keep": None},
            attrs={"name": props.name, "uri": repo.get("repositoryUri", "")},
            tags=self.tags(want),
        )
        return self.update(want, props, have, self.diff(props, have))

    def update(
        self, want: Desired, props: RepositoryProps, have: Observed, changes: list[Change]
    ) -> Observed:
        ecr = self.client("ecr")
        for change in changes:
            if change.field == "scan_on_push":
                ecr.put_image_scanning_configuration(
                    repositoryName=have.name,
                    imageScanningConfiguration={"scanOnPush": bool(change.after)},
                )
            elif change.field == "keep":
                ecr.put_lifecycle_policy(
                    repositoryName=have.name, lifecyclePolicyText=lifecycle_policy(change.after)
                )
            have.props[change.field] = change.after
        return have

    def delete(self, have: Observed) -> None:
        # force: the images go with the repository ("down removes all it made")
        self.client("ecr").delete_repository(repositoryName=have.name, force=True)
