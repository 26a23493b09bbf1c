"""What a rollout watch reads each poll, and from where (``RolloutSource``).

A poll reads every watched service, ten to a DescribeServices (the most it takes), then
every target group's health, one DescribeTargetHealth each: the reads of each kind at once
(``resources.reads.read_each``, eight at a time), the services first (as ECS tells them,
then what the load balancer sees of their tasks). Two round trips for up to eight
services, four for twenty; read one service after the other, a poll took two per
service, with twenty of them longer than the interval between polls, and made ten times
the DescribeServices calls.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar

from ecsdeploy.aws.errors import AwsError
from ecsdeploy.resources.ecs_common import DESCRIBE_SERVICES
from ecsdeploy.resources.reads import read_each

T = TypeVar("T")


class RolloutSource(Protocol):
    """The AWS reads a rollout watch needs, returning AWS API response shapes."""

    def describe_services(self, cluster: str, services: Sequence[str]) -> dict[str, Any]:
        """The services of DescribeServices by name, ten a call; a missing one is absent."""
        ...

    def target_health(self, target_group_arn: str) -> list[dict[str, Any]]:
        """DescribeTargetHealth ``TargetHealthDescriptions``."""
        ...

    def stopped_tasks(self, cluster: str, service: str) -> list[dict[str, Any]]:
        """DescribeTasks of the service's recently STOPPED tasks."""
        ...

    def running_tasks(self, cluster: str, service: str) -> list[dict[str, Any]]:
        """DescribeTasks of the service's tasks whose desired status is RUNNING."""
        ...

    def log_tail(self, log_group: str, stream_prefix: str, limit: int) -> list[str]:
        """The last ``limit`` lines of the newest log stream whose name starts with the prefix."""
        ...


# a service's poll: its description ({} when it is gone) and its targets' health, or the
# error that kept either from being read (throttling, a network blip)
Read = tuple[dict[str, Any], list[dict[str, Any]]] | AwsError


def read_polls(
    source: RolloutSource, services: Sequence[tuple[str, str, str | None]]
) -> list[Read]:
    """Each of ``services`` (cluster, service, target group ARN or None) as one poll reads
    it, in that order."""
    chunks: list[tuple[str, list[str]]] = []
    for cluster in sorted({cluster for cluster, _, _ in services}):
        names = sorted({name for c, name, _ in services if c == cluster})
        chunks += [
            (cluster, names[i : i + DESCRIBE_SERVICES])
            for i in range(0, len(names), DESCRIBE_SERVICES)
        ]
    described: dict[tuple[str, str], Any] = {}
    found = read_each(lambda chunk: _or_error(source.describe_services, *chunk), chunks)
    for (cluster, names), answer in zip(chunks, found, strict=True):
        for name in names:
            got = answer if isinstance(answer, AwsError) else answer.get(name, {})
            described[(cluster, name)] = got
    groups = sorted({arn for _, _, arn in services if arn})
    healths = read_each(functools.partial(_or_error, source.target_health), groups)
    health = dict(zip(groups, healths, strict=True))
    out: list[Read] = []
    for cluster, name, arn in services:
        svc, targets = described[(cluster, name)], health[arn] if arn else []
        if isinstance(svc, AwsError):
            out.append(svc)
        elif isinstance(targets, AwsError):
            out.append(targets)
        else:
            out.append((svc, targets))
    return out


def _or_error(read: Callable[..., T], *args: Any) -> T | AwsError:
    """``read(*args)``, or the AWS error that stopped it (the poll goes on with it)."""
    try:
        return read(*args)
    except AwsError as exc:
        return exc
