"""A service switched from a traffic-shifting strategy back to rolling stays on the target
group ECS left its production traffic on (desired.follow_traffic, pure)."""

from __future__ import annotations

from typing import Any

from ecsdeploy.desired import desired_resources
from ecsdeploy.desired.follow_traffic import follow_traffic
from ecsdeploy.images.refs import ImageRef
from ecsdeploy.resources import keys
from ecsdeploy.resources.base import Desired, Observed, Ref
from ecsdeploy.spec import parse_spec

from conftest import spec_text

ALT = "arn:aws:elasticloadbalancing:us-west-2:123456789012:targetgroup/mlapp-dev-{}-alt/1"
OWN = "arn:aws:elasticloadbalancing:us-west-2:123456789012:targetgroup/mlapp-dev-{}/2"
LISTENER = "arn:aws:elasticloadbalancing:us-west-2:123456789012:listener/app/x/1/2"


def rolling() -> list[Desired]:
    spec = parse_spec(spec_text(), "t.yaml")
    images = {n: ImageRef(n, s.image or "") for n, s in spec.services.items()}
    return desired_resources(spec, ["us-west-2a", "us-west-2b"], images)


def observed(name: str, weights: list[tuple[str, int]]) -> list[Observed]:
    rule: dict[str, Any] = {
        "listener": LISTENER,
        "priority": 50000,
        "paths": frozenset({"/*"}),
        "hosts": frozenset(),
    }
    return [
        Observed(
            "elbv2.target_group",
            keys.alternate_target_group(name),
            ALT.format(name),
            f"mlapp-dev-{name}-alt",
            {},
        ),
        Observed(
            "elbv2.listener_rule",
            keys.listener_rule(name),
            "rule-arn",
            f"mlapp-dev-{name}-rule",
            rule,
            attrs={"weights": weights},
        ),
    ]


def test_traffic_on_the_alternate_group_stays_there() -> None:
    want = rolling()
    found = {
        d.key: d
        for d in follow_traffic(
            want,
            observed("api", [(OWN.format("api"), 0), (ALT.format("api"), 100)])
            + observed("ui", [(OWN.format("ui"), 0), (ALT.format("ui"), 100)]),
        )
    }
    alt = Ref(keys.alternate_target_group("api"), "arn")
    assert keys.alternate_target_group("api") in found  # kept, not deleted
    assert found[keys.alternate_target_group("api")].name == "mlapp-dev-api-alt"
    service = found[keys.ecs_service("api")]
    assert {g for g, _, _ in service.props.load_balancers} == {alt}
    assert keys.alternate_target_group("api") in service.depends_on
    rule = found[keys.listener_rule("api")].props
    assert rule.target_group == alt and rule.alternate is None
    # the default service: its catch-all rule is kept, forwarding to the alternate group
    ui_rule = found[keys.listener_rule("ui")]
    assert ui_rule.props.target_group == Ref(keys.alternate_target_group("ui"), "arn")
    assert ui_rule.props.priority == 50000 and ui_rule.props.listener == LISTENER


def test_traffic_on_the_own_group_changes_nothing() -> None:
    want = rolling()
    weights = [(OWN.format("api"), 100), (ALT.format("api"), 0)]
    assert follow_traffic(want, observed("api", weights)) == want
    assert follow_traffic(want, []) == want
