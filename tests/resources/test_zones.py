"""Zones are chosen by what they offer (resources/zones.py): Fargate runs only in some zones
of some regions (by zone ID), and an interface endpoint is not offered in every zone."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from ecsdeploy.aws.clients import Aws
from ecsdeploy.resources.zones import usable_zones
from ecsdeploy.spec import SpecError

from conftest import Harness, spec_text


def _answer(aws: Aws, operation: str, body: dict[str, Any]) -> None:
    """Answer ``operation`` with ``body`` (what AWS would, where moto's regions differ)."""

    def handler(model: Any, **_: Any) -> Any:
        if model.name != operation:
            return None
        return _Ok(), body

    aws.client("ec2").raw.meta.events.register("before-call.*.*", handler)


@dataclass
class _Ok:
    status_code: int = 200
    headers: dict[str, str] = field(default_factory=dict)


TOKYO = {
    "AvailabilityZones": [
        {"ZoneName": "ap-northeast-1a", "ZoneId": "apne1-az4", "State": "available"},
        {"ZoneName": "ap-northeast-1b", "ZoneId": "apne1-az3", "State": "available"},
        {"ZoneName": "ap-northeast-1c", "ZoneId": "apne1-az1", "State": "available"},
        {"ZoneName": "ap-northeast-1d", "ZoneId": "apne1-az2", "State": "available"},
    ]
}


def test_zones_without_fargate_are_left_out(aws: None) -> None:
    tokyo = Aws("ap-northeast-1")
    _answer(tokyo, "DescribeAvailabilityZones", TOKYO)
    # apne1-az3 runs no Fargate; in this account it is named ap-northeast-1b
    assert usable_zones(tokyo) == ["ap-northeast-1a", "ap-northeast-1c", "ap-northeast-1d"]


def test_zones_without_an_endpoint_are_left_out(aws: None) -> None:
    tokyo = Aws("ap-northeast-1")
    _answer(tokyo, "DescribeAvailabilityZones", TOKYO)
    offered = ["ap-northeast-1a", "ap-northeast-1d"]
    services = {"ServiceDetails": [{"ServiceName": "x", "AvailabilityZones": offered}]}
    _answer(tokyo, "DescribeVpcEndpointServices", services)
    assert usable_zones(tokyo, ["ecr.api"]) == ["ap-northeast-1a", "ap-northeast-1d"]


def test_too_few_usable_zones_is_a_spec_problem(harness: Harness) -> None:
    dep: Any = harness.deployment(spec_text(azs=3))
    one = {"AvailabilityZones": [{"ZoneName": "us-west-2a", "ZoneId": "usw2-az1"},
                                 {"ZoneName": "us-west-2b", "ZoneId": "usw2-az2"}]}  # fmt: skip
    _answer(dep.aws, "DescribeAvailabilityZones", one)
    with pytest.raises(SpecError) as caught:
        dep.plan_up()
    [problem] = caught.value.problems
    assert problem.path == "network.azs"
    assert "has 2 that run Fargate" in problem.message and "set network.azs: 2" in problem.message
