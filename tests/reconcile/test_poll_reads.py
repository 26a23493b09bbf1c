"""A rollout poll's reads (reconcile.poll_reads): ten services a DescribeServices, every
target group's health beside them, each service's answer or error in the order asked."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from ecsdeploy.aws.errors import Throttled
from ecsdeploy.reconcile.poll_reads import read_polls

WAIT = 5.0  # seconds a held read waits for the one it should overlap


def tg(name: str) -> str:
    return f"arn:aws:elasticloadbalancing:us-west-2:1:targetgroup/mlapp-dev-{name}/0"


class Source:
    """Services s0..s11 in cluster c; ``missing`` are not there; errors on request."""

    def __init__(self, missing: Sequence[str] = (), failing: Sequence[str] = ()) -> None:
        self.missing, self.failing = set(missing), set(failing)
        self.batches: list[list[str]] = []
        self.health: list[str] = []
        self.lock = threading.Lock()

    def describe_services(self, cluster: str, services: Sequence[str]) -> dict[str, Any]:
        with self.lock:
            self.batches.append(list(services))
        if "describe" in self.failing and "s10" in services:
            raise Throttled("Rate exceeded", code="ThrottlingException")
        return {s: {"serviceName": s} for s in services if s not in self.missing}

    def target_health(self, target_group_arn: str) -> list[dict[str, Any]]:
        name = target_group_arn.split("mlapp-dev-")[1].split("/")[0]
        with self.lock:
            self.health.append(name)
        if name in self.failing:
            raise Throttled("Rate exceeded", code="ThrottlingException")
        return [{"TargetHealth": {"State": "healthy"}, "name": name}]


SERVICES = [("c", f"s{i}", tg(f"s{i}") if i % 2 == 0 else None) for i in range(12)]


def test_ten_services_a_describe_and_each_answer_in_order() -> None:
    source = Source(missing=["s3"])
    reads = read_polls(source, SERVICES)

    assert sorted(len(b) for b in source.batches) == [2, 10]
    assert sorted(source.health) == sorted(f"s{i}" for i in range(0, 12, 2))
    assert reads[0] == (
        {"serviceName": "s0"},
        [{"TargetHealth": {"State": "healthy"}, "name": "s0"}],
    )
    assert reads[1] == ({"serviceName": "s1"}, [])  # no target group: no health read
    assert reads[3] == ({}, [])  # gone
    assert [r[0]["serviceName"] for r in reads if isinstance(r, tuple) and r[0]] == [
        f"s{i}" for i in range(12) if i != 3
    ]


def test_an_error_is_the_answer_of_the_services_it_kept_from_being_read() -> None:
    reads = read_polls(Source(failing=["describe", "s8"]), SERVICES)

    # names go ten by ten, sorted: s10 is in the first ten (s0, s1, s10, s11, s2 ... s7)
    with_s10 = sorted(f"s{i}" for i in range(12))[:10]
    for (_, name, _), read in zip(SERVICES, reads, strict=True):
        failed = name in with_s10 or name == "s8"  # s8's health could not be read
        assert isinstance(read, Throttled) == failed, name
    assert reads[9] == ({"serviceName": "s9"}, [])


def test_the_services_then_their_health_each_kind_at_once() -> None:
    """The first DescribeServices is held until the second has started, and the first
    DescribeTargetHealth until another has (or a short deadline has passed, and the test
    fails): read one after the other, a poll of many services took two round trips per
    service. The health is read once the services are."""
    started = {"describe": threading.Event(), "health": threading.Event()}
    overlapped: dict[str, list[bool]] = {"describe": [], "health": []}
    order: list[str] = []

    class Held(Source):
        def _hold(self, kind: str) -> None:
            with self.lock:
                first = not order.count(kind)
                order.append(kind)
            if first:
                overlapped[kind].append(started[kind].wait(WAIT))
            else:
                started[kind].set()

        def describe_services(self, cluster: str, services: Sequence[str]) -> dict[str, Any]:
            self._hold("describe")
            return super().describe_services(cluster, services)

        def target_health(self, target_group_arn: str) -> list[dict[str, Any]]:
            self._hold("health")
            return super().target_health(target_group_arn)

    reads = read_polls(Held(), SERVICES)

    assert overlapped == {"describe": [True], "health": [True]}
    assert order == ["describe"] * 2 + ["health"] * 6
    assert reads[0] == (
        {"serviceName": "s0"},
        [{"TargetHealth": {"State": "healthy"}, "name": "s0"}],
    )
