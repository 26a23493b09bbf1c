"""CloudWatch log groups, one per service, under ``/ecsdeploy/APP/ENV/``, with retention."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from ecsdeploy.resources.base import Change, Desired, DownKeeps, Handler, Observed, Props
from ecsdeploy.resources.describe import Line, Names

# ``down`` deletes the services' logs unless asked to keep them
KEEP_LOGS = DownKeeps("--keep-logs", by_default=False)


@dataclass(frozen=True, kw_only=True)
class LogGroupProps(Props):
    retention_days: int


class LogGroupHandler(Handler[LogGroupProps]):
    kind: ClassVar[str] = "logs.log_group"
    props_class: ClassVar[type[Props]] = LogGroupProps
    label: ClassVar[str] = "log group"
    delete_note: ClassVar[str] = "its logs are deleted"
    layer: ClassVar[str] = "logs"
    rank: ClassVar[int] = 0
    services: ClassVar[tuple[str, ...]] = ("logs",)

    @classmethod
    def describe(cls, props: LogGroupProps, names: Names) -> list[Line]:
        return [("keeps logs", f"{props.retention_days} days")]

    @classmethod
    def down_keeps(cls, have: Observed) -> DownKeeps | None:
        return KEEP_LOGS

    def observe(self, wants: Sequence[Desired]) -> list[Observed]:
        logs = self.client("logs")
        wanted = {w.name: w for w in wants}
        found = []
        groups = list(
            logs.pages(
                "DescribeLogGroups",
                "logGroups",
                logGroupNamePrefix=self.ctx.owner.log_group_prefix(),
            )
        )
        arns = {
            g["logGroupName"]: g.get("logGroupArn") or g["arn"].removesuffix(":*") for g in groups
        }

        def read_tags(arn: str) -> dict[str, str]:
            return dict(logs.list_tags_for_resource(resourceArn=arn).get("tags", {}))

        # tags cost a call per log group
        owners = self.ownership(wanted, arns, read_tags)
        for group in groups:
            name = group["logGroupName"]
            arn = arns[name]
            key, tags = owners[name]
            if key is None:
                found += self.taken(wanted, name, name, tags)
                continue
            found.append(
                Observed(
                    kind=self.kind,
                    key=key,
                    id=name,
                    name=name,
                    props={"retention_days": group.get("retentionInDays")},
                    attrs={"arn": arn},
                    tags=tags,
                )
            )
        return found

    def tags(self, want: Desired) -> dict[str, str]:
        tags = super().tags(want)
        tags.pop("Name", None)  # the group's own name says it
        return tags

    def create(self, want: Desired, props: LogGroupProps) -> Observed:
        tags = self.tags(want)
        self.client("logs").create_log_group(logGroupName=want.name, tags=tags)
        have = Observed(
            self.kind, want.key, want.name, want.name, {"retention_days": None}, tags=tags
        )
        return self.update(want, props, have, self.diff(props, have))

    def update(
        self, want: Desired, props: LogGroupProps, have: Observed, changes: list[Change]
    ) -> Observed:
        for change in changes:
            if change.field == "retention_days":
                self.client("logs").put_retention_policy(
                    logGroupName=have.name, retentionInDays=int(change.after)
                )
                have.props["retention_days"] = change.after
        return have

    def delete(self, have: Observed) -> None:
        self.client("logs").delete_log_group(logGroupName=have.name)
