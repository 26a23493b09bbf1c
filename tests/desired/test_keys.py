"""Resource keys: the shapes are stored (the ``ecsdeploy:key`` tag of every deployed
resource, the applied record), so each is pinned here; and everything the desired state
holds is a key the keys module builds."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from pathlib import Path

import pytest

from ecsdeploy.desired import desired_resources
from ecsdeploy.images.artifacts import ArtifactRef
from ecsdeploy.images.refs import resolve
from ecsdeploy.resources import keys
from ecsdeploy.resources.base import Desired
from ecsdeploy.spec import load_spec

from conftest import CONFIGS

# the values deployed resources carry in their ecsdeploy:key tag: never change one
PINNED: list[tuple[str, str]] = [
    (keys.VPC, "vpc"),
    (keys.INTERNET_GATEWAY, "igw"),
    (keys.PUBLIC_ROUTE_TABLE, "rt/public"),
    (keys.LOAD_BALANCER_GROUP, "sg/lb"),
    (keys.ENDPOINTS_GROUP, "sg/endpoints"),
    (keys.EXECUTION_ROLE, "role/execution"),
    (keys.INFRASTRUCTURE_ROLE, "role/infrastructure"),
    (keys.ARTIFACTS_BUCKET, "bucket/artifacts"),
    (keys.LOAD_BALANCER, "lb"),
    (keys.WEB_ACL, "waf"),
    (keys.LOG_BUCKET, "bucket/lb-logs"),
    (keys.HTTP_LISTENER, "listener/http"),
    (keys.HTTPS_LISTENER, "listener/https"),
    (keys.CLUSTER, "cluster"),
    (keys.NAMESPACE, "namespace"),
    (keys.ALARM_TOPIC, "topic/alarms"),
    (keys.LOAD_BALANCER_ALARM, "alarm/lb/5xx"),
    (keys.DASHBOARD, "dashboard"),
    (keys.subnet("public", 0), "subnet/public-0"),
    (keys.subnet("private", 2), "subnet/private-2"),
    (keys.nat_address(1), "eip/nat-1"),
    (keys.nat_gateway(0), "nat/0"),
    (keys.private_route_table(1), "rt/private-1"),
    (keys.vpc_endpoint("ecr.api"), "endpoint/ecr.api"),
    (keys.service_group("api"), "sg/api"),
    (keys.task_role("api"), "role/api-task"),
    (keys.log_group("api"), "logs/api"),
    (keys.repository("api"), "repo/api"),
    (keys.image("api"), "image/api"),
    (keys.artifact("model"), "artifact/model"),
    (keys.listener("https"), "listener/https"),
    (keys.target_group("api"), "tg/api"),
    (keys.listener_rule("api"), "rule/api"),
    (keys.TRAFFIC_ROLE, "role/traffic"),
    (keys.alternate_target_group("api"), "tg-alt/api"),
    (keys.test_rule("api"), "rule-test/api"),
    (keys.waf_association("lb"), "waf/lb"),
    (keys.task_definition("api"), "taskdef/api"),
    (keys.ecs_service("api"), "service/api"),
    (keys.express_service("api"), "express/api"),
    (keys.scaling_target("api"), "scaling/api"),
    (keys.scaling_policy("api", "cpu"), "scaling/api/cpu"),
    (keys.subscription("email", "ops@example.com"), "subscription/email/ops@example.com"),
    (keys.service_alarm("api", "p95"), "alarm/api/p95"),
    (keys.certificate("0123abcd"), "cert/0123abcd"),
    (keys.alias_record("AAAA", "app.example.com"), "dns/AAAA/app.example.com"),
    (keys.validation_record("app.example.com"), "dns/validation/app.example.com"),
    (keys.SCHEDULE_GROUP, "schedule-group"),
    (keys.ALARM_TOPIC_POLICY, "topic-policy/alarms"),
    (keys.schedule("train"), "schedule/train"),
    (keys.scheduler_role("train"), "role/train-scheduler"),
    (keys.job_failure_rule("train"), "job-failed/train"),
]


def test_the_stored_key_shapes_do_not_change() -> None:
    for built, stored in PINNED:
        assert built == stored


def test_every_constant_and_shape_is_listed_for_parsing() -> None:
    """A key added to the module is known to ``parse`` (and so to the test below)."""
    constants = {
        name
        for name, value in vars(keys).items()
        if name.isupper() and isinstance(value, str) and not name.startswith("_")
    }
    assert constants == set(keys.CONSTANTS)
    assert all(getattr(keys, name) == value for name, value in keys.CONSTANTS.items())
    helpers = {"parse", "shape_of", "image_service", "is_express_service"}
    functions = {
        name
        for name, value in vars(keys).items()
        if inspect.isfunction(value) and value.__module__ == keys.__name__
        and not name.startswith("_")
    } - helpers  # fmt: skip
    assert functions == set(keys.SHAPES)
    assert all(keys.SHAPES[name][0] is getattr(keys, name) for name in functions)


@pytest.mark.parametrize("key", sorted({stored for _, stored in PINNED}))
def test_each_key_parses_back_to_what_built_it(key: str) -> None:
    parsed = keys.parse(key)
    assert parsed is not None, key
    name, args = parsed
    assert keys.shape_of(key) == name
    if name in keys.CONSTANTS:
        assert args == () and keys.CONSTANTS[name] == key
    else:
        assert keys.SHAPES[name][0](*args) == key


def test_parsing() -> None:
    assert keys.parse("tg/api") == ("target_group", ("api",))
    assert keys.parse("sg/lb") == ("LOAD_BALANCER_GROUP", ())
    assert keys.parse("scaling/api/requests") == ("scaling_policy", ("api", "requests"))
    assert keys.parse("subnet/public-1") == ("subnet", ("public", "1"))
    assert keys.parse("nope/a/b/c") is None and keys.shape_of("") is None
    assert keys.image_service(keys.image("ml-api")) == "ml-api"
    assert keys.is_express_service(keys.express_service("web"))
    assert not keys.is_express_service(keys.ecs_service("web"))


def _keys_of(desired: list[Desired]) -> Iterator[str]:
    for want in desired:
        yield want.key
        yield from want.refs()
        yield from want.needs_ready


@pytest.mark.parametrize(
    "config", ["example.yaml", "hardened.yaml", "express.yaml", "private-no-nat.yaml"]
)
def test_desired_resources_use_only_keys_the_module_builds(config: str) -> None:
    spec = load_spec(CONFIGS / config)
    images = resolve(spec, CONFIGS, "123456789012.dkr.ecr.us-west-2.amazonaws.com")
    artifacts = {
        "model": ArtifactRef(
            "model", Path("model.joblib"), "bucket", "model/0123/model.joblib", "0" * 64, True
        )
    }
    zones = ["us-west-2a", "us-west-2b", "us-west-2c"]
    desired = desired_resources(spec, zones, images, artifacts, account="123456789012")
    seen = set(_keys_of(desired))
    assert seen >= {d.key for d in desired} and keys.ARTIFACTS_BUCKET in seen
    for key in sorted(seen):
        parsed = keys.parse(key)
        assert parsed is not None, f"{key} is not built by ecsdeploy.resources.keys"
        name, args = parsed
        rebuilt = keys.CONSTANTS[name] if name in keys.CONSTANTS else keys.SHAPES[name][0](*args)
        assert rebuilt == key
