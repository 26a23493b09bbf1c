"""The ``promote --from ENV --to ENV`` use case: deploy to one environment exactly the
images another runs now, without building anything.

The source's ECS services are read (DescribeServices, then each running revision's
DescribeTaskDefinition); each image is pinned by the digest its running tasks pulled
(DescribeTasks: ``containers[].imageDigest``; ECS resolves a tag to one digest per
deployment, "Container image resolution" in the Amazon ECS Developer Guide), else the digest
the source's release ledger kept for that revision, else the digest ECR has for the tag
(DescribeImages); and the target is then deployed as ``up`` deploys it, from the same spec,
with those images: its infrastructure reconciled, its built services keeping their own
repositories but pushing nothing. The release is recorded in the target's ledger with the
source environment and its release number (``promoted_from``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ecsdeploy.aws.clients import Aws
from ecsdeploy.aws.errors import AwsError, NotFound
from ecsdeploy.ops.run import RunError
from ecsdeploy.ops.run_job import job_schedule
from ecsdeploy.ops.stages import Stages
from ecsdeploy.ops.up import UpOptions, UpRun, UpView, up
from ecsdeploy.plan.preflight import Check
from ecsdeploy.reconcile.rollout import RolloutSource
from ecsdeploy.resources import releases
from ecsdeploy.resources.ecs_common import cluster_name
from ecsdeploy.resources.releases import Release
from ecsdeploy.spec.errors import Problem, UsageError
from ecsdeploy.spec.naming import Owner

PAGE = 10  # services one DescribeServices call takes
PAGE_TASKS = 100  # tasks one DescribeTasks call takes


@dataclass(frozen=True)
class Source:
    """What the source environment runs: each service's revision and image (pinned by
    digest where it could be), and the release of its ledger those revisions are."""

    env: str
    revisions: dict[str, str]  # service -> task definition ARN
    images: dict[str, str]  # service -> image, ``repo@sha256:...`` where known
    release: int | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        """How the target's ledger names where the release came from: "ENV#N"."""
        return f"{self.env}#{self.release}" if self.release is not None else self.env


@dataclass
class Promotion:
    """One promotion: where from, and the ``up`` of the target it made."""

    source: Source
    run: UpRun


def _refuse(message: str, file: str = "") -> UsageError:
    return UsageError([Problem("", message, file=file)])


def read_source(aws: Aws, owner: Owner, services: Sequence[str], file: str = "") -> Source:
    """What ``owner``'s environment runs of ``services``; refuses (UsageError) when the
    environment has no cluster or lacks one of them."""
    ecs = aws.client("ecs")
    cluster = cluster_name(owner)
    try:
        clusters = ecs.describe_clusters(clusters=[cluster]).get("clusters", [])
    except NotFound:
        clusters = []
    if not any(c.get("status") == "ACTIVE" for c in clusters):
        raise _refuse(
            f"env '{owner.env}' of {owner.app} does not exist in this region (no ECS cluster "
            f"{cluster}): deploy it first, or check --from",
            file,
        )
    running: dict[str, dict[str, Any]] = {}
    names = list(services)
    for i in range(0, len(names), PAGE):
        found = ecs.describe_services(cluster=cluster, services=names[i : i + PAGE])
        for svc in found.get("services", []):
            if svc.get("status") == "ACTIVE":
                running[str(svc["serviceName"])] = svc
    missing = [n for n in names if n not in running]
    if missing:
        raise _refuse(
            f"env '{owner.env}' of {owner.app} runs no service {', '.join(missing)}: nothing "
            f"to promote for {'it' if len(missing) == 1 else 'them'}; deploy the spec to "
            f"'{owner.env}' first",
            file,
        )
    ledger = releases.read_all(aws, owner)
    revisions = {n: str(running[n]["taskDefinition"]) for n in names}
    images: dict[str, str] = {}
    warnings: list[str] = []
    for name, arn in revisions.items():
        task = ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"]
        containers = task.get("containerDefinitions", [])
        container = next((c for c in containers if c.get("name") == name), containers[0])
        image = str(container["image"])
        digest = _task_digest(aws, cluster, name, arn) or _ledger_digest(ledger, name, arn)
        pinned = pin(aws, image, digest)
        if pinned is None:
            warnings.append(
                f"{name}: {image} is not in ECR, so its digest is unknown; promoted by its tag"
            )
        images[name] = pinned or image
    return Source(owner.env, revisions, images, _release_of(ledger, revisions), warnings)


def read_jobs(source: Stages, jobs: Sequence[str], file: str = "") -> dict[str, str]:
    """The image each of ``jobs`` runs in the source env (the task definition its schedule
    starts), pinned by ECR's digest for its tag where it can be: a job is promoted without a
    build, like a service. Refuses (UsageError) when the source has not deployed a job."""
    images: dict[str, str] = {}
    for job in jobs:
        try:
            schedule = job_schedule(source, job)
        except RunError as exc:
            raise _refuse(f"env '{source.target.owner.env}': {exc}", file) from None
        arn = str(schedule.get("Target", {}).get("EcsParameters", {}).get("TaskDefinitionArn"))
        ecs = source.aws.client("ecs")
        task = ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"]
        image = str(task["containerDefinitions"][0]["image"])
        images[job] = pin(source.aws, image) or image
    return images


def _revision(arn: str) -> str:
    """``family:revision`` of a task definition ARN (the ledger may keep only that)."""
    return arn.rsplit("/", 1)[-1]


def _task_digest(aws: Aws, cluster: str, service: str, arn: str) -> str:
    """The digest the service's running tasks of revision ``arn`` pulled, or ""."""
    ecs = aws.client("ecs")
    arns = ecs.list_tasks(cluster=cluster, serviceName=service, desiredStatus="RUNNING")
    tasks = arns.get("taskArns", [])[:PAGE_TASKS]
    if not tasks:
        return ""
    return running_digest(
        ecs.describe_tasks(cluster=cluster, tasks=tasks).get("tasks", []), service, arn
    )


def running_digest(tasks: Sequence[dict[str, Any]], container: str, arn: str) -> str:
    """The image digest of ``container`` in the first of ``tasks`` (DescribeTasks) that
    runs revision ``arn`` and knows it, or ""."""
    for task in tasks:
        if task.get("taskDefinitionArn") != arn or task.get("lastStatus") != "RUNNING":
            continue
        for found in task.get("containers", []):
            if found.get("name") == container and found.get("imageDigest"):
                return str(found["imageDigest"])
    return ""


def _ledger_digest(ledger: Sequence[Release], service: str, arn: str) -> str:
    for release in reversed(ledger):
        svc = release.services.get(service)
        if svc and svc.digest and _revision(svc.task_definition) == _revision(arn):
            return svc.digest
    return ""


def _release_of(ledger: Sequence[Release], revisions: dict[str, str]) -> int | None:
    """The newest release whose services ran exactly ``revisions``."""
    for release in reversed(ledger):
        ran = {n: _revision(s.task_definition) for n, s in release.services.items()}
        if all(ran.get(n) == _revision(a) for n, a in revisions.items()):
            return release.number
    return None


def pin(aws: Aws, image: str, digest: str = "") -> str | None:
    """``image`` as ``repository@sha256:...``: as given when it has a digest, with
    ``digest`` when known, else the digest ECR has for its tag; None for an image that is
    not in ECR (its digest cannot be read without a registry client)."""
    if "@sha256:" in image:
        return image
    head, _, last = image.rpartition("/")
    name, _, tag = last.partition(":")
    ref = f"{head}/{name}" if head else name
    if digest:
        return f"{ref}@{digest}"
    host, _, repository = ref.partition("/")
    if ".dkr.ecr." not in host:
        return None
    try:
        found = aws.client("ecr").describe_images(
            repositoryName=repository, imageIds=[{"imageTag": tag or "latest"}]
        )
    except AwsError:
        return None
    details = found.get("imageDetails", [])
    return f"{host}/{repository}@{details[0]['imageDigest']}" if details else None


def promote(
    source: Stages,
    target: Stages,
    run: UpRun,
    options: UpOptions,
    view: UpView,
    preflight: Callable[[], list[Check]],
    rollout_source: Callable[[], RolloutSource | None] = lambda: None,
    promoting: Callable[[Source], None] = lambda source: None,
) -> Promotion:
    """Read what ``source`` runs, then ``up`` ``target`` with those images pinned
    (``promoting`` is told what before the plan is made)."""
    spec = target.target.spec
    assert spec is not None
    file = str(target.target.spec_path or "")
    if source.target.owner == target.target.owner:
        raise _refuse(f"--from and --to are both '{target.target.owner.env}'", file)
    express = [n for n, s in spec.services.items() if s.mode == "express"]
    if express:
        raise _refuse(
            f"promote deploys classic services only; {', '.join(express)} "
            "run on ECS Express: deploy them with `up`",
            file,
        )
    found = read_source(source.aws, source.target.owner, list(spec.services), file)
    jobs = read_jobs(source, list(spec.jobs), file)
    target.pinned = {**found.images, **jobs}
    target.promoted_from = found.label
    promoting(found)
    return Promotion(found, up(target, run, options, view, preflight, rollout_source))
