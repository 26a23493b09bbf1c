"""Listener rules: route requests by path pattern and/or host header to a service's target
group, in priority order (lowest number first); what no rule matches gets the listener's
default action.

Rules have no name: they are found through the listeners this app owns, one DescribeRules
per listener, and owned by their tags like everything else.

The rule of a service ECS shifts traffic for (canary, linear, blue/green) forwards to two
target groups, the service's and its ``alternate``, and ECS moves the weights between them
during each deployment (ECS developer guide, deployment-type-blue-green: "the production
listener rule ... forwards to both target groups"). The plan compares the pair, never the
weights, and an update of such a rule for another reason keeps the weights it finds.
A paused deployment's test rule also matches a query string (``query``, "key=value").
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from ecsdeploy.aws.errors import NotFound
from ecsdeploy.resources.base import OPTIONAL, Change, Desired, Observed, Props, Ref, owned_key
from ecsdeploy.resources.describe import Line, Names, value
from ecsdeploy.resources.listener import action_props, forward, owned_listeners
from ecsdeploy.resources.load_balancer import Elbv2Handler, describe_tags, once_active
from ecsdeploy.spec.naming import dict_to_tags

# condition Field -> (props field, the *Config that holds its values)
CONDITIONS = {
    "path-pattern": ("paths", "PathPatternConfig"),
    "host-header": ("hosts", "HostHeaderConfig"),
}


def conditions(props: ListenerRuleProps) -> list[dict[str, Any]]:
    """AWS conditions for the rule's paths and hosts (both must match when both are set)."""
    chosen = {"paths": props.paths, "hosts": props.hosts}
    out = []
    for field, (prop, config) in CONDITIONS.items():
        values = sorted(chosen[prop])
        if values:
            out.append({"Field": field, config: {"Values": values}})
    if props.query:
        key, _, val = props.query.partition("=")
        out.append(
            {"Field": "query-string", "QueryStringConfig": {"Values": [{"Key": key, "Value": val}]}}
        )
    return out


def _query(aws: Sequence[Mapping[str, Any]]) -> str | None:
    for condition in aws:
        if condition.get("Field") == "query-string":
            for pair in condition.get("QueryStringConfig", {}).get("Values", []):
                return f"{pair.get('Key', '')}={pair.get('Value', '')}"
    return None


def _forwards(actions: Sequence[Mapping[str, Any]]) -> list[tuple[str, int]]:
    """The target groups a rule's forward action names, with their weights."""
    for action in actions:
        if action.get("Type") != "forward":
            continue
        groups = action.get("ForwardConfig", {}).get("TargetGroups") or []
        if groups:
            return [(str(g["TargetGroupArn"]), int(g.get("Weight", 1))) for g in groups]
        if action.get("TargetGroupArn"):
            return [(str(action["TargetGroupArn"]), 1)]
    return []


def weighted(groups: Sequence[tuple[str, int]]) -> dict[str, Any]:
    """A forward action to several target groups at these weights."""
    return {
        "Type": "forward",
        "ForwardConfig": {
            "TargetGroups": [{"TargetGroupArn": arn, "Weight": weight} for arn, weight in groups]
        },
    }


def _condition_props(aws: Sequence[Mapping[str, Any]]) -> dict[str, frozenset[str]]:
    found: dict[str, set[str]] = {prop: set() for prop, _ in CONDITIONS.values()}
    for condition in aws:
        field = condition.get("Field", "")
        if field not in CONDITIONS:
            # http-header, query-string, source-ip... never set by ecsdeploy; a rule with
            # them must have been changed by hand, and the next update rewrites them away
            # only if paths/hosts/target group also differ.
            continue
        prop, config = CONDITIONS[field]
        # AWS returns both the legacy ``Values`` and the *Config form; read either.
        values = condition.get(config, {}).get("Values") or condition.get("Values") or []
        found[prop].update(values)
    return {prop: frozenset(values) for prop, values in found.items()}


@dataclass(frozen=True, kw_only=True)
class ListenerRuleProps(Props):
    listener: str | Ref  # its ARN
    priority: int
    paths: frozenset[str]  # path patterns (both conditions must match when both are set)
    hosts: frozenset[str]  # host headers
    target_group: str | Ref  # its ARN: where it forwards
    # the second group ECS shifts traffic to (canary, linear, blue/green)
    alternate: str | Ref | None = dataclasses.field(default=None, metadata=OPTIONAL)
    query: str | None = dataclasses.field(default=None, metadata=OPTIONAL)  # "key=value"


class ListenerRuleHandler(Elbv2Handler[ListenerRuleProps]):
    kind: ClassVar[str] = "elbv2.listener_rule"
    props_class: ClassVar[type[Props]] = ListenerRuleProps
    label: ClassVar[str] = "routing rule"
    delete_note: ClassVar[str] = "its path no longer reaches the service"
    rank: ClassVar[int] = 7
    replace_on: ClassVar[frozenset[str]] = frozenset({"listener"})
    # on another listener, the new rule can stand beside the old one (priorities are per
    # listener): created first, the old one deleted after
    replace_alongside: ClassVar[bool] = True

    @classmethod
    def describe(cls, props: ListenerRuleProps, names: Names) -> list[Line]:
        match = [f"path {x}" for x in sorted(props.paths or ())]
        match += [f"host {x}" for x in sorted(props.hosts or ())]
        match += [f"query {props.query}"] if props.query else []
        then = f"forward to {value(props.target_group, names)}"
        if props.alternate is not None:
            then += f" and {value(props.alternate, names)} (weights set by ECS)"
        return [
            ("when", " and ".join(match) or "always"),
            ("then", then),
            ("priority", str(props.priority)),
        ]

    def observe(self, wants: Sequence[Desired]) -> list[Observed]:
        elbv2 = self.client("elbv2")
        rules: list[tuple[str, dict[str, Any]]] = []  # (listener ARN, rule)
        for _, listener, _ in owned_listeners(elbv2, self.ctx.owner, self.ctx.reads):
            listener_arn = listener["ListenerArn"]
            try:
                for rule in elbv2.pages("DescribeRules", "Rules", ListenerArn=listener_arn):
                    if not rule.get("IsDefault"):  # the default rule is the listener's action
                        rules.append((listener_arn, rule))
            except NotFound:
                continue  # listener deleted since it was listed
        tags_by_arn = describe_tags(elbv2, [rule["RuleArn"] for _, rule in rules])
        found = []
        for listener_arn, rule in rules:
            tags = tags_by_arn.get(rule["RuleArn"], {})
            key = owned_key(self.ctx.owner, tags)
            if key is not None:
                found.append(self._observed(key, listener_arn, rule, tags))
        return found

    def _observed(
        self, key: str, listener_arn: str, rule: dict[str, Any], tags: dict[str, str]
    ) -> Observed:
        arn = rule["RuleArn"]
        action = action_props(rule.get("Actions", []))
        groups = _forwards(rule.get("Actions", []))
        pair: dict[str, Any] = {}
        if len(groups) == 2:
            pair = {"target_group": groups[0][0], "alternate": groups[1][0]}
        return Observed(
            kind=self.kind,
            key=key,
            id=arn,
            name=tags.get("Name", arn),
            props={
                "listener": listener_arn,  # DescribeRules does not say; we asked per listener
                "priority": int(rule["Priority"]),  # a string in AWS's answer
                **_condition_props(rule.get("Conditions", [])),
                "target_group": action.get("target_group"),
                "query": _query(rule.get("Conditions", [])),
                **pair,
            },
            attrs={"arn": arn, "weights": groups},
            tags=tags,
        )

    def create(self, want: Desired, props: ListenerRuleProps) -> Observed:
        tags = self.tags(want)
        elbv2 = self.client("elbv2")

        def load_balancer() -> str:
            listener = elbv2.describe_listeners(ListenerArns=[props.listener])["Listeners"][0]
            return str(listener["LoadBalancerArn"])

        # the load balancer may still be provisioning (it is created just before)
        rule = once_active(
            self.ctx,
            elbv2,
            f"rule {want.name}",
            load_balancer,
            lambda: elbv2.create_rule(
                ListenerArn=props.listener,
                Priority=int(props.priority),
                Conditions=conditions(props),
                Actions=[_action(props)],
                Tags=dict_to_tags(tags),
            )["Rules"][0],
        )
        return self._observed(want.key, str(props.listener), rule, tags)

    def update(
        self, want: Desired, props: ListenerRuleProps, have: Observed, changes: list[Change]
    ) -> Observed:
        elbv2 = self.client("elbv2")
        fields = {c.field for c in changes}
        if "priority" in fields:
            # Fails with PriorityInUse if another rule holds the number; two rules that
            # swap priorities in one deploy need a free number in between.
            elbv2.set_rule_priorities(
                RulePriorities=[{"RuleArn": have.id, "Priority": int(props.priority)}]
            )
        if fields & {"paths", "hosts", "target_group", "alternate", "query"}:
            action = _action(props)
            kept = [(str(a), int(w)) for a, w in have.attrs.get("weights") or []]
            pair = {str(props.target_group), str(props.alternate)}
            if props.alternate is not None and {a for a, _ in kept} == pair:
                action = weighted(kept)  # the weights are ECS's: left as they are
            elif props.alternate is not None and kept:
                # shifting traffic again from one group: the traffic stays where it is,
                # on the group that has the tasks (a service that went back to rolling on
                # its alternate group), never moved to the empty one
                live = max(kept, key=lambda w: w[1])[0]
                if live in pair:
                    action = weighted([(live, 100), *((g, 0) for g in sorted(pair - {live}))])
            elbv2.modify_rule(RuleArn=have.id, Conditions=conditions(props), Actions=[action])
        for change in changes:
            if change.field not in self.replace_on:
                have.props[change.field] = change.after
        return have

    def diff(self, want: ListenerRuleProps, have: Observed) -> list[Change]:
        changes = super().diff(want, have)
        found = have.props.get("alternate")
        if want.alternate is not None:
            pair = {want.target_group, want.alternate}
            if {have.props.get("target_group"), found} == pair:  # in either order: ECS's
                changes = [c for c in changes if c.field not in ("target_group", "alternate")]
        elif found is not None:  # no longer shifting traffic: one group again
            changes.append(Change("alternate", found, None))
        if want.query is None and have.props.get("query") is not None:
            changes.append(Change("query", have.props["query"], None))
        return changes

    def delete(self, have: Observed) -> None:
        self.client("elbv2").delete_rule(RuleArn=have.id)


def _action(props: ListenerRuleProps) -> dict[str, Any]:
    """A new rule's action: its group, or both groups with all traffic on the first."""
    if props.alternate is None:
        return forward(str(props.target_group))
    return weighted([(str(props.target_group), 100), (str(props.alternate), 0)])
