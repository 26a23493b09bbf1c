"""DescribeServices takes at most ten services; AWS answers more with an
InvalidParameterException ("You may specify up to 10 services to describe", Amazon ECS API
Reference, DescribeServices), which moto does not. A hook answers as AWS does, and the
observe, the images-only read by name and a rollout poll of twelve services find them all.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from ecsdeploy.aws.recorder import CallRecorder
from ecsdeploy.ops.stages import Stages
from ecsdeploy.ops.target import Target
from ecsdeploy.reconcile.poll_reads import read_polls
from ecsdeploy.resources import keys
from ecsdeploy.resources.base import Desired, Timing
from ecsdeploy.resources.ecs_common import cluster_name
from ecsdeploy.resources.rollout_reads import AwsRolloutSource
from ecsdeploy.spec.naming import Owner, dict_to_tags

REGION = "us-west-2"
OWNER = Owner("many", "test")
NAMES = [f"s{i}" for i in range(12)]


class TenAtMost:
    """botocore's ``before-call``: more than ten services get AWS's answer."""

    def __init__(self) -> None:
        self.sizes: list[int] = []

    def __call__(self, model: Any, params: dict[str, Any], **_: Any) -> Any:
        if model.name != "DescribeServices":
            return None
        size = len(json.loads(params["body"]).get("services", []))  # the serialised request
        self.sizes.append(size)
        if size <= 10:
            return None
        error = {"Code": "InvalidParameterException", "Message": "services: up to 10"}
        return type("Http", (), {"status_code": 400, "headers": {}})(), {
            "Error": error,
            "ResponseMetadata": {"HTTPStatusCode": 400},
        }


@pytest.fixture
def stages(aws: None, fast_timing: Timing) -> Iterator[Stages]:
    ecs = boto3.client("ecs", region_name=REGION)
    cluster = cluster_name(OWNER)
    ecs.create_cluster(clusterName=cluster)
    ecs.register_task_definition(
        family="many-test-x", containerDefinitions=[{"name": "x", "image": "x", "memory": 512}]
    )
    for name in NAMES:
        tags = [
            {"key": t["Key"], "value": t["Value"]}
            for t in dict_to_tags(OWNER.tags(keys.ecs_service(name)))
        ]
        ecs.create_service(
            cluster=cluster,
            serviceName=name,
            taskDefinition="many-test-x",
            desiredCount=1,
            tags=tags,
        )
    yield Stages.connect(Target(OWNER, REGION), CallRecorder(), fast_timing)


def test_twelve_services_are_read_ten_at_most_a_call(stages: Stages) -> None:
    limit = TenAtMost()
    stages.aws.client("ecs").raw.meta.events.register("before-call.ecs.DescribeServices", limit)
    handler = stages.handlers["ecs.service"]
    wants = [Desired("ecs.service", keys.ecs_service(n), n, None) for n in NAMES]  # type: ignore[arg-type]

    assert sorted(o.name for o in handler.observe([])) == sorted(NAMES)
    assert sorted(o.name for o in handler.observe_only(wants)) == sorted(NAMES)
    cluster = cluster_name(OWNER)
    reads = read_polls(AwsRolloutSource(stages.aws), [(cluster, n, None) for n in NAMES])
    assert [r[0]["serviceName"] for r in reads if isinstance(r, tuple)] == NAMES
    assert sorted(limit.sizes) == [2, 2, 2, 10, 10, 10]
