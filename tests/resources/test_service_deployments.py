"""The newest deployment of a service, whatever order ListServiceDeployments answers in.

The API reference documents no order for ListServiceDeployments and botocore has no
paginator for it (up to 20 a page, then a nextToken): ecsdeploy takes the deployment
created last among every page. Checked with botocore's Stubber, which refuses a request
or an answer that does not fit the ECS model."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.stub import Stubber

from ecsdeploy.aws.clients import Aws
from ecsdeploy.resources.service_deployments import newest

ARN = "arn:aws:ecs:us-west-2:123456789012:service-deployment/mlapp-dev/api/"
SERVICE = "arn:aws:ecs:us-west-2:123456789012:service/mlapp-dev/api"
CLUSTER = "arn:aws:ecs:us-west-2:123456789012:cluster/mlapp-dev"
T0 = datetime(2026, 12, 1, tzinfo=UTC)


def brief(n: int, status: str) -> dict[str, Any]:
    return {
        "serviceDeploymentArn": f"{ARN}d{n}",
        "serviceArn": SERVICE,
        "clusterArn": CLUSTER,
        "status": status,
        "createdAt": T0 + timedelta(minutes=n),
    }


@pytest.mark.parametrize("oldest_first", [True, False])
def test_the_newest_is_the_one_created_last_across_pages(oldest_first: bool) -> None:
    listed = [brief(n, "SUCCESSFUL") for n in range(1, 25)] + [brief(25, "IN_PROGRESS")]
    if not oldest_first:
        listed.reverse()
    aws = Aws("us-west-2")
    raw = aws.client("ecs").raw
    asked = {"cluster": "mlapp-dev", "service": "api"}
    with Stubber(raw) as stub:
        stub.add_response(
            "list_service_deployments",
            {"serviceDeployments": listed[:20], "nextToken": "page-2"},
            asked,
        )
        stub.add_response(
            "list_service_deployments",
            {"serviceDeployments": listed[20:]},
            {**asked, "nextToken": "page-2"},
        )
        stub.add_response(
            "describe_service_deployments",
            {
                "serviceDeployments": [
                    {"serviceDeploymentArn": f"{ARN}d25", "status": "IN_PROGRESS"}
                ]
            },
            {"serviceDeploymentArns": [f"{ARN}d25"]},
        )
        found = newest(aws, "mlapp-dev", "api")
        stub.assert_no_pending_responses()
    assert found is not None
    assert found.arn == f"{ARN}d25" and found.status == "IN_PROGRESS"


def test_a_service_without_deployments_has_none() -> None:
    aws = Aws("us-west-2")
    with Stubber(aws.client("ecs").raw) as stub:
        stub.add_response(
            "list_service_deployments",
            {"serviceDeployments": []},
            {"cluster": "mlapp-dev", "service": "api"},
        )
        assert newest(aws, "mlapp-dev", "api") is None
