"""An EventBridge rule that tells the app's alarm topic when a job's task fails: an
``ECS Task State Change`` to STOPPED, in the app's cluster and the job's task group, with a
non-zero exit code or a task that never started.

Named ``APP-ENV-JOB-failed`` on the default event bus and tagged at creation (PutRule's
``Tags``); its one target is the topic, with a one-line message made from the event
(``InputTransformer``). Found by ListRules with the app's name prefix; tags and targets
cost a call per rule. AWS: "Amazon ECS task state change events"
(https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_task_events.html); the
topic's policy must let ``events.amazonaws.com`` publish (``resources.sns_topic_policy``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from ecsdeploy.aws.errors import NotFound
from ecsdeploy.resources.base import Desired, Observed, Props, Ref, UpsertHandler
from ecsdeploy.resources.describe import Line, Names, value
from ecsdeploy.resources.iam_role import canonical
from ecsdeploy.resources.reads import read_each

TARGET_ID = "alarm-topic"
INPUT_PATHS = {
    "task": "$.detail.taskArn",
    "code": "$.detail.containers[0].exitCode",
    "reason": "$.detail.stoppedReason",
}


def failure_pattern(cluster_arn: str, group: str) -> str:
    """The events of a job's failed task: stopped with a non-zero exit code of a container,
    or stopped before it started (no exit code at all)."""
    return canonical(
        {
            "source": ["aws.ecs"],
            "detail-type": ["ECS Task State Change"],
            "detail": {
                "clusterArn": [cluster_arn],
                "group": [group],
                "lastStatus": ["STOPPED"],
                "$or": [
                    {"containers": {"exitCode": [{"anything-but": 0}]}},
                    {"stopCode": ["TaskFailedToStart"]},
                ],
            },
        }
    )


@dataclass(frozen=True, kw_only=True)
class RuleProps(Props):
    pattern: str  # canonical JSON
    topic: str | Ref  # the SNS topic ARN notified
    message: str  # the InputTransformer's template


class EventRuleHandler(UpsertHandler[RuleProps]):
    kind: ClassVar[str] = "events.rule"
    props_class: ClassVar[type[Props]] = RuleProps
    label: ClassVar[str] = "job failure rule"
    delete_note: ClassVar[str] = "a failed job run no longer notifies"
    layer: ClassVar[str] = "jobs"
    rank: ClassVar[int] = 9
    services: ClassVar[tuple[str, ...]] = ("events",)

    @classmethod
    def describe(cls, props: RuleProps, names: Names) -> list[Line]:
        return [("notifies", value(props.topic, names)), ("when", "a task exits non-zero")]

    def observe(self, wants: Sequence[Desired]) -> list[Observed]:
        events = self.client("events")
        wanted = {w.name: w for w in wants}
        rules = {
            str(r["Name"]): r
            for r in events.pages("ListRules", "Rules", NamePrefix=f"{self.ctx.owner.prefix}-")
        }

        def read_tags(rule: dict[str, Any]) -> dict[str, str]:
            answer = events.list_tags_for_resource(ResourceARN=rule["Arn"])
            return {t["Key"]: t["Value"] for t in answer.get("Tags", [])}

        owners = self.ownership(wanted, rules, read_tags)
        mine = [n for n in rules if owners[n][0] is not None]
        targets = dict(zip(mine, read_each(self._targets, mine), strict=True))
        found: list[Observed] = []
        for name, rule in rules.items():
            key, tags = owners[name]
            if key is None:
                found += self.taken(wanted, name, str(rule["Arn"]), tags)
                continue
            found.append(self._observed(key, rule, targets[name], tags))
        return found

    def _targets(self, name: str) -> list[dict[str, Any]]:
        try:
            return list(self.client("events").pages("ListTargetsByRule", "Targets", Rule=name))
        except NotFound:
            return []

    def _observed(
        self, key: str, rule: dict[str, Any], targets: list[dict[str, Any]], tags: dict[str, str]
    ) -> Observed:
        target = next((t for t in targets if t.get("Id") == TARGET_ID), {})
        transformer = target.get("InputTransformer", {})
        template = transformer.get("InputTemplate")
        return Observed(
            self.kind,
            key,
            str(rule["Name"]),
            str(rule["Name"]),
            {
                "pattern": canonical(rule["EventPattern"]) if rule.get("EventPattern") else None,
                "topic": target.get("Arn"),
                "message": json.loads(template) if template else None,
            },
            attrs={"arn": rule["Arn"]},
            tags=tags,
            state=str(rule.get("State", "")),
        )

    def create(self, want: Desired, props: RuleProps) -> Observed:
        events = self.client("events")
        tags = self.tags(want)
        arn = events.put_rule(
            Name=want.name,
            EventPattern=props.pattern,
            State="ENABLED",
            Description=f"ecsdeploy {self.ctx.owner.prefix} {want.key}",
            Tags=[{"Key": k, "Value": v} for k, v in sorted(tags.items())],
        )["RuleArn"]
        events.put_targets(
            Rule=want.name,
            Targets=[
                {
                    "Id": TARGET_ID,
                    "Arn": str(props.topic),
                    "InputTransformer": {
                        "InputPathsMap": dict(INPUT_PATHS),
                        "InputTemplate": json.dumps(props.message),
                    },
                }
            ],
        )
        rule = {"Name": want.name, "Arn": arn, "EventPattern": props.pattern, "State": "ENABLED"}
        target = {
            "Id": TARGET_ID,
            "Arn": str(props.topic),
            "InputTransformer": {"InputTemplate": json.dumps(props.message)},
        }
        return self._observed(want.key, rule, [target], tags)

    def delete(self, have: Observed) -> None:
        events = self.client("events")
        try:
            events.remove_targets(Rule=have.name, Ids=[TARGET_ID])
        except NotFound:
            return
        events.delete_rule(Name=have.name)
