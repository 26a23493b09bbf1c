"""The access policy of the alarm topic ecsdeploy creates, when the app has jobs: SNS's
default statement (the account's own principals) and one that lets EventBridge publish the
jobs' failures, from the app's failure rules only.

A topic has one policy, set with SetTopicAttributes; it has no tags of its own, so it is
the app's when its topic is (``resources.sns_topic``) and its statement carries
``STATEMENT_ID``. Read with GetTopicAttributes, only when the app's topic exists. Deleting
it puts the default policy back. AWS: "Amazon SNS permissions" for EventBridge targets
(https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-sns-permissions).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from ecsdeploy.aws.errors import NotFound
from ecsdeploy.resources import keys
from ecsdeploy.resources.base import Desired, Observed, Props, UpsertHandler
from ecsdeploy.resources.describe import Line, Names
from ecsdeploy.resources.iam_role import canonical
from ecsdeploy.resources.sns_topic import owned_topics

STATEMENT_ID = "ecsdeploy-job-failures"
DEFAULT_ACTIONS = [
    "SNS:GetTopicAttributes", "SNS:SetTopicAttributes", "SNS:AddPermission",
    "SNS:RemovePermission", "SNS:DeleteTopic", "SNS:Subscribe", "SNS:ListSubscriptionsByTopic",
    "SNS:Publish",
]  # fmt: skip


def default_statement(topic_arn: str, account: str) -> dict[str, Any]:
    """SNS's own first statement of a new topic: the account's principals may use it (the
    CloudWatch alarms publish through it)."""
    return {
        "Sid": "__default_statement_ID",
        "Effect": "Allow",
        "Principal": {"AWS": "*"},
        "Action": list(DEFAULT_ACTIONS),
        "Resource": topic_arn,
        "Condition": {"StringEquals": {"AWS:SourceOwner": account}},
    }


def topic_policy(topic_arn: str, account: str, rule_arns: Sequence[str]) -> str:
    """The default statement and EventBridge's, for exactly ``rule_arns``."""
    return canonical(
        {
            "Version": "2008-10-17",
            "Statement": [
                default_statement(topic_arn, account),
                {
                    "Sid": STATEMENT_ID,
                    "Effect": "Allow",
                    "Principal": {"Service": "events.amazonaws.com"},
                    "Action": "sns:Publish",
                    "Resource": topic_arn,
                    "Condition": {"ArnEquals": {"aws:SourceArn": sorted(rule_arns)}},
                },
            ],
        }
    )


@dataclass(frozen=True, kw_only=True)
class TopicPolicyProps(Props):
    topic: str  # the topic's ARN
    policy: str  # canonical JSON


class TopicPolicyHandler(UpsertHandler[TopicPolicyProps]):
    kind: ClassVar[str] = "sns.topic_policy"
    props_class: ClassVar[type[Props]] = TopicPolicyProps
    label: ClassVar[str] = "notification topic policy"
    delete_note: ClassVar[str] = "EventBridge may no longer publish to the topic"
    layer: ClassVar[str] = "monitoring"
    rank: ClassVar[int] = 2
    services: ClassVar[tuple[str, ...]] = ("sns",)

    @classmethod
    def describe(cls, props: TopicPolicyProps, names: Names) -> list[Line]:
        return [("allows", "events.amazonaws.com to publish the jobs' failures")]

    def observe(self, wants: Sequence[Desired]) -> list[Observed]:
        sns = self.client("sns")
        topics = owned_topics(sns, self.ctx.owner, self.ctx.reads)
        arn = next((a for key, a, _ in topics if key == keys.ALARM_TOPIC), None)
        if arn is None:
            return []
        try:
            attributes = sns.get_topic_attributes(TopicArn=arn).get("Attributes", {})
        except NotFound:
            return []
        policy = attributes.get("Policy")
        if not policy or STATEMENT_ID not in policy:
            return []
        return [self._observed(arn, canonical(policy))]

    def _observed(self, arn: str, policy: str) -> Observed:
        return Observed(
            self.kind,
            keys.ALARM_TOPIC_POLICY,
            arn,
            arn.rsplit(":", 1)[-1],
            {"topic": arn, "policy": policy},
        )

    def create(self, want: Desired, props: TopicPolicyProps) -> Observed:
        self.client("sns").set_topic_attributes(
            TopicArn=props.topic, AttributeName="Policy", AttributeValue=props.policy
        )
        return self._observed(props.topic, props.policy)

    def delete(self, have: Observed) -> None:
        document = json.loads(str(have.props.get("policy") or "{}"))
        kept = [s for s in document.get("Statement", []) if s.get("Sid") != STATEMENT_ID]
        try:
            self.client("sns").set_topic_attributes(
                TopicArn=have.id,
                AttributeName="Policy",
                AttributeValue=json.dumps({**document, "Statement": kept}),
            )
        except NotFound:  # deleted with its topic
            pass
