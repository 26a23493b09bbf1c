"""Listener rules: route requests by path pattern and/or host header to a service's target
group, in priority order (lowest number first); what no rule matches gets the listener's
default action.

Rules have no name: they are found through the listeners this app owns, one DescribeRules
per listener, and owned by their tags like everything else.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from ecsdeploy.aws.errors import NotFound
from ecsdeploy.resources.base import Change, Desired, Observed, Props, Ref, owned_key
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
    return out


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
        return [
            ("when", " and ".join(match) or "always"),
            ("then", f"forward to {value(props.target_group, names)}"),
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
            },
            attrs={"arn": arn},
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
                Actions=[forward(str(props.target_group))],
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
        if fields & {"paths", "hosts", "target_group"}:
            elbv2.modify_rule(
                RuleArn=have.id,
                Conditions=conditions(props),
                Actions=[forward(str(props.target_group))],
            )
        for change in changes:
            if change.field not in self.replace_on:
                have.props[change.field] = change.after
        return have

    def delete(self, have: Observed) -> None:
        self.client("elbv2").delete_rule(RuleArn=have.id)
