"""spec -> what each service's ``deploy:`` adds to the desired resources: the strategy in
its ECS service's props, and for a routed service what ECS needs to shift load-balancer
traffic (an alternate target group, the production rule forwarding to both groups, a test
rule when the deployment pauses, and the role ECS assumes); the alarms ECS rolls back on.
Pure.

A service without any ``deploy:`` (app-wide or its own) keeps ECS's rolling strategy and
only hands ECS its alarms (where it has its own).
ECS developer guide: deployment-type-blue-green ("Required resources": two target groups,
a production listener rule, an infrastructure role with
AmazonECSInfrastructureRolePolicyForLoadBalancers; optional test listener rule),
canary-deployment, linear-deployment, deployment-lifecycle-hooks.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace

from ecsdeploy.desired.common import default_service
from ecsdeploy.desired.iam import managed_policy
from ecsdeploy.desired.load_balancer import main_listener, service_url
from ecsdeploy.desired.monitoring import on_both_groups
from ecsdeploy.resources import keys
from ecsdeploy.resources.base import Desired, Joined, Ref
from ecsdeploy.resources.ecs_service import ServiceProps
from ecsdeploy.resources.ecs_strategy import PAUSE_STAGE
from ecsdeploy.resources.iam_role import RoleProps, trust_policy
from ecsdeploy.resources.listener_rule import ListenerRuleProps
from ecsdeploy.resources.target_group import TargetGroupProps
from ecsdeploy.spec.deploy import ECS_STRATEGY, Plan, plan_of
from ecsdeploy.spec.models import Route, Spec
from ecsdeploy.spec.naming import Owner

TRAFFIC_POLICY = "AmazonECSInfrastructureRolePolicyForLoadBalancers"
# the query string that sends a request to a paused deployment's new revision
TEST_QUERY = ("ecsdeploy-test", "1")
CATCH_ALL = 50000  # the last priority AWS allows: the default service's production rule
TEST_BAND = range(1, 100)  # before every route's rule (those start at 100)


def strategy_plans(spec: Spec) -> dict[str, Plan]:
    """Each classic service's strategy, for those under a ``deploy:`` (own or app-wide)."""
    out = {}
    for name, svc in spec.services.items():
        found = plan_of(spec.deploy, svc.deploy)
        if found is not None and svc.mode == "classic":
            out[name] = found
    return out


def with_strategies(spec: Spec, owner: Owner, desired: list[Desired]) -> list[Desired]:
    """``desired`` with each service's strategy and what it needs added."""
    plans = strategy_plans(spec)
    by_key = {d.key: d for d in desired}
    out = _with_alarms(spec, desired, by_key, set(plans))
    if not plans:
        return out
    by_key = {d.key: d for d in out}
    traffic = [n for n, p in plans.items() if p.shifts_traffic and keys.target_group(n) in by_key]
    if traffic:
        out.append(_traffic_role(spec, owner))
    taken: set[int] = set()
    for name in sorted(traffic):
        for made in _routing(spec, owner, name, plans[name], by_key, taken):
            if made.key in by_key:  # the service's rule, now forwarding to both groups
                out[out.index(by_key[made.key])] = made
            else:
                out.append(made)
        out = on_both_groups(out, name)  # the traffic moves between the two groups
    for name, found in plans.items():
        key = keys.ecs_service(name)
        if key not in by_key:
            continue  # no images given: no ECS resources planned
        service = by_key[key]
        assert isinstance(service.props, ServiceProps)
        alarms = _alarms(spec, name, found.rollback_on_alarms, by_key)
        props = replace(
            service.props,
            strategy=ECS_STRATEGY[found.strategy],
            bake_minutes=found.bake_minutes if found.shifts_traffic else None,
            steps=_steps(found),
            pause_at=PAUSE_STAGE if found.pause and name in traffic else None,
            alarms=frozenset(by_key[k].name for k in alarms) if alarms else None,
            traffic=_traffic(name, found) if name in traffic else None,
        )
        depends = service.depends_on + tuple(k for k in alarms if k not in service.depends_on)
        out[out.index(service)] = replace(service, props=props, depends_on=depends)
    return out


def preview_url(spec: Spec, name: str) -> Joined | str:
    """Where a paused deployment's new revision answers (the test rule's query string)."""
    url = service_url(spec, name)
    query = f"/?{TEST_QUERY[0]}={TEST_QUERY[1]}"
    if isinstance(url, Joined):
        return Joined((*url.parts, query))
    return url + query


def _steps(found: Plan) -> tuple[float, int] | None:
    if found.strategy == "canary":
        return (found.canary_percent, found.step_minutes)
    if found.strategy == "linear":
        return (found.step_percent, found.step_minutes)
    return None


def _traffic(name: str, found: Plan) -> tuple[str | Ref, str | Ref, str | Ref | None, str | Ref]:
    test = Ref(keys.test_rule(name), "arn") if found.pause else None
    return (
        Ref(keys.alternate_target_group(name), "arn"),
        Ref(keys.listener_rule(name), "arn"),
        test,
        Ref(keys.TRAFFIC_ROLE, "arn"),
    )


def _with_alarms(
    spec: Spec, desired: list[Desired], by_key: dict[str, Desired], planned: set[str]
) -> list[Desired]:
    """``desired`` with the alarms handed to ECS by every classic service outside a
    ``deploy:`` (rolling: ECS watches them with the rolling strategy too; developer guide
    "How CloudWatch alarms detect Amazon ECS deployment failures",
    deployment-alarm-failure). The service waits for its alarms: ECS is told of alarms
    that exist."""
    out = list(desired)
    for name, svc in spec.services.items():
        key = keys.ecs_service(name)
        if name in planned or svc.mode != "classic" or key not in by_key:
            continue
        alarms = _alarms(spec, name, None, by_key)
        if not alarms:
            continue
        service = by_key[key]
        assert isinstance(service.props, ServiceProps)
        props = replace(service.props, alarms=frozenset(by_key[k].name for k in alarms))
        depends = service.depends_on + tuple(k for k in alarms if k not in service.depends_on)
        out[out.index(service)] = replace(service, props=props, depends_on=depends)
    return out


def _alarms(spec: Spec, name: str, rollback: bool | None, by_key: dict[str, Desired]) -> list[str]:
    """The keys of the alarms ECS rolls the service back on: its own latency alarm and the
    load balancer's 5xx-rate alarm, where the service has its own (a routed service with
    alarms on); none with ``rollback_on_alarms: false``."""
    if rollback is False or spec.services[name].alarms is None:
        return []
    own = keys.service_alarm(name, "p95")
    if own not in by_key:
        return []
    return [k for k in (own, keys.LOAD_BALANCER_ALARM) if k in by_key]


def _traffic_role(spec: Spec, owner: Owner) -> Desired:
    return Desired(
        "iam.role",
        keys.TRAFFIC_ROLE,
        owner.role_name("traffic"),
        RoleProps(
            path=owner.iam_path(),
            trust=trust_policy("ecs.amazonaws.com"),
            managed=frozenset({managed_policy(spec.region, TRAFFIC_POLICY)}),
            inline={},
        ),
    )


def _routing(
    spec: Spec,
    owner: Owner,
    name: str,
    found: Plan,
    by_key: dict[str, Desired],
    taken: set[int],
) -> list[Desired]:
    """The alternate target group, the production rule forwarding to both groups (a
    catch-all rule for the service behind the listener's default action: ECS moves the
    weights of a rule, not of a listener's default action), and the test rule."""
    primary = by_key[keys.target_group(name)]
    assert isinstance(primary.props, TargetGroupProps)
    alternate_name = owner.target_group_name(f"{name}-alt")
    out = [
        replace(
            primary,
            key=keys.alternate_target_group(name),
            name=alternate_name,
            props=replace(primary.props, name=alternate_name),
        )
    ]
    route = spec.services[name].route or Route(path="/*")
    rule_props = ListenerRuleProps(
        listener=Ref(main_listener(spec), "arn"),
        priority=CATCH_ALL,
        paths=frozenset({route.path} if route.path else ()),
        hosts=frozenset({route.host} if route.host else ()),
        target_group=Ref(keys.target_group(name), "arn"),
        alternate=Ref(keys.alternate_target_group(name), "arn"),
    )
    rule = by_key.get(keys.listener_rule(name))
    if rule is not None:
        assert isinstance(rule.props, ListenerRuleProps)
        rule_props = replace(rule_props, priority=rule.props.priority)
        production = replace(rule, props=rule_props)
        out.append(production)
    else:  # the default service: its route is the listener's default action
        assert name == default_service(spec)
        out.append(
            Desired(
                "elbv2.listener_rule",
                keys.listener_rule(name),
                owner.name(name, "rule"),
                rule_props,
            )
        )
    if found.pause:
        out.append(
            Desired(
                "elbv2.listener_rule",
                keys.test_rule(name),
                owner.name(name, "test-rule"),
                replace(
                    rule_props,
                    priority=_test_priority(name, taken),
                    query=f"{TEST_QUERY[0]}={TEST_QUERY[1]}",
                ),
            )
        )
    return out


def _test_priority(name: str, taken: set[int]) -> int:
    """A priority before every route's rule that does not churn (a hash of the name)."""
    offset = int(hashlib.sha256(name.encode()).hexdigest(), 16) % len(TEST_BAND)
    for step in range(len(TEST_BAND)):
        priority = TEST_BAND[(offset + step) % len(TEST_BAND)]
        if priority not in taken:
            taken.add(priority)
            return priority
    raise ValueError("more than 99 services pausing their deployments")
