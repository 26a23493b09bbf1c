"""The release ledger: what each release of an app ran, kept in AWS under the app/env.

A release is an `up` that changed what a service runs (image, task definition, env, size)
or a `rollback`. Each is one SSM Parameter Store parameter,
``/ecsdeploy/APP/ENV/releases/NNNNNN``, holding the record as compact JSON.

Why SSM parameters, one per release:
- any machine and any CI job with the deployer's credentials reads the same history, and
  `down`-style ownership (the ``/ecsdeploy/APP/ENV/`` path) already holds the lock and the
  applied record there (the deployer policy scopes all of it by that path);
- standard parameters cost nothing (the Standard tier has no storage charge, and its API
  calls are free at the default throughput) and hold 4 KB each: a record is kept well under
  that (``MAX_RECORD``: reasons are cut short, and a record of an app so large that it
  still would not fit keeps only each service's revision, the one thing a rollback needs;
  an app of more services than even that fits takes an advanced parameter);
- one PutParameter writes a parameter whole or not at all, so a release interrupted while it
  is written is either absent or complete, never half-written; PutParameter without
  ``Overwrite`` refuses a number already taken, so two runs writing at once cannot overwrite
  each other's release (the second takes the next number);
- one parameter per release (not one growing document) keeps each write small and
  independent, and pruning is a DeleteParameters of the oldest.

The last ``KEPT`` releases are kept; older ones are deleted once a newer one is written.
A release is written only once its outcome is known (rolled out, failed, rolled back by ECS,
or not waited for), so a run stopped before that leaves no record.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from ecsdeploy.aws.clients import Aws
from ecsdeploy.aws.errors import AlreadyExists, NotFound
from ecsdeploy.spec.naming import Owner, dict_to_tags

KEPT = 50  # releases kept in the ledger (and whose images ECR keeps)
MAX_RECORD = 3072  # bytes, a record's size kept under...
STANDARD_SIZE = 4096  # ...what a standard parameter holds
MAX_REASON = 300  # characters of a failure's reason kept in a record
WRITE_TRIES = 5  # numbers tried when other runs take them first

# outcomes
ROLLED_OUT = "rolled out"
FAILED = "failed"
ROLLED_BACK = "rolled back"  # by ECS (the circuit breaker): the previous revision runs
NOT_WAITED = "not waited"  # `up --no-wait`: ECS goes on rolling out
UNCHANGED = "unchanged"  # a service the release did not change (per service only)
PAUSED = "paused"  # waits before production traffic: `promote` or `abort` settles it


@dataclass(frozen=True)
class ServiceRelease:
    """What one service ran in a release."""

    task_definition: str  # the revision ARN
    image: str = ""
    digest: str = ""  # sha256:..., where known (images in the app's repositories)
    deployment: str = ""  # the ECS service deployment id
    outcome: str = ""


@dataclass(frozen=True)
class Release:
    """One release: its number, when, by whom, from which spec, what each service ran and
    how it ended."""

    number: int
    at: str  # ISO 8601, UTC
    by: str  # the caller's identity (STS ARN)
    spec_hash: str  # "" for a release made without the spec
    outcome: str
    reason: str = ""
    services: dict[str, ServiceRelease] = field(default_factory=dict)
    rollback_to: int | None = None  # a rollback: the release it went back to
    promoted_from: str = ""  # a promotion: the release it deployed, as "ENV#N" (or "ENV")

    @property
    def ok(self) -> bool:
        return self.outcome == ROLLED_OUT

    @property
    def what(self) -> str:
        if self.rollback_to is not None:
            return f"rollback to {self.rollback_to}"
        return f"promote from {self.promoted_from}" if self.promoted_from else "up"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def encode(self) -> str:
        """The record as stored, short enough for a standard parameter."""
        release = replace(self, reason=_cut(self.reason))
        text = _compact(release)
        if len(text.encode()) > MAX_RECORD:  # a very large app: keep what a rollback needs,
            # the revision as ``family:revision`` (which UpdateService takes as well)
            slim = {
                n: ServiceRelease(s.task_definition.rsplit("/", 1)[-1])
                for n, s in release.services.items()
            }
            text = _compact(replace(release, services=slim))
        return text

    @classmethod
    def decode(cls, text: str) -> Release | None:
        try:
            found = json.loads(text)
            services = {
                str(name): ServiceRelease(**svc) for name, svc in found.pop("services").items()
            }
            return cls(services=services, **found)
        except (ValueError, TypeError, KeyError, AttributeError):
            return None  # not a record of ours: ignored


def _compact(release: Release) -> str:
    data = asdict(release)
    # empty fields are left out: the defaults say the same
    data["services"] = {
        name: {k: v for k, v in svc.items() if v} for name, svc in data["services"].items()
    }
    data = {k: v for k, v in data.items() if v not in ("", None) or k == "outcome"}
    return json.dumps(data, separators=(",", ":"), sort_keys=True)


def _cut(text: str) -> str:
    return text if len(text) <= MAX_REASON else text[: MAX_REASON - 3] + "..."


def path(owner: Owner) -> str:
    return f"/ecsdeploy/{owner.app}/{owner.env}/releases"


def parameter_name(owner: Owner, number: int) -> str:
    return f"{path(owner)}/{number:06d}"


def read_all(aws: Aws, owner: Owner) -> list[Release]:
    """Every release kept, oldest first (GetParametersByPath: 10 a page)."""
    found = []
    for param in aws.client("ssm").pages(
        "GetParametersByPath", "Parameters", Path=path(owner), Recursive=False
    ):
        release = Release.decode(str(param.get("Value", "")))
        if release is not None:
            found.append(release)
    return sorted(found, key=lambda r: r.number)


def write(aws: Aws, owner: Owner, release: Release, known: Sequence[Release]) -> Release:
    """Write ``release`` as the next number after ``known`` (read before): one
    PutParameter, written whole or not at all. A number another run took meanwhile makes
    this one take the next. Returns the release as written (its number)."""
    ssm = aws.client("ssm")
    number = max((r.number for r in known), default=0) + 1
    for _ in range(WRITE_TRIES):
        release = replace(release, number=number)
        value = release.encode()
        try:
            ssm.put_parameter(
                Name=parameter_name(owner, number),
                Value=value,
                Type="String",
                # an app of more services than a standard parameter's 4 KB can list (even
                # slimmed) takes an advanced one (USD 0.05 a month each)
                Tier="Standard" if len(value.encode()) <= STANDARD_SIZE else "Intelligent-Tiering",
                Description=f"ecsdeploy release {number} of {owner.app}/{owner.env}",
                Tags=dict_to_tags(owner.tags(f"release/{number:06d}")),
            )
            return release
        except AlreadyExists:
            number += 1
    raise AlreadyExists(
        f"release numbers up to {number - 1} were taken by other runs while this one wrote",
        code="ParameterAlreadyExists",
        operation="PutParameter",
    )


def to_prune(releases: Iterable[Release]) -> list[Release]:
    """The releases beyond the last ``KEPT``, oldest first."""
    ordered = sorted(releases, key=lambda r: r.number)
    return ordered[: max(0, len(ordered) - KEPT)]


def delete(aws: Aws, owner: Owner, releases: Sequence[Release], also: Sequence[str] = ()) -> None:
    """Delete these releases' records, and the parameters named in ``also`` (in the same
    calls: DeleteParameters takes 10 names a call and skips those that do not exist)."""
    names = [parameter_name(owner, r.number) for r in releases] + list(also)
    ssm = aws.client("ssm")
    for i in range(0, len(names), 10):
        try:
            ssm.delete_parameters(Names=names[i : i + 10])
        except NotFound:
            pass


def find(releases: Sequence[Release], number: int) -> Release | None:
    return next((r for r in releases if r.number == number), None)


def settle(aws: Aws, owner: Owner, release: Release) -> None:
    """Write the outcome of a release recorded as paused, once `promote` or `abort` knows
    it: the same record, overwritten whole (one PutParameter)."""
    value = release.encode()
    aws.client("ssm").put_parameter(
        Name=parameter_name(owner, release.number),
        Value=value,
        Type="String",
        Tier="Standard" if len(value.encode()) <= STANDARD_SIZE else "Intelligent-Tiering",
        Overwrite=True,
    )
