"""The desired state, adjusted to where a service's production traffic is now: after a
canary, linear or blue/green deployment ECS may have left the traffic (and the tasks) on
the service's alternate target group. Pure, given what was observed.

ECS developer guide, "Updating the deployment strategy from Amazon ECS blue/green to
rolling update" (update-bluegreen-to-rolling): ECS identifies the service revision that
serves traffic and keeps the existing load-balancer configuration; the next rolling
deployment starts from there. Pointing the production rule back at the service's own group
before ECS has registered tasks in it would send every request to a group without a
healthy target. So while the production rule sends the traffic to the alternate group, a
service switched back to rolling stays there: the rule forwards there only, the service
is registered there, and the alternate group is kept (not deleted); only the test rule and
the role ECS assumed go. (A service that still shifts traffic needs nothing: the plan
calls its two groups the other way round no change. One that shifts traffic again from
the alternate group gets a rule forwarding to both with the traffic left where it is:
``resources.listener_rule``.)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from ecsdeploy.desired.monitoring import on_both_groups
from ecsdeploy.resources import keys
from ecsdeploy.resources.base import Desired, Observed, Ref
from ecsdeploy.resources.ecs_service import ServiceProps
from ecsdeploy.resources.listener_rule import ListenerRuleProps
from ecsdeploy.resources.target_group import TargetGroupProps


def follow_traffic(desired: Sequence[Desired], observed: Sequence[Observed]) -> list[Desired]:
    """``desired`` with each service whose production traffic is on its alternate group
    kept there (see the module's docstring)."""
    out = list(desired)
    have = {o.key: o for o in observed if o.owned}
    for want in desired:
        if want.kind != "ecs.service" or not isinstance(want.props, ServiceProps):
            continue
        if want.props.traffic is not None:
            continue  # still shifting traffic
        name = want.key.split("/", 1)[1]
        if on_alternate(name, have):
            out = _kept_on_alternate(out, name, have)
    return out


def on_alternate(name: str, have: dict[str, Observed]) -> bool:
    """Whether the service's production rule sends (most of) its traffic to the
    service's alternate target group."""
    rule = have.get(keys.listener_rule(name))
    alternate = have.get(keys.alternate_target_group(name))
    if rule is None or alternate is None:
        return False
    weights = [(str(arn), int(w)) for arn, w in rule.attrs.get("weights") or []]
    if not weights:
        return False
    live = max(weights, key=lambda w: w[1])[0]
    return live == alternate.id


def _kept_on_alternate(out: list[Desired], name: str, have: dict[str, Observed]) -> list[Desired]:
    by_key = {d.key: d for d in out}
    own, alt = keys.target_group(name), keys.alternate_target_group(name)
    own_ref, alt_ref = Ref(own, "arn"), Ref(alt, "arn")
    service = by_key[keys.ecs_service(name)]
    assert isinstance(service.props, ServiceProps)
    if alt not in by_key:  # the alternate group stays
        primary = by_key.get(own)
        if primary is None or not isinstance(primary.props, TargetGroupProps):
            return out
        kept_name = have[alt].name
        out.append(
            replace(primary, key=alt, name=kept_name, props=replace(primary.props, name=kept_name))
        )
    balancers = frozenset(
        (alt_ref if group == own_ref else group, container, port)
        for group, container, port in service.props.load_balancers
    )
    props = replace(service.props, load_balancers=balancers)
    depends = service.depends_on + ((alt,) if alt not in service.depends_on else ())
    out[out.index(service)] = replace(service, props=props, depends_on=depends)
    rule = by_key.get(keys.listener_rule(name))
    if rule is not None and isinstance(rule.props, ListenerRuleProps):
        kept = replace(rule.props, target_group=alt_ref, alternate=None)
        out[out.index(rule)] = replace(rule, props=kept)
    else:  # the default service's catch-all rule: kept, forwarding to the group
        out += _kept_rule(name, have, alt_ref)
    return on_both_groups(out, name)  # its alarms must watch the group with the traffic


def _kept_rule(name: str, have: dict[str, Observed], alt_ref: Ref) -> list[Desired]:
    """The default service's production rule (a catch-all one), kept forwarding to the
    alternate group: the listener's default action forwards to the service's own group."""
    rule = have[keys.listener_rule(name)]
    props = ListenerRuleProps(
        listener=str(rule.props["listener"]),
        priority=int(rule.props["priority"]),
        paths=frozenset(rule.props.get("paths") or ()),
        hosts=frozenset(rule.props.get("hosts") or ()),
        target_group=alt_ref,
    )
    return [Desired("elbv2.listener_rule", rule.key, rule.name, props)]
