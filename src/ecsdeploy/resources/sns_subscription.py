"""Email subscriptions to the app's alarm topic.

Subscriptions carry no tags: they are owned through the topic, so every subscription of
a topic ecsdeploy owns is ecsdeploy's (one added by hand to that topic is removed by the
next ``up``; subscribe to your own topic with ``alarms.sns_topic_arn`` instead).

AWS mails each address a confirmation link; until it is clicked the subscription is
"PendingConfirmation", has no ARN of its own and cannot be unsubscribed (AWS drops it
after a few days, or with the topic). ``status`` shows that state.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from ecsdeploy.resources import keys
from ecsdeploy.resources.base import Desired, Handler, Observed, Props, Ref
from ecsdeploy.resources.describe import Line, Names
from ecsdeploy.resources.sns_topic import owned_topics

PENDING = "PendingConfirmation"


@dataclass(frozen=True, kw_only=True)
class SubscriptionProps(Props):
    topic: str | Ref  # the topic's ARN
    protocol: str  # email
    endpoint: str  # the address


class SubscriptionHandler(Handler[SubscriptionProps]):
    kind: ClassVar[str] = "sns.subscription"
    props_class: ClassVar[type[Props]] = SubscriptionProps
    label: ClassVar[str] = "notification subscription"
    layer: ClassVar[str] = "monitoring"
    rank: ClassVar[int] = 1
    services: ClassVar[tuple[str, ...]] = ("sns",)
    replace_on: ClassVar[frozenset[str]] = frozenset({"topic", "protocol", "endpoint"})

    @classmethod
    def describe(cls, props: SubscriptionProps, names: Names) -> list[Line]:
        confirm = " (the address must confirm it)" if props.protocol == "email" else ""
        return [("sends to", f"{props.protocol} {props.endpoint}{confirm}")]

    def observe(self, wants: Sequence[Desired]) -> list[Observed]:
        sns = self.client("sns")
        found = []
        for key, topic, _ in owned_topics(sns, self.ctx.owner, self.ctx.reads):
            if key is None:
                continue
            for sub in sns.pages("ListSubscriptionsByTopic", "Subscriptions", TopicArn=topic):
                found.append(self._observed(topic, sub["Protocol"], sub["Endpoint"],
                                            sub["SubscriptionArn"]))  # fmt: skip
        return found

    def _observed(self, topic: str, protocol: str, endpoint: str, arn: str) -> Observed:
        pending = arn == PENDING or not arn.startswith("arn:")
        return Observed(
            kind=self.kind,
            key=keys.subscription(protocol, endpoint),
            id=arn,
            name=endpoint,
            props={"topic": topic, "protocol": protocol, "endpoint": endpoint},
            attrs={"arn": arn},
            state="pending confirmation" if pending else "confirmed",
        )

    def create(self, want: Desired, props: SubscriptionProps) -> Observed:
        out = self.client("sns").subscribe(
            TopicArn=props.topic,
            Protocol=props.protocol,
            Endpoint=props.endpoint,
            ReturnSubscriptionArn=True,
        )
        self.ctx.note(f"AWS mailed {props.endpoint} a link to confirm the subscription")
        have = self._observed(
            str(props.topic), props.protocol, props.endpoint, out["SubscriptionArn"]
        )
        # ReturnSubscriptionArn gives an ARN even before the address confirms
        have.state = "pending confirmation"
        return have

    def delete(self, have: Observed) -> None:
        if not have.id.startswith("arn:"):
            return  # "PendingConfirmation": nothing to unsubscribe; it lapses, or goes
            # with the topic
        self.client("sns").unsubscribe(SubscriptionArn=have.id)
