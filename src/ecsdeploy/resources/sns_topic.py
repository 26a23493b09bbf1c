"""The SNS topic the app's alarms notify, ``APP-ENV-alarms``, tagged at creation.

Found by listing the region's topics (ListTopics has no filter) and reading the tags of
those whose name starts with the app/env prefix. Deleting a topic deletes its
subscriptions with it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from ecsdeploy.aws.clients import Client
from ecsdeploy.resources.base import Desired, Handler, Observed, Props, owned_key
from ecsdeploy.resources.describe import Line, Names
from ecsdeploy.resources.reads import SharedReads, shared
from ecsdeploy.spec.naming import Owner, dict_to_tags, tags_to_dict


def topic_name(arn: str) -> str:
    return arn.rsplit(":", 1)[-1]


Topic = tuple[str | None, str, dict[str, str]]


def owned_topics(sns: Client, owner: Owner, reads: SharedReads | None) -> list[Topic]:
    """(logical key or None, ARN, tags) of every topic named under the owner's prefix: read
    once per observe (the topic and subscription kinds both ask)."""
    return shared(reads, ("sns:topics", owner.prefix), lambda: _owned_topics(sns, owner))


def _owned_topics(sns: Client, owner: Owner) -> list[Topic]:
    found = []
    for topic in sns.pages("ListTopics", "Topics"):
        arn = topic["TopicArn"]
        if not topic_name(arn).startswith(f"{owner.prefix}-"):
            continue
        tags = tags_to_dict(sns.list_tags_for_resource(ResourceArn=arn).get("Tags"))
        found.append((owned_key(owner, tags), arn, tags))
    return found


@dataclass(frozen=True, kw_only=True)
class TopicProps(Props):
    name: str


class TopicHandler(Handler[TopicProps]):
    kind: ClassVar[str] = "sns.topic"
    props_class: ClassVar[type[Props]] = TopicProps
    label: ClassVar[str] = "notification topic"
    delete_note: ClassVar[str] = "alarms stop notifying"
    layer: ClassVar[str] = "monitoring"
    rank: ClassVar[int] = 0
    services: ClassVar[tuple[str, ...]] = ("sns",)
    replace_on: ClassVar[frozenset[str]] = frozenset({"name"})

    @classmethod
    def describe(cls, props: TopicProps, names: Names) -> list[Line]:
        return [("name", str(props.name))]

    def observe(self, wants: Sequence[Desired]) -> list[Observed]:
        wanted = {w.name: w for w in wants}
        found: list[Observed] = []
        for key, arn, tags in owned_topics(self.client("sns"), self.ctx.owner, self.ctx.reads):
            name = topic_name(arn)
            if key is None:
                found += self.taken(wanted, name, arn, tags)
            else:
                found.append(self._observed(key, arn, tags))
        return found

    def _observed(self, key: str, arn: str, tags: dict[str, str]) -> Observed:
        name = topic_name(arn)
        return Observed(self.kind, key, arn, name, {"name": name}, attrs={"arn": arn}, tags=tags)

    def create(self, want: Desired, props: TopicProps) -> Observed:
        tags = self.tags(want)
        # Idempotent in AWS: the same name and tags return the existing topic's ARN.
        arn = self.client("sns").create_topic(Name=props.name, Tags=dict_to_tags(tags))["TopicArn"]
        return self._observed(want.key, arn, tags)

    def delete(self, have: Observed) -> None:
        self.client("sns").delete_topic(TopicArn=have.id)
