"""Which of an environment's ECR repositories other environments of the app still run
images from, so that ``down`` keeps them.

``promote --from dev --to prod`` pins prod's task definitions to dev's images by digest
(nothing is pushed into prod's repositories), and a release's rollback runs older
revisions. Deleting dev's repositories (``DeleteRepository`` with ``force``: the images go
with them) would leave prod with task definitions whose images no longer exist: its next
task start, scale-out or rollback fails to pull. So ``down`` of an environment reads the
ACTIVE task-definition revisions of the app's other environments (ecsdeploy deregisters
the revisions no kept release runs, and ``down`` deregisters an environment's own: what is
ACTIVE is what runs or may run again) and keeps each repository one of them names.

Calls: ListTaskDefinitionFamilies of the app's prefix (``APP-``), one ListTaskDefinitions
per family, one DescribeTaskDefinition (with its tags, to tell this environment's own
revisions from the others: an environment's name may begin another's) per ACTIVE
revision, read concurrently; none when the environment has no repository.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from ecsdeploy.aws.clients import Aws
from ecsdeploy.resources.reads import read_each
from ecsdeploy.resources.release_images import in_app_repository
from ecsdeploy.spec.naming import Owner, tags_to_dict


def running_elsewhere(
    aws: Aws, owner: Owner, repositories: Collection[str]
) -> dict[str, list[str]]:
    """repository name -> the ACTIVE task-definition revisions (``family:revision``) of the
    app's other environments whose containers run an image from it; repositories no other
    environment uses are left out."""
    if not repositories:
        return {}
    ecs = aws.client("ecs")
    families = list(
        ecs.pages(
            "ListTaskDefinitionFamilies",
            "families",
            familyPrefix=f"{owner.app}-",
            status="ACTIVE",
        )
    )
    revisions = [
        arn
        for found in read_each(
            lambda family: list(
                ecs.pages(
                    "ListTaskDefinitions",
                    "taskDefinitionArns",
                    familyPrefix=family,
                    status="ACTIVE",
                )
            ),
            families,
        )
        for arn in found
    ]
    described = read_each(
        lambda arn: ecs.describe_task_definition(taskDefinition=arn, include=["TAGS"]),
        revisions,
    )
    users: dict[str, list[str]] = {}
    for answer in described:
        if owner.owns(tags_to_dict(answer.get("tags"))):
            continue  # this environment's own (an env's name may begin another's)
        task = answer["taskDefinition"]
        revision = f"{task['family']}:{task['revision']}"
        for container in task.get("containerDefinitions") or []:
            found = in_app_repository(owner, str(container.get("image", "")))
            repository = found[0] if found else None
            if repository is None or repository not in repositories:
                continue
            if revision not in users.get(repository, []):
                users.setdefault(repository, []).append(revision)
    return users


def note(users: Mapping[str, list[str]], repository: str) -> str:
    """What ``down`` says of a repository it keeps."""
    shown = users[repository][:3]
    more = len(users[repository]) - len(shown)
    return (
        f"kept {{name}}: other environments' task definitions run its images "
        f"({', '.join(shown)}{f' and {more} more' if more else ''}: promoted, or a release "
        "they may roll back to); `down` of this environment deletes it once none does"
    )
