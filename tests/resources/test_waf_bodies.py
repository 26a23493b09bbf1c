"""The WAF's common rule set blocks request bodies over 8 KB (SizeRestrictions_BODY), so an
image or embedding posted to the model API would get a 403: by default that rule only
counts, `waf.large_bodies: block` turns it back on, and the plan says which."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from ecsdeploy.resources.waf_web_acl import LARGE_BODIES_RULE

from conftest import Harness, spec_text

WAF = "load_balancer:\n  waf: {large_bodies: LARGE}\n"


def _spec(large: str | None) -> str:
    text = spec_text()
    if large is None:
        return text + "load_balancer:\n  waf: {}\n"
    return text + WAF.replace("LARGE", large)


def _common_group(name: str) -> dict[str, Any]:
    waf = boto3.client("wafv2", region_name="us-west-2")
    summary = next(a for a in waf.list_web_acls(Scope="REGIONAL")["WebACLs"] if a["Name"] == name)
    acl = waf.get_web_acl(Name=name, Scope="REGIONAL", Id=summary["Id"])["WebACL"]
    rule = next(r for r in acl["Rules"] if r["Name"] == "AWSManagedRulesCommonRuleSet")
    return dict(rule["Statement"]["ManagedRuleGroupStatement"])


@pytest.mark.parametrize(("large", "counted"), [(None, True), ("count", True), ("block", False)])
def test_large_bodies_count_unless_asked_to_block(
    harness: Harness, large: str | None, counted: bool
) -> None:
    text = _spec(large)
    dep: Any = harness.deployment(text)
    plan = dep.plan_up()
    [acl] = [s for s in plan.steps if s.kind == "wafv2.web_acl"]
    assert (LARGE_BODIES_RULE in acl.want.props.counted) is counted
    harness.up(text)
    overrides = _common_group("mlapp-dev-waf").get("RuleActionOverrides", [])
    expected = [{"Name": "SizeRestrictions_BODY", "ActionToUse": {"Count": {}}}]
    assert overrides == (expected if counted else [])
    harness.assert_up_changes_nothing(text)


def test_switching_it_is_an_update_the_plan_shows(harness: Harness) -> None:
    harness.up(_spec("block"))
    dep: Any = harness.deployment(_spec(None))
    plan = dep.plan_up()
    [step] = [s for s in plan.changes if s.kind == "wafv2.web_acl"]
    assert [c.field for c in step.changes] == ["counted"]
    assert not step.changes[0].replace
