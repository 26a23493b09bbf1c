"""The published deployer policies, linted against what AWS supports per action.

tests/project/test_deployer_policy.py proves the two documents allow every call ecsdeploy makes,
but the emulator does not evaluate IAM: an action that supports no resource-level
permission is denied on AWS unless its statement is on `*`, whatever the emulator says.
parliament (an IAM policy linter with AWS's per-action resource and condition data)
reads both documents here; every finding fails the test except the few in ``KEPT``, each
with the reason it is right as published.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import pytest

from conftest import ROOT

with warnings.catch_warnings():  # parliament imports pkg_resources, deprecated upstream
    warnings.simplefilter("ignore", DeprecationWarning)
    import parliament

POLICY_DIR = ROOT / "examples" / "github-actions"
DOCUMENTS = (
    "deployer-policy.json",
    "deployer-policy-observability.json",
    "deployer-policy-strategies.json",
    "deployer-policy-connect.json",
    "deployer-policy-jobs.json",
)

# (finding, statement Sid) -> why the finding is kept. Everything else parliament reports
# fails the test.
KEPT: dict[tuple[str, str], str] = {
    # "Resource * where the action could be scoped" on the statements docs/ci.md lists as
    # broad, each for its stated reason:
    ("RESOURCE_STAR", "ReadOnlyEverywhere"): (
        "Describe/List/Get calls only; most list the whole account or take no resource, and "
        "the certificate and the web ACL guarding the load balancer are the user's own"
    ),
    ("RESOURCE_STAR", "Ec2CreatesCannotBeScoped"): (
        "a VPC, subnet, gateway, route table, group, address or endpoint has no ARN before "
        "it exists (ec2:Vpc/* is `*` in all but name); every create tags what it makes"
    ),
    ("RESOURCE_STAR", "Ec2ChangeOnlyTheAppsResources"): (
        "scoped by the condition ec2:ResourceTag/ecsdeploy:app instead: EC2 ids are made "
        "by AWS, so no ARN pattern names the app's resources"
    ),
    ("RESOURCE_STAR", "EcsTaskDefinitionsCannotBeScoped"): (
        "ecs:RegisterTaskDefinition stays on `*` beside ecs:DeregisterTaskDefinition (which "
        "has no resource): parliament's data lists a task-definition resource for it, but "
        "scoped so it has not been tried against AWS, and a denied register fails every deploy"
    ),
    ("RESOURCE_STAR", "ScalingOfTheAppsServices"): (
        "a scalable target's ARN is an id AWS makes, not a name; the alarms target "
        "tracking manages for the caller are named TargetTracking-... by AWS"
    ),
    ("RESOURCE_STAR", "CustomDomainReads"): (
        "with load_balancer.domain: ecsdeploy finds its certificate among the region's by "
        "its tags and its records among a zone's by their owner markers, so it reads them "
        "all; a certificate's ARN is a random id and the zone is the user's"
    ),
    ("RESOURCE_STAR", "CertificatesTaggedForTheApp"): (
        "scoped by the condition aws:RequestTag/ecsdeploy:app: a certificate has no ARN "
        "before it is requested, and it is tagged in the request"
    ),
    ("RESOURCE_STAR", "DeleteOnlyTheAppsCertificates"): (
        "scoped by the condition aws:ResourceTag/ecsdeploy:app: the ARN is a random id"
    ),
    ("RESOURCE_STAR", "CloudMapReadsCannotBeScoped"): (
        "GetOperation and ListNamespaces take no resource; a namespace's ARN is an id AWS "
        "makes, and observe reads the tags of the namespaces named under the app's prefix"
    ),
    ("RESOURCE_STAR", "CloudMapDeleteOnlyTheAppsNamespace"): (
        "scoped by the condition aws:ResourceTag/ecsdeploy:app: the ARN is a random id"
    ),
    ("RESOURCE_STAR", "DnsRecordsOfTheAppsDomain"): (
        "scoped by the condition route53:ChangeResourceRecordSetsNormalizedRecordNames to "
        "the app's domain; docs/ci.md says to put the zone's ARN in place of `*` as well"
    ),
    # the deployer writes the access-log bucket's policy (it lets Elastic Load Balancing
    # write the logs) but may not read or write its objects itself; a policy it wrote could
    # grant that, and only on the app's own log bucket
    ("RESOURCE_POLICY_PRIVILEGE_ESCALATION", "AccessLogBucketOfTheApp"): (
        "the bucket policy is what lets the load balancer deliver access logs"
    ),
}
# ECS Express Mode's actions, and those of service deployments (promote and abort), are
# newer than parliament's IAM data: "unknown action"
NEWER_THAN_THE_LINTER = {
    "ecs:CreateExpressGatewayService",
    "ecs:DeleteExpressGatewayService",
    "ecs:UpdateExpressGatewayService",
    "ecs:ContinueServiceDeployment",
    "ecs:StopServiceDeployment",
}


def network_load_balancer_only(item: dict[str, str]) -> bool:
    """parliament reads an action's alternative resource types as all required: an action
    on a listener or rule names `listener/app` or `listener/net`, and reports the Network
    Load Balancer's form missing. The app has an Application Load Balancer only."""
    return "/net/" in item["required_format"]


def statement_sid(text: str, policy: dict[str, Any], finding: Any) -> str:
    """The Sid of the statement a finding is about. parliament names a line (a statement's
    opening brace, the line before its Sid, or a line inside it): the statement is the one
    whose Sid comes last up to the line after. A finding about the whole document names
    no line: then it is the statement whose resource the finding's detail quotes."""
    line = (finding.location or {}).get("line")
    if line is not None:
        sids = [
            (number, json.loads("{" + row.strip().rstrip(",") + "}")["Sid"])
            for number, row in enumerate(text.splitlines(), start=1)
            if row.strip().startswith('"Sid"')
        ]
        return str([sid for number, sid in sids if number <= line + 1][-1])
    for statement in policy["Statement"]:
        resources = statement["Resource"]
        for resource in [resources] if isinstance(resources, str) else resources:
            if resource != "*" and resource in str(finding.detail):
                return str(statement["Sid"])
    return "?"


def lint(path: Path) -> list[tuple[str, str, Any]]:
    """parliament's findings on the document as (Sid, finding, detail), less what it gets
    wrong (``network_load_balancer_only``, ``NEWER_THAN_THE_LINTER``)."""
    text = path.read_text()
    policy = json.loads(text)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        analysed = parliament.analyze_policy_string(text, filepath=str(path))
    out: list[tuple[str, str, Any]] = []
    for finding in analysed.findings:
        detail = finding.detail
        if finding.issue == "RESOURCE_MISMATCH":
            detail = [d for d in detail if not network_load_balancer_only(d)]
            if not detail:
                continue
        if finding.issue == "UNKNOWN_ACTION" and str(detail).split()[-1] in NEWER_THAN_THE_LINTER:
            continue
        out.append((statement_sid(text, policy, finding), finding.issue, detail))
    return out


def unexplained_findings(path: Path) -> list[str]:
    """What parliament reports on the document that ``KEPT`` does not explain."""
    return [
        f"{path.name} {sid}: {issue} {detail}"
        for sid, issue, detail in lint(path)
        if (issue, sid) not in KEPT
    ]


@pytest.mark.parametrize("name", DOCUMENTS)
def test_policy_passes_the_iam_linter(name: str) -> None:
    findings = unexplained_findings(POLICY_DIR / name)
    assert not findings, "\n".join(findings)


def test_every_kept_finding_is_still_found() -> None:
    """``KEPT`` lists only what parliament reports today: a fixed statement leaves it."""
    found = {(issue, sid) for name in DOCUMENTS for sid, issue, _ in lint(POLICY_DIR / name)}
    assert set(KEPT) <= found, set(KEPT) - found


def test_the_linter_finds_an_action_without_resource_level_permission(tmp_path: Path) -> None:
    """The lint can fail: an action AWS authorizes only on `*`, scoped to the app, is
    reported, and so is a wildcard that grants actions on resources the app never has."""
    path = tmp_path / "policy.json"
    path.write_text(
        json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "AlarmTopicOfTheApp",
                        "Effect": "Allow",
                        "Action": ["sns:Subscribe", "sns:Unsubscribe"],
                        "Resource": ["arn:aws:sns:*:*:mlapp-*"],
                    },
                    {
                        "Sid": "EcsOfTheApp",
                        "Effect": "Allow",
                        "Action": ["ecs:Delete*"],
                        "Resource": ["arn:aws:ecs:*:*:cluster/mlapp-*"],
                    },
                ],
            },
            indent=2,
        )
    )
    findings = unexplained_findings(path)
    assert len(findings) == 2, findings
    assert "AlarmTopicOfTheApp: RESOURCE_MISMATCH" in findings[0]
    assert "sns:Unsubscribe" in findings[0] and "sns:Subscribe'" not in findings[0]
    assert "EcsOfTheApp: RESOURCE_MISMATCH" in findings[1]
    assert "ecs:DeleteService" in findings[1]
