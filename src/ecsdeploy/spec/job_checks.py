"""Rules for the spec's scheduled jobs: names, image, Fargate size, schedule expression and
time zone, timeout, secrets, permissions and references. Each problem names its key."""

from __future__ import annotations

import re

from ecsdeploy.spec.limits import (
    FARGATE_SIZES,
    Found,
    Path,
    describe_choices,
    fargate_memory_choices,
)
from ecsdeploy.spec.models import Job, Spec
from ecsdeploy.spec.naming import MAX_SERVICE, name_problem
from ecsdeploy.spec.schedule import ScheduleError, check_timezone, parse
from ecsdeploy.spec.service_checks import check_task_settings

MAX_TIMEOUT_MINUTES = 7 * 24 * 60  # a week: longer is a service, not a job


def check_jobs(spec: Spec) -> Found:
    """Every problem of every job under ``jobs:``."""
    if (
        spec.jobs
        and spec.network is None
        and not any(s.mode == "classic" for s in spec.services.values())
    ):
        yield (
            ("jobs",),
            "jobs run in the private subnets of the VPC ecsdeploy builds: add `network:` "
            "(an Express Mode app has none of its own)",
        )
    for name, job in spec.jobs.items():
        yield from _job(spec, name, job)


def _job(spec: Spec, name: str, job: Job) -> Found:
    base: Path = ("jobs", name)
    why = name_problem(name, MAX_SERVICE)
    if why:
        yield base, f"job name '{name}' {why}"
    if name in spec.services:
        yield base, f"'{name}' names a service too; give the job another name"
    if job.build is None and job.image is None:
        yield base, "has neither `build:` nor `image:`; add one (build: ./dir, or image: repo:tag)"
    if job.build is not None and job.image is not None:
        yield (*base, "image"), "set either `build:` or `image:`, not both"
    if job.image is not None and not re.match(r"^[a-z0-9][^\s]*$", job.image):
        yield (*base, "image"), f"'{job.image}' is not an image reference (e.g. repo/name:tag)"
    if job.command is not None and not job.command:
        yield (*base, "command"), "an empty command; remove it to run the image's own"
    if job.cpu not in FARGATE_SIZES:
        yield (
            (*base, "cpu"),
            f"{job.cpu} is not a Fargate cpu; choose one of "
            + ", ".join(str(c) for c in FARGATE_SIZES),
        )
    elif job.memory not in fargate_memory_choices(job.cpu):
        yield (
            (*base, "memory"),
            f"{job.memory} is not a valid Fargate memory for cpu {job.cpu} "
            f"({describe_choices(job.cpu)})",
        )
    try:
        parse(job.schedule)
    except ScheduleError as exc:
        yield (*base, "schedule"), str(exc)
    zone = check_timezone(job.timezone)
    if zone:
        yield (*base, "timezone"), zone
    if not 1 <= job.timeout_minutes <= MAX_TIMEOUT_MINUTES:
        yield (
            (*base, "timeout_minutes"),
            f"{job.timeout_minutes} minutes; choose 1 to {MAX_TIMEOUT_MINUTES}",
        )
    yield from check_task_settings(spec, base, job)
