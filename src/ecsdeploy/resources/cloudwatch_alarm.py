"""CloudWatch metric alarms, named ``APP-ENV-...`` and tagged at creation.

``Desired.props`` holds PutMetricAlarm's own parameters (``Namespace``, ``Dimensions``,
``Threshold``, or ``Metrics`` for a metric-math alarm); observe reads DescribeAlarms back
into the same shape (dimensions sorted by name, absent lists as []), so the generic diff
compares them. PutMetricAlarm is an upsert that replaces the whole configuration (tags
are only taken at creation): create and update are the same call.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from ecsdeploy.resources.base import Desired, Observed, Props, Ref, UpsertHandler
from ecsdeploy.resources.billing import Bill, Meter, Usage
from ecsdeploy.resources.describe import Line, Names, value
from ecsdeploy.spec.naming import dict_to_tags, tags_to_dict

PARAMS = (
    "AlarmDescription",
    "AlarmActions",
    "OKActions",
    "Namespace",
    "MetricName",
    "Dimensions",
    "Statistic",
    "ExtendedStatistic",
    "Period",
    "EvaluationPeriods",
    "DatapointsToAlarm",
    "Threshold",
    "ComparisonOperator",
    "TreatMissingData",
    "Metrics",
)
LISTS = frozenset({"AlarmActions", "OKActions", "Dimensions", "Metrics"})


def dimensions(values: Mapping[str, Any]) -> list[dict[str, Any]]:
    """CloudWatch's [{Name, Value}] form, sorted by name (how observe reports them)."""
    return [{"Name": k, "Value": values[k]} for k in sorted(values)]


def _sorted_dimensions(dims: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    return sorted(({"Name": d["Name"], "Value": d["Value"]} for d in dims or []),
                  key=lambda d: str(d["Name"]))  # fmt: skip


def normalise_query(query: Mapping[str, Any]) -> dict[str, Any]:
    """A metric-math query in one shape: ReturnData explicit, dimensions sorted."""
    out: dict[str, Any] = {"Id": query["Id"], "ReturnData": query.get("ReturnData", True)}
    for key in ("Expression", "Label"):
        if query.get(key) is not None:
            out[key] = query[key]
    stat = query.get("MetricStat")
    if stat is not None:
        metric = stat["Metric"]
        out["MetricStat"] = {
            "Metric": {
                "Namespace": metric["Namespace"],
                "MetricName": metric["MetricName"],
                "Dimensions": _sorted_dimensions(metric.get("Dimensions")),
            },
            "Period": stat["Period"],
            "Stat": stat["Stat"],
        }
    return out


def alarm_props(alarm: Mapping[str, Any]) -> dict[str, Any]:
    """DescribeAlarms' answer in the shape of ``Desired.props``."""
    props: dict[str, Any] = {}
    for key in PARAMS:
        value = alarm.get(key)
        if key in LISTS:
            value = list(value or [])
        props[key] = value
    props["Dimensions"] = _sorted_dimensions(props["Dimensions"])
    props["Metrics"] = [normalise_query(q) for q in props["Metrics"]]
    if props["Threshold"] is not None:
        props["Threshold"] = float(props["Threshold"])
    return props


@dataclass(frozen=True, kw_only=True)
class AlarmProps(Props):
    """PutMetricAlarm's own parameters (``PARAMS``, in that order): a metric's
    (``Namespace``...) or, for a metric-math alarm, ``Metrics`` (then ``Period`` is None)."""

    AlarmDescription: str
    AlarmActions: Sequence[str | Ref]  # topic ARNs
    OKActions: Sequence[str | Ref]
    Namespace: str | None
    MetricName: str | None
    Dimensions: Sequence[Mapping[str, str | Ref]]  # [{Name, Value}], sorted by name
    Statistic: str | None
    ExtendedStatistic: str | None
    Period: int | None
    EvaluationPeriods: int
    DatapointsToAlarm: int
    Threshold: float
    ComparisonOperator: str
    TreatMissingData: str
    Metrics: Sequence[Mapping[str, Any]]  # normalised queries (``normalise_query``)


class AlarmHandler(UpsertHandler[AlarmProps]):
    kind: ClassVar[str] = "cloudwatch.alarm"
    props_class: ClassVar[type[Props]] = AlarmProps
    label: ClassVar[str] = "alarm"
    layer: ClassVar[str] = "monitoring"
    rank: ClassVar[int] = 11
    services: ClassVar[tuple[str, ...]] = ("cloudwatch",)

    @classmethod
    def describe(cls, props: AlarmProps, names: Names) -> list[Line]:
        actions = props.AlarmActions or []
        notifies = (
            value(actions, names) if actions else "nobody (set alarms.email or sns_topic_arn)"
        )
        return [("alarms when", str(props.AlarmDescription)), ("notifies", notifies)]

    @classmethod
    def bills(cls, have: Observed, observed: Mapping[str, Observed]) -> list[Bill]:
        return [Usage(Meter.ALARM_METRIC, billed_metrics(have.props))]

    def observe(self, wants: Sequence[Desired]) -> list[Observed]:
        cw = self.client("cloudwatch")
        wanted = {w.name: w for w in wants}
        found: list[Observed] = []
        by_name = {
            a["AlarmName"]: a
            for a in cw.pages(
                "DescribeAlarms",
                "MetricAlarms",
                AlarmNamePrefix=f"{self.ctx.owner.prefix}-",
                AlarmTypes=["MetricAlarm"],
            )
        }

        def read_tags(alarm: Mapping[str, Any]) -> dict[str, str]:
            listed = cw.list_tags_for_resource(ResourceARN=alarm["AlarmArn"])
            return tags_to_dict(listed.get("Tags"))

        # tags cost a call per alarm (several per service)
        owners = self.ownership(wanted, by_name, read_tags)
        for name, alarm in by_name.items():
            key, tags = owners[name]
            if key is None:
                found += self.taken(wanted, name, alarm["AlarmArn"], tags)
                continue
            found.append(self._observed(key, alarm, tags))
        return found

    def _observed(self, key: str, alarm: Mapping[str, Any], tags: dict[str, str]) -> Observed:
        return Observed(
            kind=self.kind,
            key=key,
            id=alarm["AlarmName"],
            name=alarm["AlarmName"],
            props=alarm_props(alarm),
            attrs={
                "arn": alarm.get("AlarmArn"),
                "state": alarm.get("StateValue", ""),
                "reason": alarm.get("StateReason", ""),
                "since": str(alarm.get("StateUpdatedTimestamp", "")),
            },
            tags=tags,
            state=str(alarm.get("StateValue", "")),
        )

    def create(self, want: Desired, props: AlarmProps) -> Observed:
        tags = self.tags(want)
        fields = props.as_mapping()
        params = {k: v for k, v in fields.items() if v is not None and v != []}
        cw = self.client("cloudwatch")
        cw.put_metric_alarm(AlarmName=want.name, Tags=dict_to_tags(tags), **params)
        # PutMetricAlarm answers nothing, but an alarm's ARN follows from its name; its
        # state is unknown until CloudWatch evaluates it (`status` reads it)
        aws = self.ctx.aws
        arn = f"arn:{aws.partition}:cloudwatch:{aws.region}:{aws.account_id()}:alarm:{want.name}"
        return self._observed(want.key, {"AlarmName": want.name, "AlarmArn": arn, **fields}, tags)

    def delete(self, have: Observed) -> None:
        # DeleteAlarms succeeds for names that do not exist
        self.client("cloudwatch").delete_alarms(AlarmNames=[have.name])


def billed_metrics(props: Mapping[str, Any]) -> int:
    """How many metrics CloudWatch bills an alarm for: each one it reads."""
    return sum(1 for q in props.get("Metrics") or [] if "MetricStat" in q) or 1
