"""Every ARN ecsdeploy writes is in the region's partition: China (aws-cn) and GovCloud
(aws-us-gov) have no `arn:aws:` resources, managed policies included."""

from __future__ import annotations

import re
from typing import Any

import pytest

from ecsdeploy.desired import desired_resources
from ecsdeploy.images.refs import ImageRef
from ecsdeploy.spec import load_spec

from conftest import CONFIGS

ARN = re.compile(r"arn:([a-z-]+):")


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list | tuple | set | frozenset):
        return [s for v in value for s in _strings(v)]
    return []


@pytest.mark.parametrize(
    ("region", "partition"),
    [("us-west-2", "aws"), ("cn-north-1", "aws-cn"), ("us-gov-west-1", "aws-us-gov")],
)
def test_every_arn_is_in_the_regions_partition(region: str, partition: str) -> None:
    example = load_spec(CONFIGS / "example.yaml")
    # without the ARNs the user wrote (secrets, permissions): those are the user's to get right
    services = {
        name: svc.model_copy(update={"secrets": {}, "permissions": []})
        for name, svc in example.services.items()
    }
    jobs = {name: job.model_copy(update={"permissions": []}) for name, job in example.jobs.items()}
    spec = example.model_copy(update={"region": region, "services": services, "jobs": jobs})
    images = {
        name: ImageRef(name, f"123456789012.dkr.ecr.{region}.amazonaws.com/{name}:1")
        for name in [*spec.services, *spec.jobs]
    }
    found = []
    for want in desired_resources(spec, [f"{region}a", f"{region}b"], images):
        props: Any = want.props
        mapping = props.as_mapping() if hasattr(props, "as_mapping") else props
        found += ARN.findall(" ".join(_strings(dict(mapping))))
    assert found, "the example's resources name no ARN: the test would prove nothing"
    assert set(found) == {partition}
