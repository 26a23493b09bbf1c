"""What a `deploy:` block adds to the desired resources (pure): the strategy in the ECS
service's props, the traffic-shifting resources of routed services only, the alarms handed
to ECS, and nothing at all without a `deploy:`."""

from __future__ import annotations

from typing import Any

from ecsdeploy.desired import desired_resources
from ecsdeploy.images.refs import ImageRef
from ecsdeploy.resources import keys
from ecsdeploy.resources.base import Ref
from ecsdeploy.spec import parse_spec

from conftest import spec_text

WORKER = """\
  worker:
    image: 123456789012.dkr.ecr.us-west-2.amazonaws.com/worker:v1
"""


def desired(extra: str = "", services: str = "") -> dict[str, Any]:
    spec = parse_spec(spec_text() + services + extra, "t.yaml")
    images = {n: ImageRef(n, s.image or "") for n, s in spec.services.items()}
    return {d.key: d for d in desired_resources(spec, ["us-west-2a", "us-west-2b"], images)}


def test_without_deploy_only_the_alarms_are_handed_to_ecs() -> None:
    plain = desired(services=WORKER)
    for want in plain.values():
        if want.kind == "ecs.service":
            assert want.props.strategy is None and want.props.traffic is None
    assert not [k for k in plain if k.startswith(("tg-alt/", "rule-test/", "role/traffic"))]
    api = plain[keys.ecs_service("api")]
    assert api.props.alarms == frozenset({"mlapp-dev-api-p95-latency", "mlapp-dev-lb-5xx-rate"})
    # the alarms exist before ECS is told of them
    assert {keys.service_alarm("api", "p95"), keys.LOAD_BALANCER_ALARM} <= set(api.depends_on)
    # a service without its own latency alarm (not routed) hands ECS none
    assert plain[keys.ecs_service("worker")].props.alarms is None


def test_rolling_alarms_off_with_alarms_off_or_rollback_off() -> None:
    off = desired("deploy:\n  rollback_on_alarms: false\n")
    assert off[keys.ecs_service("api")].props.alarms is None
    assert desired("alarms: false\n")[keys.ecs_service("api")].props.alarms is None
    text = spec_text().replace("  api:\n", "  api:\n    alarms: false\n", 1)
    spec = parse_spec(text, "t.yaml")
    images = {n: ImageRef(n, s.image or "") for n, s in spec.services.items()}
    found = {d.key: d for d in desired_resources(spec, ["us-west-2a", "us-west-2b"], images)}
    assert found[keys.ecs_service("api")].props.alarms is None
    assert found[keys.ecs_service("ui")].props.alarms is not None


def test_linear_for_the_routed_services_rolling_for_the_worker() -> None:
    rolling = WORKER + "    deploy: {strategy: rolling}\n"
    found = desired("deploy:\n  strategy: linear\n  step_percent: 25\n  step_minutes: 3\n", rolling)
    api = found[keys.ecs_service("api")].props
    assert api.strategy == "LINEAR" and api.steps == (25.0, 3) and api.bake_minutes == 10
    assert api.pause_at is None
    alternate, production, test, role = api.traffic
    assert alternate == Ref(keys.alternate_target_group("api"), "arn")
    assert production == Ref(keys.listener_rule("api"), "arn")
    assert test is None  # no pause: no test rule
    assert role == Ref(keys.TRAFFIC_ROLE, "arn")
    rule = found[keys.listener_rule("api")].props
    assert rule.alternate == Ref(keys.alternate_target_group("api"), "arn")
    worker = found[keys.ecs_service("worker")].props
    assert worker.strategy == "ROLLING" and worker.traffic is None and worker.steps is None
    assert keys.test_rule("api") not in found


def test_a_service_deploy_wins_over_the_app_and_alarms_can_be_kept() -> None:
    own = "    deploy:\n      strategy: canary\n      rollback_on_alarms: true\n"
    text = spec_text().replace("  api:\n", "  api:\n" + own, 1)
    text += "deploy:\n  strategy: blue_green\n  rollback_on_alarms: false\n"
    spec = parse_spec(text, "t.yaml")
    images = {n: ImageRef(n, s.image or "") for n, s in spec.services.items()}
    found = {d.key: d for d in desired_resources(spec, ["us-west-2a", "us-west-2b"], images)}
    api = found[keys.ecs_service("api")].props
    assert api.strategy == "CANARY" and api.steps == (5.0, 10)  # ECS's defaults
    assert api.alarms == frozenset({"mlapp-dev-api-p95-latency", "mlapp-dev-lb-5xx-rate"})
    ui = found[keys.ecs_service("ui")].props
    assert ui.strategy == "BLUE_GREEN" and ui.alarms is None


def test_the_default_service_gets_a_catch_all_production_rule() -> None:
    found = desired("deploy:\n  strategy: blue_green\n  pause_before_traffic: true\n")
    rule = found[keys.listener_rule("ui")].props
    assert rule.priority == 50000 and rule.paths == frozenset({"/*"})
    test = found[keys.test_rule("ui")].props
    assert test.priority < 100 and test.query == "ecsdeploy-test=1"
    assert found[keys.ecs_service("ui")].props.pause_at == "POST_TEST_TRAFFIC_SHIFT"


def test_groups_the_other_way_round_are_no_change() -> None:
    from ecsdeploy.resources import ecs_strategy

    want = {
        "load_balancers": frozenset({("tg-a", "api", 8000)}),
        "traffic": ("tg-b", "rule", None, "role"),
    }
    swapped = {
        "load_balancers": frozenset({("tg-b", "api", 8000)}),
        "traffic": ("tg-a", "rule", None, "role"),
    }
    assert ecs_strategy.same_pair(want, swapped)
    other = {**swapped, "traffic": ("tg-a", "other-rule", None, "role")}
    assert not ecs_strategy.same_pair(want, other)
    assert not ecs_strategy.same_pair(want, {**want, "traffic": None})


def test_the_rollout_wait_grows_by_the_strategy_s_minutes() -> None:
    from ecsdeploy.resources.ecs_strategy import shift_seconds

    assert shift_seconds({"strategy": "ROLLING"}) == 0
    assert shift_seconds({"strategy": "BLUE_GREEN", "bake_minutes": 10}) == 600
    assert shift_seconds({"strategy": "CANARY", "bake_minutes": 5, "steps": (10.0, 15)}) == 1200
    # 25% steps: three waits of 4 minutes before the last step, then the bake
    assert shift_seconds({"strategy": "LINEAR", "bake_minutes": 1, "steps": (25.0, 4)}) == 780
