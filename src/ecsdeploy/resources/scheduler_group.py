"""The EventBridge Scheduler schedule group that holds the app's job schedules, named
``APP-ENV`` and tagged at creation.

Scheduler tags schedule groups, not schedules: ownership of the jobs' schedules is that of
their group (``resources.scheduler_schedule``). Found by ListScheduleGroups with the name as
prefix, read once per observe for both kinds. Deleting a group deletes the schedules in it
(AWS: DeleteScheduleGroup "deletes all schedules associated with the group").
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

# (logical key or None when not the app's, ARN, tags), or None when there is no group
Group = tuple[str | None, str, dict[str, str]] | None


def schedule_group(scheduler: Client, owner: Owner, reads: SharedReads | None) -> Group:
    """The schedule group named ``APP-ENV``, read once per observe."""
    return shared(reads, ("scheduler:group", owner.prefix), lambda: _group(scheduler, owner))


def _group(scheduler: Client, owner: Owner) -> Group:
    for group in scheduler.pages("ListScheduleGroups", "ScheduleGroups", NamePrefix=owner.prefix):
        if group.get("Name") != owner.prefix:
            continue
        arn = str(group["Arn"])
        tags = tags_to_dict(scheduler.list_tags_for_resource(ResourceArn=arn).get("Tags"))
        return owned_key(owner, tags), arn, tags
    return None


@dataclass(frozen=True, kw_only=True)
class ScheduleGroupProps(Props):
    name: str


class ScheduleGroupHandler(Handler[ScheduleGroupProps]):
    kind: ClassVar[str] = "scheduler.group"
    props_class: ClassVar[type[Props]] = ScheduleGroupProps
    label: ClassVar[str] = "schedule group"
    delete_note: ClassVar[str] = "the schedules in it are deleted"
    layer: ClassVar[str] = "jobs"
    rank: ClassVar[int] = 8
    services: ClassVar[tuple[str, ...]] = ("scheduler",)
    replace_on: ClassVar[frozenset[str]] = frozenset({"name"})

    @classmethod
    def describe(cls, props: ScheduleGroupProps, names: Names) -> list[Line]:
        return [("name", str(props.name))]

    def observe(self, wants: Sequence[Desired]) -> list[Observed]:
        found = schedule_group(self.client("scheduler"), self.ctx.owner, self.ctx.reads)
        if found is None:
            return []
        key, arn, tags = found
        name = self.ctx.owner.prefix
        if key is None:
            return self.taken({w.name: w for w in wants}, name, arn, tags)
        return [self._observed(key, name, arn, tags)]

    def _observed(self, key: str, name: str, arn: str, tags: dict[str, str]) -> Observed:
        return Observed(self.kind, key, name, name, {"name": name}, attrs={"arn": arn}, tags=tags)

    def tags(self, want: Desired) -> dict[str, str]:
        tags = super().tags(want)
        tags.pop("Name", None)  # the group's own name says it
        return tags

    def create(self, want: Desired, props: ScheduleGroupProps) -> Observed:
        tags = self.tags(want)
        arn = self.client("scheduler").create_schedule_group(
            Name=props.name, Tags=dict_to_tags(tags)
        )["ScheduleGroupArn"]
        return self._observed(want.key, props.name, str(arn), tags)

    def delete(self, have: Observed) -> None:
        scheduler = self.client("scheduler")
        # NotFound when already gone (done); asked first, as moto fails on a missing group
        scheduler.get_schedule_group(Name=have.id)
        scheduler.delete_schedule_group(Name=have.id)
