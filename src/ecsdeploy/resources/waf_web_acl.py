"""A regional WAFv2 web ACL for the load balancer: AWS managed rule groups plus a per-IP
rate-based rule; requests no rule blocks are allowed.

Props are the parts ecsdeploy sets: ``managed`` (rule group names, in priority order),
``counted`` (rules of those groups set to count instead of block, as ``group/rule``) and
``rate_limit`` (requests per IP per 5 minutes). UpdateWebACL and DeleteWebACL need
the LockToken of the latest GetWebACL: each reads it just before (WAF answers
WAFOptimisticLockException when another change came in between; retrying re-reads it).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from ecsdeploy.aws.clients import Client
from ecsdeploy.aws.errors import InvalidRequest
from ecsdeploy.resources.base import Change, Desired, Handler, Observed, Props, owned_key
from ecsdeploy.resources.billing import Bill, Meter, Usage
from ecsdeploy.resources.describe import Line, Names
from ecsdeploy.resources.waiting import retry_while
from ecsdeploy.spec.naming import dict_to_tags, tags_to_dict

SCOPE = "REGIONAL"  # an ALB's web ACL; CloudFront's would be CLOUDFRONT in us-east-1
RATE_RULE = "rate-limit-per-ip"
# The common rule set blocks request bodies over 8 KB (SizeRestrictions_BODY): an image or
# an embedding posted to a model API would get a 403. By default it only counts (the spec's
# waf.large_bodies: block turns the block back on).
# docs.aws.amazon.com/waf/latest/developerguide/aws-managed-rule-groups-baseline.html
LARGE_BODIES_RULE = "AWSManagedRulesCommonRuleSet/SizeRestrictions_BODY"
MANAGED_RULE_GROUPS = (
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesAmazonIpReputationList",
)


def web_acls(wafv2: Client) -> Iterator[dict[str, Any]]:
    """Every regional web ACL summary (ListWebACLs pages by NextMarker, no paginator)."""
    marker: str | None = None
    while True:
        args: dict[str, Any] = {"Scope": SCOPE, "Limit": 100}
        if marker:
            args["NextMarker"] = marker
        out = wafv2.list_web_acls(**args)
        yield from out.get("WebACLs", [])
        marker = out.get("NextMarker")
        if not marker or not out.get("WebACLs"):
            return


def acl_tags(wafv2: Client, arn: str) -> dict[str, str]:
    info = wafv2.list_tags_for_resource(ResourceARN=arn).get("TagInfoForResource", {})
    return tags_to_dict(info.get("TagList"))


def _visibility(metric: str) -> dict[str, Any]:
    return {
        "SampledRequestsEnabled": True,
        "CloudWatchMetricsEnabled": True,
        "MetricName": metric[:128],
    }


def rules(name: str, props: WebAclProps) -> list[dict[str, Any]]:
    """The web ACL's rules: each managed group (its own actions), then the rate limit."""
    out: list[dict[str, Any]] = []
    for priority, group in enumerate(props.managed):
        statement: dict[str, Any] = {"VendorName": "AWS", "Name": group}
        overrides = [
            {"Name": rule.split("/", 1)[1], "ActionToUse": {"Count": {}}}
            for rule in sorted(props.counted)
            if rule.split("/", 1)[0] == group
        ]
        if overrides:
            statement["RuleActionOverrides"] = overrides
        out.append(
            {
                "Name": group,
                "Priority": priority,
                "Statement": {"ManagedRuleGroupStatement": statement},
                "OverrideAction": {"None": {}},  # keep the group's own block/count actions
                "VisibilityConfig": _visibility(f"{name}-{group}"),
            }
        )
    out.append(
        {
            "Name": RATE_RULE,
            "Priority": len(out),
            "Statement": {
                "RateBasedStatement": {"Limit": int(props.rate_limit), "AggregateKeyType": "IP"}
            },
            "Action": {"Block": {}},
            "VisibilityConfig": _visibility(f"{name}-{RATE_RULE}"),
        }
    )
    return out


def _props(acl: Mapping[str, Any]) -> dict[str, Any]:
    ordered = sorted(acl.get("Rules", []), key=lambda r: int(r.get("Priority", 0)))
    managed = []
    counted = []
    rate_limit = None
    for rule in ordered:
        statement = rule.get("Statement", {})
        if "ManagedRuleGroupStatement" in statement:
            group = statement["ManagedRuleGroupStatement"]
            managed.append(group["Name"])
            counted += [
                f"{group['Name']}/{o['Name']}"
                for o in group.get("RuleActionOverrides") or ()
                if "Count" in (o.get("ActionToUse") or {})
            ]
        elif "RateBasedStatement" in statement and rule.get("Name") == RATE_RULE:
            rate_limit = int(statement["RateBasedStatement"]["Limit"])
    return {
        "name": acl["Name"],
        "managed": tuple(managed),
        "counted": tuple(sorted(counted)),
        "rate_limit": rate_limit,
    }


class _LockLost(InvalidRequest):
    pass


@dataclass(frozen=True, kw_only=True)
class WebAclProps(Props):
    name: str
    managed: tuple[str, ...]  # AWS managed rule groups, in priority order
    counted: tuple[str, ...] = ()  # "group/rule" of those that count instead of block
    rate_limit: int  # requests per IP per 5 minutes


class WebAclHandler(Handler[WebAclProps]):
    kind: ClassVar[str] = "wafv2.web_acl"
    props_class: ClassVar[type[Props]] = WebAclProps
    label: ClassVar[str] = "web application firewall (WAF)"
    layer: ClassVar[str] = "load_balancer"
    rank: ClassVar[int] = 4
    services: ClassVar[tuple[str, ...]] = ("wafv2",)
    replace_on: ClassVar[frozenset[str]] = frozenset({"name"})
    held_by_dependents: ClassVar[bool] = True

    @classmethod
    def describe(cls, props: WebAclProps, names: Names) -> list[Line]:
        lines = [("rules", ", ".join(props.managed))]
        for rule in props.counted:
            why = " (bodies over 8 KB pass: waf.large_bodies)" if rule == LARGE_BODIES_RULE else ""
            lines.append(("counts only", f"{rule.split('/', 1)[1]}{why}"))
        lines.append(("rate limit", f"{props.rate_limit} requests per IP per 5 minutes"))
        return lines

    @classmethod
    def bills(cls, have: Observed, observed: Mapping[str, Observed]) -> list[Bill]:
        """The web ACL, and its rules: each managed group, and the rate limit."""
        rules = len(have.props.get("managed") or ()) + 1
        return [Usage(Meter.WAF_WEB_ACL, 1), Usage(Meter.WAF_RULE, rules)]

    def observe(self, wants: Sequence[Desired]) -> list[Observed]:
        wafv2 = self.client("wafv2")
        wanted = {w.name: w for w in wants}
        found: list[Observed] = []
        for summary in web_acls(wafv2):
            name = summary["Name"]
            if not name.startswith(f"{self.ctx.owner.prefix}-") and name not in wanted:
                continue
            tags = acl_tags(wafv2, summary["ARN"])
            key = owned_key(self.ctx.owner, tags)
            if key is None:
                found += self.taken(wanted, name, summary["ARN"], tags)
                continue
            acl = wafv2.get_web_acl(Name=name, Scope=SCOPE, Id=summary["Id"])["WebACL"]
            found.append(self._observed(key, acl, tags))
        return found

    def _observed(self, key: str, acl: Mapping[str, Any], tags: dict[str, str]) -> Observed:
        return Observed(
            kind=self.kind,
            key=key,
            id=acl["Id"],
            name=acl["Name"],
            props=_props(acl),
            attrs={"arn": acl["ARN"]},
            tags=tags,
        )

    def create(self, want: Desired, props: WebAclProps) -> Observed:
        tags = self.tags(want)
        name = props.name
        summary = self.client("wafv2").create_web_acl(
            Name=name,
            Scope=SCOPE,
            DefaultAction={"Allow": {}},
            Description=f"ecsdeploy {self.ctx.owner.prefix}: load balancer",
            Rules=rules(name, props),
            VisibilityConfig=_visibility(name),
            Tags=dict_to_tags(tags),
        )["Summary"]
        acl = {"Name": name, "Id": summary["Id"], "ARN": summary["ARN"],
               "Rules": rules(name, props)}  # fmt: skip
        return self._observed(want.key, acl, tags)

    def _with_lock(self, have: Observed, what: str, call: Any) -> None:
        """Run ``call(lock_token)`` with a fresh token, again if WAF says it went stale."""
        wafv2 = self.client("wafv2")

        def attempt() -> None:
            token = wafv2.get_web_acl(Name=have.name, Scope=SCOPE, Id=have.id)["LockToken"]
            try:
                call(token)
            except InvalidRequest as exc:
                if exc.code == "WAFOptimisticLockException":
                    raise _LockLost(exc.message, exc.code, exc.operation) from exc
                raise

        retry_while(self.ctx, (_LockLost,), what, attempt, self.ctx.timing.iam_propagation)

    def update(
        self, want: Desired, props: WebAclProps, have: Observed, changes: list[Change]
    ) -> Observed:
        wafv2 = self.client("wafv2")
        self._with_lock(
            have,
            f"a current lock token for web ACL {have.name}",
            lambda token: wafv2.update_web_acl(
                Name=have.name,
                Scope=SCOPE,
                Id=have.id,
                LockToken=token,
                DefaultAction={"Allow": {}},
                Description=f"ecsdeploy {self.ctx.owner.prefix}: load balancer",
                Rules=rules(have.name, props),
                VisibilityConfig=_visibility(have.name),
            ),
        )
        have.props.update(
            managed=tuple(props.managed), counted=tuple(props.counted), rate_limit=props.rate_limit
        )
        return have

    def delete(self, have: Observed) -> None:
        # While still associated AWS answers WAFAssociatedItemException (a
        # DependencyViolation the executor retries until the association's delete ran).
        wafv2 = self.client("wafv2")
        self._with_lock(
            have,
            f"a current lock token for web ACL {have.name}",
            lambda token: wafv2.delete_web_acl(
                Name=have.name, Scope=SCOPE, Id=have.id, LockToken=token
            ),
        )
