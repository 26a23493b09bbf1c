"""Deployment strategies from the spec (canary, linear, blue/green, pause, alarm rollback)
against moto plus the deployment fake (tests/support/deploy_fake.py), which checks every
request against botocore's ECS model and refuses what AWS refuses."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from ecsdeploy.plan.model import Action

from conftest import Harness, spec_text
from deploy_fake import DeployFake, install_on_every_deployment

REGION = "us-west-2"
BLUE_GREEN = "deploy:\n  strategy: blue_green\n  pause_before_traffic: true\n"


@pytest.fixture
def fake(aws: None, monkeypatch: pytest.MonkeyPatch) -> DeployFake:
    return install_on_every_deployment(monkeypatch, DeployFake(REGION))


def _request(fake: DeployFake, op: str, service: str) -> dict[str, Any]:
    found = [
        p
        for o, p in fake.requests
        if o == op and service in (p.get("serviceName"), p.get("service"))
    ]
    assert found, f"no {op} of {service}"
    return found[-1]


def _rules() -> dict[str, dict[str, Any]]:
    """The load balancer's rules by priority, with the groups each forwards to."""
    elbv2 = boto3.client("elbv2", region_name=REGION)
    out = {}
    for lb in elbv2.describe_load_balancers()["LoadBalancers"]:
        for listener in elbv2.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])[
            "Listeners"
        ]:
            for rule in elbv2.describe_rules(ListenerArn=listener["ListenerArn"])["Rules"]:
                out[rule["Priority"]] = rule
    return out


def _groups(rule: dict[str, Any]) -> dict[str, int]:
    action = rule["Actions"][0]
    groups = action.get("ForwardConfig", {}).get("TargetGroups") or [
        {"TargetGroupArn": action["TargetGroupArn"], "Weight": 1}
    ]
    return {g["TargetGroupArn"].split("/")[-2]: g.get("Weight", 1) for g in groups}


def test_blue_green_with_pause_creates_what_ecs_needs(harness: Harness, fake: DeployFake) -> None:
    text = spec_text() + BLUE_GREEN
    harness.up(text)
    assert fake.rejected == []

    elbv2 = boto3.client("elbv2", region_name=REGION)
    groups = {g["TargetGroupName"] for g in elbv2.describe_target_groups()["TargetGroups"]}
    assert groups == {"mlapp-dev-api", "mlapp-dev-api-alt", "mlapp-dev-ui", "mlapp-dev-ui-alt"}
    rules = _rules()
    # the default service's production rule is a catch-all rule (ECS moves a rule's weights)
    assert _groups(rules["50000"]) == {"mlapp-dev-ui": 100, "mlapp-dev-ui-alt": 0}
    test_rules = [r for p, r in rules.items() if p != "default" and int(p) < 100]
    assert len(test_rules) == 2
    for rule in test_rules:
        fields = {c["Field"] for c in rule["Conditions"]}
        assert "query-string" in fields

    iam = boto3.client("iam", region_name=REGION)
    attached = iam.list_attached_role_policies(RoleName="mlapp-dev-traffic")["AttachedPolicies"]
    assert [p["PolicyName"] for p in attached] == [
        "AmazonECSInfrastructureRolePolicyForLoadBalancers"
    ]
    trust = iam.get_role(RoleName="mlapp-dev-traffic")["Role"]["AssumeRolePolicyDocument"]
    assert "ecs.amazonaws.com" in str(trust)

    create = _request(fake, "CreateService", "api")
    config = create["deploymentConfiguration"]
    assert config["strategy"] == "BLUE_GREEN"
    assert config["bakeTimeInMinutes"] == 10
    assert config["lifecycleHooks"] == [
        {"targetType": "PAUSE", "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"]}
    ]
    assert config["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
    # the service's own latency alarm and the load balancer's 5xx rate, handed to ECS
    assert config["alarms"] == {
        "alarmNames": ["mlapp-dev-api-p95-latency", "mlapp-dev-lb-5xx-rate"],
        "enable": True,
        "rollback": True,
    }
    advanced = create["loadBalancers"][0]["advancedConfiguration"]
    assert set(advanced) == {
        "alternateTargetGroupArn",
        "productionListenerRule",
        "testListenerRule",
        "roleArn",
    }
    assert advanced["roleArn"].endswith("/mlapp-dev-traffic")
    harness.assert_up_changes_nothing(text)


def test_re_up_leaves_the_weights_ecs_moved(harness: Harness, fake: DeployFake) -> None:
    text = spec_text() + "deploy:\n  strategy: canary\n  canary_percent: 20\n"
    harness.up(text)
    harness.up(text.replace("api:v1", "api:v2"))
    fake.advance(12)  # the canary, then the rest: production on the other group
    dep = fake.deployment_of("api")
    assert dep is not None and dep.status == "SUCCESSFUL"
    weights = [w for _, w in fake.shifts]
    assert [sorted(x for _, x in w) for w in weights] == [[20, 80], [0, 100]]
    api_rule = next(r for r in _rules().values() if "mlapp-dev-api-alt" in _groups(r))
    assert _groups(api_rule) == {"mlapp-dev-api": 0, "mlapp-dev-api-alt": 100}
    harness.assert_up_changes_nothing(text.replace("api:v1", "api:v2"))


def test_switching_back_to_rolling_keeps_the_service(harness: Harness, fake: DeployFake) -> None:
    text = spec_text() + BLUE_GREEN
    harness.up(text)
    dep: Any = harness.deployment(spec_text())
    plan = dep.plan_up()
    actions = {s.key: s.action for s in plan.changes}
    assert actions["service/api"] is Action.UPDATE
    assert actions["tg-alt/api"] is Action.DELETE
    assert actions["rule-test/api"] is Action.DELETE
    assert actions["rule/ui"] is Action.DELETE  # the listener's default action serves ui again
    assert actions["role/traffic"] is Action.DELETE
    result = dep.apply(plan)
    assert result.ok, [(s.key, str(e)) for s, e in result.failed]
    update = _request(fake, "UpdateService", "api")
    assert update["deploymentConfiguration"]["strategy"] == "ROLLING"
    assert update["deploymentConfiguration"]["lifecycleHooks"] == []
    assert "advancedConfiguration" not in update["loadBalancers"][0]
    assert fake.rejected == []
    harness.assert_up_changes_nothing(spec_text())
    # and to blue/green again
    harness.up(text)
    harness.assert_up_changes_nothing(text)


def test_the_fake_refuses_what_aws_refuses(harness: Harness, fake: DeployFake) -> None:
    from botocore.exceptions import ClientError

    harness.up(spec_text() + BLUE_GREEN)
    dep: Any = harness.deployment(spec_text() + BLUE_GREEN)
    ecs = dep.aws.client("ecs").raw
    create = _request(fake, "CreateService", "api")
    balancer = create["loadBalancers"][0]
    bare = {k: v for k, v in balancer.items() if k != "advancedConfiguration"}
    with pytest.raises(ClientError, match="requires advancedConfiguration"):
        ecs.update_service(
            cluster="mlapp-dev",
            service="api",
            loadBalancers=[bare],
            deploymentConfiguration=create["deploymentConfiguration"],
        )
    # a production rule forwarding to one group only
    elbv2 = boto3.client("elbv2", region_name=REGION)
    rule = balancer["advancedConfiguration"]["productionListenerRule"]
    elbv2.modify_rule(
        RuleArn=rule, Actions=[{"Type": "forward", "TargetGroupArn": balancer["targetGroupArn"]}]
    )
    with pytest.raises(ClientError, match="must forward to both"):
        ecs.update_service(cluster="mlapp-dev", service="api", loadBalancers=[balancer])
    # a PAUSE hook at a traffic-shift stage; BLUE_GREEN without a bake time
    config = dict(create["deploymentConfiguration"])
    with pytest.raises(ClientError, match="PAUSE hooks cannot"):
        hooks = [{"targetType": "PAUSE", "lifecycleStages": ["PRODUCTION_TRAFFIC_SHIFT"]}]
        ecs.update_service(
            cluster="mlapp-dev",
            service="api",
            deploymentConfiguration={**config, "lifecycleHooks": hooks},
        )
    config.pop("bakeTimeInMinutes")
    with pytest.raises(ClientError, match="bakeTimeInMinutes is required"):
        ecs.update_service(cluster="mlapp-dev", service="api", deploymentConfiguration=config)
    # and the model: a member ECS does not have
    with pytest.raises(Exception, match="Unknown parameter"):
        ecs.update_service(
            cluster="mlapp-dev",
            service="api",
            deploymentConfiguration={**config, "canaryPercent": 5},
        )
    assert fake.rejected


def test_a_paused_deployment_waits_until_continued(harness: Harness, fake: DeployFake) -> None:
    text = spec_text() + BLUE_GREEN
    harness.up(text)
    harness.up(text.replace("api:v1", "api:v2"))
    dep = fake.deployment_of("api")
    assert dep is not None
    fake.advance(10)
    assert dep.hook is not None and dep.status == "IN_PROGRESS"  # waits at its pause
    weights = dict(fake.shifts[-1][1])  # the test rule: all test traffic on the new group
    assert sorted(weights.values()) == [0, 100]
    fake.advance(10)
    assert dep.hook is not None  # still waiting: only ContinueServiceDeployment moves it


def test_rolling_services_hand_ecs_their_alarms(harness: Harness, fake: DeployFake) -> None:
    """Without any `deploy:`, a routed service with alarms keeps ECS's rolling strategy and
    hands ECS its alarms (deployment-alarm-failure: alarms work with rolling updates); an
    answer that echoes them back is no change; alarms turned off turn the check off."""
    harness.up(spec_text())
    config = _request(fake, "CreateService", "api")["deploymentConfiguration"]
    assert "strategy" not in config and "lifecycleHooks" not in config
    assert config["alarms"] == {
        "alarmNames": ["mlapp-dev-api-p95-latency", "mlapp-dev-lb-5xx-rate"],
        "enable": True,
        "rollback": True,
    }
    cw = boto3.client("cloudwatch", region_name=REGION)
    names = {a["AlarmName"] for a in cw.describe_alarms()["MetricAlarms"]}
    assert set(config["alarms"]["alarmNames"]) <= names
    assert fake.rejected == []
    harness.assert_up_changes_nothing(spec_text())

    off = spec_text().replace("  api:\n", "  api:\n    alarms: false\n", 1)
    harness.up(off)
    update = _request(fake, "UpdateService", "api")["deploymentConfiguration"]
    assert update["alarms"] == {"alarmNames": [], "enable": False, "rollback": False}
    assert update["strategy"] == "ROLLING"
    harness.assert_up_changes_nothing(off)


def test_back_to_rolling_keeps_the_traffic_on_the_group_with_the_tasks(
    harness: Harness, fake: DeployFake
) -> None:
    """After a blue/green deployment the production traffic and the tasks are on the
    alternate group. Switching to rolling must not point the rule at the service's own
    group, where ECS has registered no task yet (update-bluegreen-to-rolling: ECS keeps
    the load-balancer configuration of the revision serving traffic)."""
    quick = "deploy:\n  strategy: blue_green\n  bake_minutes: 0\n"
    v2 = spec_text().replace("api:v1", "api:v2")
    harness.up(spec_text() + quick)
    harness.up(v2 + quick)
    fake.advance(12)
    dep = fake.deployment_of("api")
    assert dep is not None and dep.status == "SUCCESSFUL"
    api_rule = next(r for r in _rules().values() if "mlapp-dev-api-alt" in _groups(r))
    assert _groups(api_rule) == {"mlapp-dev-api": 0, "mlapp-dev-api-alt": 100}
    assert fake.outages == []

    harness.up(v2)  # no deploy: rolling again
    fake.advance(3)
    fake.check_traffic()
    assert fake.outages == []
    rule = next(r for r in _rules().values() if r["RuleArn"] == api_rule["RuleArn"])
    assert set(_groups(rule)) == {"mlapp-dev-api-alt"}
    update = _request(fake, "UpdateService", "api")
    assert update["deploymentConfiguration"]["strategy"] == "ROLLING"
    assert "advancedConfiguration" not in update["loadBalancers"][0]
    assert update["loadBalancers"][0]["targetGroupArn"].split("/")[-2] == "mlapp-dev-api-alt"
    assert fake.rejected == []
    harness.assert_up_changes_nothing(v2)
    # a new revision rolls out in the group that has the traffic
    v3 = v2.replace("api:v2", "api:v3")
    harness.up(v3)
    fake.advance(3)
    fake.check_traffic()
    assert fake.outages == []
    harness.assert_up_changes_nothing(v3)


def test_back_to_blue_green_from_the_alternate_group_keeps_the_traffic(
    harness: Harness, fake: DeployFake
) -> None:
    """A service that went back to rolling on its alternate group (above) and then shifts
    traffic again: the production rule forwards to both groups, with all the traffic left
    on the group that has the tasks, never on the empty one."""
    quick = "deploy:\n  strategy: blue_green\n  bake_minutes: 0\n"
    v2 = spec_text().replace("api:v1", "api:v2")
    harness.up(spec_text() + quick)
    harness.up(v2 + quick)
    fake.advance(12)
    harness.up(v2)  # rolling, on the alternate group
    fake.advance(3)
    api_rule = next(r for r in _rules().values() if set(_groups(r)) == {"mlapp-dev-api-alt"})
    harness.up(v2 + quick)  # blue/green again
    fake.advance(1)
    fake.check_traffic()
    assert fake.outages == []
    rule = next(r for r in _rules().values() if r["RuleArn"] == api_rule["RuleArn"])
    assert _groups(rule) == {"mlapp-dev-api": 0, "mlapp-dev-api-alt": 100}
    assert fake.rejected == []


def _watched_groups(alarm_name: str) -> set[str]:
    """The target groups an alarm reads (its own dimension, or its metric-math queries)."""
    cloudwatch = boto3.client("cloudwatch", region_name=REGION)
    alarm = cloudwatch.describe_alarms(AlarmNames=[alarm_name])["MetricAlarms"][0]
    dims = list(alarm.get("Dimensions") or [])
    for query in alarm.get("Metrics") or []:
        dims += query.get("MetricStat", {}).get("Metric", {}).get("Dimensions", [])
    return {d["Value"].split("/")[1] for d in dims if d["Name"] == "TargetGroup"}


def test_the_alarms_ecs_rolls_back_on_watch_the_group_with_the_traffic(
    harness: Harness, fake: DeployFake
) -> None:
    """Each blue/green deployment moves the traffic to the group the previous one did not
    use: a service's latency and unhealthy-target alarms read both groups (the worse of
    the two), or ECS would watch an empty group after every other release."""
    quick = "deploy:\n  strategy: blue_green\n  bake_minutes: 0\n"
    v2 = spec_text().replace("api:v1", "api:v2")
    harness.up(spec_text() + quick)
    both = {"mlapp-dev-api", "mlapp-dev-api-alt"}
    assert _watched_groups("mlapp-dev-api-p95-latency") == both
    assert _watched_groups("mlapp-dev-api-unhealthy-targets") == both
    cloudwatch = boto3.client("cloudwatch", region_name=REGION)
    p95 = cloudwatch.describe_alarms(AlarmNames=["mlapp-dev-api-p95-latency"])["MetricAlarms"][0]
    stats = {q["MetricStat"]["Stat"] for q in p95["Metrics"] if "MetricStat" in q}
    assert stats == {"p95"}
    assert [q["Expression"] for q in p95["Metrics"] if q.get("ReturnData")] == [
        "MAX([FILL(own, 0), FILL(alternate, 0)])"
    ]
    assert _request(fake, "CreateService", "api")["deploymentConfiguration"]["alarms"][
        "alarmNames"
    ] == ["mlapp-dev-api-p95-latency", "mlapp-dev-lb-5xx-rate"]
    harness.up(v2 + quick)
    fake.advance(12)  # the traffic is on the alternate group now
    harness.assert_up_changes_nothing(v2 + quick)

    harness.up(v2)  # rolling again, kept on the alternate group, still watched there
    assert "mlapp-dev-api-alt" in _watched_groups("mlapp-dev-api-p95-latency")
    harness.assert_up_changes_nothing(v2)
    # ui was never redeployed: its traffic is on its own group, its alternate is gone and
    # its alarms watch the one group again
    assert _watched_groups("mlapp-dev-ui-p95-latency") == {"mlapp-dev-ui"}
